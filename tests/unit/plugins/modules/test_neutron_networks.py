# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""neutron_networks run in-process against a fake openstacksdk network
proxy that keeps its objects in dicts, so creates and updates really happen
and the following run must find nothing to do; the database path is fed the
rows neutron's tables hold for the same objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils import neutron
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError
from ansible_collections.stackcraft.openstack.plugins.modules import neutron_networks

_ids = itertools.count(1)


class Obj(object):
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class HttpError(Exception):
    def __init__(self, status_code):
        super(HttpError, self).__init__('HTTP %d' % status_code)
        self.status_code = status_code


class FakeNetwork(object):
    """The network proxy calls NetworkApi makes, on dicts."""

    def __init__(self):
        self.networks_, self.subnets_, self.routers_, self.ports_ = {}, {}, {}, {}
        self.agents_ = []
        self.writes = []
        self.fail_listing = []
        # neutron's L3 service plugin loaded (/routers answers).
        self.l3 = True

    def _new(self, store, **attrs):
        attrs['id'] = 'id-%d' % next(_ids)
        store[attrs['id']] = Obj(**attrs)
        return store[attrs['id']]

    def networks(self):
        if self.fail_listing:
            raise HttpError(self.fail_listing.pop(0))
        return list(self.networks_.values())

    def subnets(self):
        return list(self.subnets_.values())

    def routers(self):
        if not self.l3:
            raise HttpError(404)
        return list(self.routers_.values())

    def ports(self, device_id):
        return [p for p in self.ports_.values() if p.device_id == device_id]

    def agents(self):
        return self.agents_

    def create_network(self, name, provider_network_type, is_router_external, is_shared,
                       provider_physical_network=None, provider_segmentation_id=None, project_id=None):
        self.writes.append(('create_network', name))
        return self._new(self.networks_, name=name, provider_network_type=provider_network_type,
                         provider_physical_network=provider_physical_network,
                         provider_segmentation_id=provider_segmentation_id, is_router_external=is_router_external,
                         is_shared=is_shared, project_id=project_id)

    def update_network(self, network_id, is_shared):
        self.writes.append(('update_network', network_id))
        self.networks_[network_id].is_shared = is_shared

    def create_subnet(self, name, network_id, cidr, ip_version, is_dhcp_enabled, dns_nameservers,
                      gateway_ip=None, allocation_pools=None, project_id=None):
        assert network_id in self.networks_
        self.writes.append(('create_subnet', name))
        return self._new(self.subnets_, name=name, network_id=network_id, cidr=cidr, ip_version=ip_version,
                         is_dhcp_enabled=is_dhcp_enabled, dns_nameservers=dns_nameservers,
                         gateway_ip=gateway_ip or cidr.rsplit('.', 1)[0] + '.1',
                         allocation_pools=allocation_pools or [dict(start='x', end='y')])

    def update_subnet(self, subnet_id, **attrs):
        self.writes.append(('update_subnet', subnet_id, sorted(attrs)))
        self.subnets_[subnet_id].__dict__.update(attrs)

    def create_router(self, name):
        self.writes.append(('create_router', name))
        return self._new(self.routers_, name=name, external_gateway_info=None)

    def update_router(self, router_id, external_gateway_info):
        self.writes.append(('update_router', router_id))
        self.routers_[router_id].external_gateway_info = external_gateway_info

    def add_interface_to_router(self, router_id, subnet_id):
        self.writes.append(('add_interface_to_router', router_id, subnet_id))
        self._new(self.ports_, device_id=router_id, device_owner='network:router_interface',
                  fixed_ips=[dict(subnet_id=subnet_id, ip_address='10.0.0.1')])

    def rows(self):
        """What neutron's tables hold for these objects (records_from_rows' input)."""
        return dict(
            networks=[dict(id=n.id, name=n.name) for n in self.networks_.values()],
            segments=[dict(network_id=n.id, network_type=n.provider_network_type,
                           physical_network=n.provider_physical_network, segmentation_id=n.provider_segmentation_id,
                           segment_index=0) for n in self.networks_.values()],
            external=[dict(network_id=n.id) for n in self.networks_.values() if n.is_router_external],
            rbacs=[dict(object_id=n.id, action='access_as_shared', target_project='*')
                   for n in self.networks_.values() if n.is_shared],
            subnets=[dict(id=s.id, name=s.name, network_id=s.network_id, cidr=s.cidr, gateway_ip=s.gateway_ip,
                          enable_dhcp=int(s.is_dhcp_enabled)) for s in self.subnets_.values()],
            pools=[dict(subnet_id=s.id, first_ip=p['start'], last_ip=p['end'])
                   for s in self.subnets_.values() for p in s.allocation_pools],
            dns=[dict(subnet_id=s.id, address=a, order=i)
                 for s in self.subnets_.values() for i, a in enumerate(s.dns_nameservers)],
            routers=[dict(id=r.id, name=r.name,
                          gateway_network_id=(r.external_gateway_info or {}).get('network_id'))
                     for r in self.routers_.values()],
            interfaces=[dict(router_id=p.device_id, subnet_id=ip['subnet_id'])
                        for p in self.ports_.values() for ip in p.fixed_ips],
        )


class FakeConn(object):
    def __init__(self):
        self.network = FakeNetwork()
        self.identity = Obj(find_project=lambda name, ignore_missing: Obj(id='project-' + name))


NETWORKS = [
    dict(name='flat', physical_network='physnet1', shared=True,
         subnet=dict(cidr='10.20.0.0/24', gateway='10.20.0.1', dns_nameservers=['10.20.0.1', '9.9.9.9'],
                     allocation_pools=[dict(start='10.20.0.10', end='10.20.0.99')])),
    dict(name='public', physical_network='external', external=True,
         subnet=dict(cidr='203.0.113.0/24', enable_dhcp=False)),
    dict(name='demo-vlan', network_type='vlan', physical_network='vlan', segmentation_id=100, project='demo',
         subnet=dict(name='demo-sub', cidr='10.30.0.0/24')),
]
ROUTERS = [dict(name='router', external_network='public', subnets=['flat-subnet'])]


@pytest.fixture
def conn(monkeypatch):
    fake = FakeConn()
    monkeypatch.setattr(neutron_networks, 'connect', lambda module: fake)
    monkeypatch.setattr(neutron.NetworkApi, 'sleep', staticmethod(lambda seconds: None))
    return fake


def run(capsys, **args):
    args.setdefault('cloud', 'stackcraft-admin')
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            neutron_networks.main()
    return json.loads(capsys.readouterr().out)


def test_creates_everything_then_nothing(conn, capsys):
    first = run(capsys, networks=NETWORKS, routers=ROUTERS)
    assert first['changed'] and first['read_from'] == 'api'
    assert first['changes'] == [
        'create network flat', 'create network public', 'create network demo-vlan',
        'create subnet flat-subnet', 'create subnet public-subnet', 'create subnet demo-sub',
        'create router router', 'set router gateway router: network=public',
        'add router interface router: subnet=flat-subnet']
    net = dict((n.name, n) for n in conn.network.networks_.values())
    assert net['demo-vlan'].project_id == 'project-demo' and net['demo-vlan'].provider_segmentation_id == 100
    assert net['public'].is_router_external and not net['public'].is_shared and net['flat'].is_shared
    assert sorted(first['ids']['networks']) == ['demo-vlan', 'flat', 'public']
    conn.network.writes = []
    second = run(capsys, networks=NETWORKS, routers=ROUTERS)
    assert not second['changed'] and second['changes'] == [] and conn.network.writes == []
    assert second['ids'] == first['ids']


def test_check_mode_writes_nothing(conn, capsys):
    result = run(capsys, networks=NETWORKS, routers=ROUTERS, _ansible_check_mode=True)
    assert result['changed'] and len(result['changes']) == 9
    assert conn.network.writes == [] and result['ids'] == {'networks': {}, 'subnets': {}, 'routers': {}}


def test_updates_only_what_differs(conn, capsys):
    run(capsys, networks=NETWORKS, routers=ROUTERS)
    flat = [s for s in conn.network.subnets_.values() if s.name == 'flat-subnet'][0]
    flat.dns_nameservers = ['9.9.9.9', '10.20.0.1']
    flat.is_dhcp_enabled = False
    [n for n in conn.network.networks_.values() if n.name == 'flat'][0].is_shared = False
    conn.network.writes = []
    result = run(capsys, networks=NETWORKS, routers=ROUTERS)
    assert result['changes'] == ['update network flat: shared=True',
                                 "update subnet flat-subnet: dns_nameservers=['10.20.0.1', '9.9.9.9'], enable_dhcp=True"]
    assert [w[0] for w in conn.network.writes] == ['update_network', 'update_subnet']
    assert flat.is_dhcp_enabled and flat.dns_nameservers == ['10.20.0.1', '9.9.9.9']


def test_router_gateway_and_interface_restored(conn, capsys):
    run(capsys, networks=NETWORKS, routers=ROUTERS)
    router = list(conn.network.routers_.values())[0]
    router.external_gateway_info = None
    conn.network.ports_.clear()
    result = run(capsys, networks=NETWORKS, routers=ROUTERS)
    assert result['changes'] == ['set router gateway router: network=public',
                                 'add router interface router: subnet=flat-subnet']


def test_fixed_attributes_fail_before_any_write(conn, capsys):
    run(capsys, networks=NETWORKS)
    conn.network.writes = []
    changed = [dict(NETWORKS[0], physical_network='physnet2'), dict(NETWORKS[1], subnet=dict(cidr='198.51.100.0/24'))]
    result = run(capsys, networks=changed)
    assert result['failed'] and conn.network.writes == []
    assert 'network flat exists with physical_network=physnet1, not physical_network=physnet2' in result['msg']
    assert "subnet public-subnet has 203.0.113.0/24, not 198.51.100.0/24" in result['msg']


@pytest.mark.parametrize('networks, routers, message', [
    ([dict(name='a', physical_network='p')] * 2, [], 'network a is listed twice'),
    ([dict(name='a', physical_network=None)], [], 'a flat network needs physical_network'),
    ([dict(name='a', physical_network='p', segmentation_id=3)], [], 'a flat network has no segmentation_id'),
    ([dict(name='a', physical_network='p', subnet=dict(cidr='10.0.0.1/24'))], [], 'has host bits set'),
    ([], [dict(name='r', external_network='nowhere')], 'router r: network nowhere does not exist'),
])
def test_bad_input(conn, capsys, networks, routers, message):
    result = run(capsys, networks=networks, routers=routers)
    assert result['failed'] and message in result['msg'] and conn.network.writes == []


def test_duplicate_names_in_neutron(conn, capsys):
    run(capsys, networks=NETWORKS[:1])
    conn.network.create_network('flat', 'flat', False, True, 'physnet1')
    result = run(capsys, networks=NETWORKS[:1])
    assert result['failed'] and '2 networks are called flat' in result['msg']


def test_waits_for_agents_before_creating(conn, capsys):
    conn.network.agents_ = [Obj(agent_type='Open vSwitch agent', is_alive=True),
                            Obj(agent_type='DHCP agent', is_alive=False)]
    result = run(capsys, networks=NETWORKS[:1], wait_for_agents=dict(types=['Open vSwitch agent'], dhcp=1, timeout=0))
    assert result['failed'] and 'the alive agents are Open vSwitch agent' in result['msg']
    assert conn.network.writes == []
    conn.network.agents_[1].is_alive = True
    result = run(capsys, networks=NETWORKS[:1], wait_for_agents=dict(types=['Open vSwitch agent'], dhcp=1, timeout=0))
    assert result['changed']


def test_retries_while_the_api_starts(conn, capsys):
    conn.network.fail_listing = [503, 503]
    assert run(capsys, networks=NETWORKS[:1])['changed']
    conn.network.fail_listing = [401]
    result = run(capsys, networks=NETWORKS[:1])
    assert result['failed'] and result['msg'] == 'neutron API: HTTP 401'
    assert conn.network.writes == [('create_network', 'flat'), ('create_subnet', 'flat-subnet')]


def test_database_path(conn, capsys, monkeypatch):
    run(capsys, networks=NETWORKS, routers=ROUTERS)
    rows = conn.network.rows()
    monkeypatch.setattr(neutron, 'read_database', lambda path: neutron.records_from_rows(rows))
    monkeypatch.setattr(neutron_networks, 'connect', lambda module: pytest.fail('the API was asked'))
    result = run(capsys, networks=NETWORKS, routers=ROUTERS, database_config='/etc/neutron/neutron.conf')
    assert not result['changed'] and result['read_from'] == 'database'
    assert sorted(result['ids']['subnets']) == ['demo-sub', 'flat-subnet', 'public-subnet']


def test_database_difference_goes_to_the_api(conn, capsys, monkeypatch):
    run(capsys, networks=NETWORKS, routers=ROUTERS)
    rows = conn.network.rows()
    rows['rbacs'] = [dict(row, target_tenant=row.pop('target_project')) for row in rows['rbacs']]
    rows['dns'] = []
    monkeypatch.setattr(neutron, 'read_database', lambda path: neutron.records_from_rows(rows))
    conn.network.writes = []
    result = run(capsys, networks=NETWORKS, routers=ROUTERS, database_config='/etc/neutron/neutron.conf')
    # The database's (stale) view is not acted on: the API shows nothing to do.
    assert not result['changed'] and result['read_from'] == 'api' and conn.network.writes == []


def test_records_read_the_same_from_both_sides(conn, capsys):
    run(capsys, networks=NETWORKS, routers=ROUTERS)
    from_api = neutron.NetworkApi(conn).read()
    assert neutron.records_from_rows(conn.network.rows()) == from_api


def test_plan_rejects_a_subnet_on_another_network():
    desired = neutron.build_desired(dict(networks=[dict(
        name='a', network_type='flat', physical_network='p', segmentation_id=None, external=False, shared=False,
        project=None, subnet=dict(name='s', cidr='10.0.0.0/24', gateway=None, allocation_pools=None,
                                  dns_nameservers=[], enable_dhcp=True))], routers=[]))
    current = dict(networks={'a': [neutron.network_record('n1', 'a', 'flat', 'p', None, False, False)]},
                   subnets={'s': [neutron.subnet_record('s1', 's', 'n2', '10.0.0.0/24', None, [], [], True)]},
                   routers={})
    with pytest.raises(ModuleError, match='subnet s exists on another network than a'):
        neutron.plan(desired, current)


def test_no_router_listing_without_routers(conn, capsys):
    conn.network.l3 = False
    assert run(capsys, networks=NETWORKS[:1])['changed']
    assert not run(capsys, networks=NETWORKS[:1])['changed']
    assert run(capsys, networks=NETWORKS[:1], routers=ROUTERS[:1])['msg'] == 'neutron API: HTTP 404'
