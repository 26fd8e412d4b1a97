# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cell
author:
  - stackcraft developers (@stackcraft)
short_description: The nova cell of the current host, from its inventory group cell_<name>
description:
  - A host in a group C(cell_<name>) belongs to the child cell C(<name>). The group's compute hosts run in that
    cell, its other hosts are the cell's controllers (conductor, console proxy). Hosts in no such group belong to
    the API level and its default cell.
  - The one place that derives this, for the nova roles, the preflight checks and the tests.
options: {}
"""

EXAMPLES = r"""
- name: Which cell this host is in
  ansible.builtin.debug:
    msg: "{{ lookup('stackcraft.openstack.cell').name or 'the default cell' }}"
"""

RETURN = r"""
_raw:
  description:
    - One dict with C(name) (the child cell, empty for the default cell), C(controllers) (the cell's hosts that
      are not compute hosts), C(controller) (the first of them, which writes the cell's database and mapping; empty
      without) and C(multi) (whether the host's region has any child cell).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.stackcraft.openstack.plugins.plugin_utils.topology import cell_of


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if terms:
            raise AnsibleLookupError('stackcraft.openstack.cell takes no terms')
        variables = variables or {}
        for key in ('groups', 'hostvars', 'inventory_hostname'):
            if key not in variables:
                raise AnsibleLookupError('stackcraft.openstack.cell needs the play variables (%s is missing)' % key)
        return [cell_of(variables['groups'], variables['hostvars'], variables['inventory_hostname'])]
