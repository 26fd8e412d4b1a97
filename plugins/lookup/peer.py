# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: peer
author:
  - stackcraft developers (@stackcraft)
short_description: The host that serves an inventory group for the current host, within its region
description:
  - Returns, for each group named, the first host of that group in the current host's region
    (C(openstack_region_name) of each host, C(RegionOne) when unset), so that every role finds its database,
    broker, keystone, placement or nova API host the same way.
  - The groups C(identity) and C(dashboard) serve every region from wherever they are.
  - A group with no host in the region (or no such group) gives the current host itself, as a role used on its
    own expects; the deployment's preflight refuses such an inventory first.
options:
  _terms:
    description: Inventory group names (a list counts as its names).
    required: true
  want:
    description:
      - C(address) (the host's C(ansible_host), else its name), C(name) (its inventory name), or C(all) (the
        inventory names of every host of the group in the region, none when it has none; use with C(query)).
      - C(internal_address) and C(public_address) give where the host's APIs are reached, in that host's own terms
        (its C(openstack_internal_address), C(openstack_public_address)), else its address; for keystone, which
        serves every region from its own region's address.
      - C(region) gives the host's region (C(openstack_region_name)), e.g. keystone's, in which the services look up
        the identity endpoint.
      - C(internal_url) and C(public_url) give the root URL of the group's API on that host (no path), for the API
        groups C(identity), C(image), C(placement), C(compute_controller) and C(network_controller); https when the
        current host's C(openstack_tls) is true, the host's address as above, and the port the inventory gives that
        host (C(keystone_port), C(glance_port), C(placement_port), C(nova_controller_api_port), C(nova_network_port)),
        else the role's default port.
    type: str
    default: address
    choices: [address, name, all, internal_address, public_address, region, internal_url, public_url]
  hosts:
    description:
      - Answer for these inventory hosts instead of the current one; each group then gives its peer in each of their
        regions, once (e.g. the database servers of every region a play's hosts are in).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Where this host's database is
  ansible.builtin.debug:
    msg: "{{ lookup('stackcraft.openstack.peer', 'database') }}"

- name: The inventory name of the nova API host of this host's region
  ansible.builtin.debug:
    msg: "{{ lookup('stackcraft.openstack.peer', 'compute_controller', want='name') }}"

- name: The database servers of the regions of this play's hosts
  ansible.builtin.debug:
    msg: "{{ query('stackcraft.openstack.peer', 'database', want='name', hosts=ansible_play_hosts) }}"

- name: Keystone's URL, as every service reaches it (http://10.0.0.11:5000, https with openstack_tls)
  ansible.builtin.debug:
    msg: "{{ lookup('stackcraft.openstack.peer', 'identity', want='internal_url') }}"

- name: Every network host of this host's region
  ansible.builtin.debug:
    msg: "{{ query('stackcraft.openstack.peer', 'network', want='all') }}"
"""

RETURN = r"""
_raw:
  description: One host address (or name) per group named; with O(want=all), the hosts of every group named.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase
from ansible_collections.stackcraft.openstack.plugins.plugin_utils.topology import (
    API_PORTS, address_of, api_address_of, api_url_of, in_region, peer, region_of)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        for key in ('groups', 'hostvars', 'inventory_hostname'):
            if key not in variables:
                raise AnsibleLookupError('stackcraft.openstack.peer needs the play variables (%s is missing)' % key)
        groups, hostvars, current = variables['groups'], variables['hostvars'], variables['inventory_hostname']
        want = self.get_option('want')
        askers = self.get_option('hosts') or [current]
        # query('stackcraft.openstack.peer', a_list) passes the list as one term.
        names = []
        for term in terms:
            names.extend(term if isinstance(term, list) else [term])
        tls = False
        if want.endswith('_url'):
            try:
                tls = boolean(self._templar.template(variables.get('openstack_tls', False)), strict=True)
            except TypeError as exc:
                raise AnsibleLookupError('stackcraft.openstack.peer: openstack_tls is a boolean (%s)' % exc)
        out = []
        for group in names:
            if not isinstance(group, str) or not group:
                raise AnsibleLookupError('stackcraft.openstack.peer: a group name is a non-empty string, not %r' % (group,))
            if want.endswith('_url') and group not in API_PORTS:
                raise AnsibleLookupError('stackcraft.openstack.peer: want=%s is for the API groups %s, not %r'
                                         % (want, ', '.join(sorted(API_PORTS)), group))
            found = []
            for asker in askers:
                if want == 'all':
                    hosts = in_region(group, groups, hostvars, region_of(hostvars, asker))
                else:
                    host = peer(group, groups, hostvars, asker)
                    if want == 'name':
                        hosts = [host]
                    elif want == 'region':
                        hosts = [region_of(hostvars, host)]
                    elif want.endswith('_url'):
                        hosts = [api_url_of(hostvars, host, group, tls, want[:-len('_url')])]
                    elif want.endswith('_address'):
                        hosts = [api_address_of(hostvars, host, want[:-len('_address')])]
                    else:
                        hosts = [address_of(hostvars, host)]
                found.extend(host for host in hosts if host not in found)
            out.extend(found)
        return out
