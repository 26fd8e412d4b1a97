#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: neutron_networks
short_description: Reconcile provider networks, their subnets and routers given as data
version_added: 0.1.0
description:
  - Makes the networks (each with at most one subnet) and routers listed
    exist in neutron as given, in one openstacksdk connection; what is
    missing is created, what differs and can change is updated, the rest
    is left alone. Nothing is deleted.
  - What a network keeps from its creation (type, physical network,
    segment, external) and a subnet's range are compared, not changed; a
    difference fails the module before anything is written.
  - With O(database_config), neutron's own database is read first; when it
    shows nothing to do, no API request is made. Any difference is read
    again from the API before anything is written.
  - Works with openstacksdk 0.101 (Debian 12) and later.
author:
  - stackcraft developers (@stackcraft)
requirements:
  - openstacksdk >= 0.101
extends_documentation_fragment:
  - stackcraft.openstack.openstack
attributes:
  check_mode:
    support: full
    description: Computes and reports every change without writing any.
  diff_mode:
    support: full
    description: The operations the run makes (or would make).
options:
  api_wait:
    description:
      - Seconds to keep retrying the first listing while neutron-api answers
        502, 503 or 504 or refuses connections (its workers still starting).
    type: int
    default: 120
  networks:
    description: Networks, each with its subnet.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Network name; it must be unique in neutron.
        type: str
        required: true
      network_type:
        description: Provider network type.
        type: str
        default: flat
        choices: [flat, vlan, vxlan]
      physical_network:
        description: Provider physical network (flat and vlan).
        type: str
      segmentation_id:
        description: VLAN id or VNI; neutron picks one when unset.
        type: int
      external:
        description: Whether the network is external (routers' gateways, floating IPs).
        type: bool
        default: false
      shared:
        description: Whether every project may use the network.
        type: bool
        default: false
      project:
        description: Project (name or id) owning the network and its subnet, when created; the caller's when unset.
        type: str
      subnet:
        description: The network's subnet.
        type: dict
        suboptions:
          name:
            description: Subnet name; the network's name and C(-subnet) when unset.
            type: str
          cidr:
            description: Subnet range; it does not change once created.
            type: str
            required: true
          gateway:
            description: Gateway address; not managed when unset (neutron takes the first address).
            type: str
          allocation_pools:
            description: Address pools; not managed when unset (neutron takes the whole range).
            type: list
            elements: dict
            suboptions:
              start:
                description: First address.
                type: str
                required: true
              end:
                description: Last address.
                type: str
                required: true
          dns_nameservers:
            description: DNS servers handed out by DHCP, in order.
            type: list
            elements: str
            default: []
          enable_dhcp:
            description: Whether neutron serves DHCP on the subnet.
            type: bool
            default: true
  routers:
    description: Routers, each with its gateway on an external network and interfaces on subnets.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Router name; it must be unique in neutron.
        type: str
        required: true
      external_network:
        description: Network (listed in O(networks) or existing) of the router's gateway.
        type: str
        required: true
      subnets:
        description: Subnets (listed in O(networks) or existing) the router has an interface on; others are left alone.
        type: list
        elements: str
        default: []
  wait_for_agents:
    description:
      - Before creating a network, wait for these agents to report alive; a
        network is scheduled to DHCP agents only when it is created.
    type: dict
    suboptions:
      types:
        description: Agent types (as C(openstack network agent list) names them) that must be alive.
        type: list
        elements: str
        default: []
      dhcp:
        description: Number of alive DHCP agents needed.
        type: int
        default: 0
      timeout:
        description: Seconds to wait.
        type: int
        default: 300
  database_config:
    description:
      - neutron's configuration file (its C([database] connection)), read on the host running the module to read the
        state from neutron's database first.
    type: path
'''

EXAMPLES = r'''
- name: A flat provider network, the external network and the router between them
  stackcraft.openstack.neutron_networks:
    cloud: stackcraft-admin
    region_name: RegionOne
    database_config: /etc/neutron/neutron.conf
    networks:
      - name: flat
        physical_network: physnet1
        shared: true
        subnet: {cidr: 10.20.0.0/24, gateway: 10.20.0.1, dns_nameservers: [10.20.0.1]}
      - name: public
        physical_network: external
        external: true
        subnet: {cidr: 203.0.113.0/24, enable_dhcp: false}
    routers:
      - {name: router, external_network: public, subnets: [flat-subnet]}
    wait_for_agents: {types: [Open vSwitch agent], dhcp: 1}
'''

RETURN = r'''
changes:
  description: The operations made (in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network flat", "create subnet flat-subnet", "add router interface router: subnet=flat-subnet"]
ids:
  description: Ids of the listed networks, subnets and routers, by name (those not created in check mode are missing).
  returned: always
  type: dict
  sample: {networks: {flat: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d}, subnets: {}, routers: {}}
read_from:
  description: Where the state was read, C(database) (O(database_config), nothing to change) or C(api).
  returned: always
  type: str
  sample: database
'''

from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError, StackcraftModule
from ansible_collections.stackcraft.openstack.plugins.module_utils import neutron
from ansible_collections.stackcraft.openstack.plugins.module_utils.openstack import (
    AUTH_SECRET_KEYS,
    connect,
    openstack_argument_spec,
)


class NeutronNetworks(StackcraftModule):

    argument_spec = openstack_argument_spec(
        api_wait=dict(type='int', default=120),
        networks=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            network_type=dict(type='str', default='flat', choices=['flat', 'vlan', 'vxlan']),
            physical_network=dict(type='str'),
            segmentation_id=dict(type='int'),
            external=dict(type='bool', default=False),
            shared=dict(type='bool', default=False),
            project=dict(type='str'),
            subnet=dict(type='dict', options=dict(
                name=dict(type='str'),
                cidr=dict(type='str', required=True),
                gateway=dict(type='str'),
                allocation_pools=dict(type='list', elements='dict', options=dict(
                    start=dict(type='str', required=True),
                    end=dict(type='str', required=True),
                )),
                dns_nameservers=dict(type='list', elements='str', default=[]),
                enable_dhcp=dict(type='bool', default=True),
            )),
        )),
        routers=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            external_network=dict(type='str', required=True),
            subnets=dict(type='list', elements='str', default=[]),
        )),
        wait_for_agents=dict(type='dict', options=dict(
            types=dict(type='list', elements='str', default=[]),
            dhcp=dict(type='int', default=0),
            timeout=dict(type='int', default=300),
        )),
        database_config=dict(type='path'),
    )
    secret_params = AUTH_SECRET_KEYS

    def result(self, todo, ids, read_from):
        result = dict(changed=todo.changed, changes=todo.changes(), ids=ids, read_from=read_from)
        if self.module._diff:
            result['diff'] = dict(before='', after=''.join(line + '\n' for line in todo.changes()))
        return result

    def listed_ids(self, desired, ids):
        return dict((kind, dict((name, ids[kind][name]) for name in desired[kind] if name in ids[kind]))
                    for kind in neutron.KINDS)

    def run(self):
        params = self.params
        desired = neutron.build_desired(params)
        if params['database_config']:
            current = neutron.read_database(params['database_config'])
            if current is not None:
                try:
                    todo = neutron.plan(desired, current)
                except Exception:  # pylint: disable=broad-except
                    # A conflict the database shows is confirmed by the API.
                    todo = None
                if todo is not None and not todo.changed:
                    return self.result(todo, self.listed_ids(desired, neutron.current_ids(current)), 'database')
        api = neutron.NetworkApi(connect(self.module), wait=params['api_wait'])
        try:
            current = api.read(routers=bool(desired['routers']))
            todo = neutron.plan(desired, current)
            ids = neutron.current_ids(current)
            if todo.changed and not self.check_mode:
                wait = params['wait_for_agents']
                if wait and any(operation == 'create_network' for operation, _name, _fields in todo.operations):
                    api.wait_for_agents(wait['types'], wait['dhcp'], wait['timeout'])
                ids = api.apply(todo, desired, current)
        except ModuleError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # openstacksdk's and keystoneauth's own classes.
            raise ModuleError('neutron API: %s' % exc)
        return self.result(todo, self.listed_ids(desired, ids), 'api')


def main():
    NeutronNetworks().execute()


if __name__ == '__main__':
    main()
