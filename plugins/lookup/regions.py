# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: regions
author:
  - stackcraft developers (@stackcraft)
short_description: The regions of inventory hosts
description:
  - Returns the regions (C(openstack_region_name) of each host, C(RegionOne) when unset or empty) of the inventory's
    hosts, or of the hosts given, each region once, in the hosts' order.
  - The one place, with the lookup P(stackcraft.openstack.peer#lookup), that derives a host's region, for the roles
    (which regions a play serves, which regions keystone serves), the preflight checks and the tests.
options:
  hosts:
    description: The inventory hosts whose regions are wanted; all the inventory's hosts when not given.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Every region of the inventory
  ansible.builtin.debug:
    msg: "{{ query('stackcraft.openstack.regions') }}"

- name: Whether this play's hosts are in several regions
  ansible.builtin.debug:
    msg: "{{ query('stackcraft.openstack.regions', hosts=ansible_play_hosts) | length > 1 }}"

- name: The region of one host
  ansible.builtin.debug:
    msg: "{{ lookup('stackcraft.openstack.regions', hosts=[inventory_hostname]) }}"
"""

RETURN = r"""
_raw:
  description: The region names, each once.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.stackcraft.openstack.plugins.plugin_utils.topology import regions_of


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if terms:
            raise AnsibleLookupError('stackcraft.openstack.regions takes no terms (hosts=... names the hosts)')
        variables = variables or {}
        for key in ('groups', 'hostvars'):
            if key not in variables:
                raise AnsibleLookupError('stackcraft.openstack.regions needs the play variables (%s is missing)' % key)
        hosts = self.get_option('hosts')
        if hosts is None:
            hosts = variables['groups'].get('all') or []
        for host in hosts:
            if not isinstance(host, str) or not host:
                raise AnsibleLookupError('stackcraft.openstack.regions: a host name is a non-empty string, not %r' % (host,))
        return regions_of(variables['hostvars'], hosts)
