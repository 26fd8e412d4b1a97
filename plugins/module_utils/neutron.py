# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Provider networks, their subnets and routers as data, for
neutron_networks: the desired state from the module's options, the current
state from neutron's API (openstacksdk) or its own database, the plan
between them and its application.

Records are plain dicts of the same shape whatever read them, so the plan
never knows where the state came from.  A database read serves only to
prove that nothing needs doing: a plan with any operation in it is made
again from the API before anything is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

from ansible.module_utils.six import text_type
from ansible_collections.stackcraft.openstack.plugins.module_utils import database
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError

KINDS = ('networks', 'subnets', 'routers')
# What a network keeps from its creation: neutron cannot change these on a
# network with ports, and the role never tries.
NETWORK_FIXED = ('network_type', 'physical_network', 'segmentation_id', 'external')
# A router port on a subnet, whatever the router's kind (legacy, DVR, HA).
ROUTER_INTERFACE_OWNERS = ('network:router_interface', 'network:router_interface_distributed',
                           'network:ha_router_replicated_interface')
# What neutron-api answers while its workers start, or a proxy in front.
RETRY_STATUS = (502, 503, 504)

STATEMENTS = {
    'networks': 'SELECT id, name FROM networks',
    # A network's own segment is its first static one.
    'segments': ('SELECT network_id, network_type, physical_network, segmentation_id, segment_index'
                 ' FROM networksegments WHERE is_dynamic = 0'),
    'external': 'SELECT network_id FROM externalnetworks',
    # The target column is target_tenant in older schemas.
    'rbacs': "SELECT * FROM networkrbacs WHERE action = 'access_as_shared'",
    'subnets': 'SELECT id, name, network_id, cidr, gateway_ip, enable_dhcp FROM subnets',
    'pools': 'SELECT subnet_id, first_ip, last_ip FROM ipallocationpools',
    'dns': 'SELECT subnet_id, address, `order` FROM dnsnameservers',
    'routers': ('SELECT r.id, r.name, p.network_id AS gateway_network_id'
                ' FROM routers r LEFT JOIN ports p ON p.id = r.gw_port_id'),
    'interfaces': ('SELECT rp.router_id, ia.subnet_id FROM routerports rp'
                   ' JOIN ipallocations ia ON ia.port_id = rp.port_id'
                   ' WHERE rp.port_type IN (%s)' % ', '.join("'%s'" % owner for owner in ROUTER_INTERFACE_OWNERS)),
}


def _pools(pools):
    return sorted((text_type(start), text_type(end)) for start, end in pools)


def network_record(id, name, network_type, physical_network, segmentation_id, external, shared):
    return dict(id=id, name=name, network_type=network_type, physical_network=physical_network or None,
                segmentation_id=None if segmentation_id is None else int(segmentation_id),
                external=bool(external), shared=bool(shared))


def subnet_record(id, name, network_id, cidr, gateway_ip, pools, dns_nameservers, enable_dhcp):
    return dict(id=id, name=name, network_id=network_id, cidr=text_type(cidr), gateway_ip=gateway_ip or None,
                allocation_pools=_pools(pools), dns_nameservers=[text_type(a) for a in dns_nameservers],
                enable_dhcp=bool(enable_dhcp))


def router_record(id, name, gateway_network_id, subnet_ids):
    return dict(id=id, name=name, gateway_network_id=gateway_network_id or None, subnet_ids=sorted(set(subnet_ids)))


def _index(records):
    found = dict((kind, {}) for kind in KINDS)
    for kind in KINDS:
        for record in records[kind]:
            found[kind].setdefault(record['name'], []).append(record)
    return found


def records_from_rows(rows):
    """Records from the rows of STATEMENTS (one dict per row)."""
    segments = {}
    for row in sorted(rows['segments'], key=lambda r: r['segment_index'] or 0):
        segments.setdefault(row['network_id'], row)
    external = set(row['network_id'] for row in rows['external'])
    shared = set(row['object_id'] for row in rows['rbacs']
                 if row.get('target_project', row.get('target_tenant')) == '*')
    networks = []
    for row in rows['networks']:
        segment = segments.get(row['id'], {})
        networks.append(network_record(row['id'], row['name'], segment.get('network_type'),
                                       segment.get('physical_network'), segment.get('segmentation_id'),
                                       row['id'] in external, row['id'] in shared))
    pools, dns = {}, {}
    for row in rows['pools']:
        pools.setdefault(row['subnet_id'], []).append((row['first_ip'], row['last_ip']))
    for row in sorted(rows['dns'], key=lambda r: r['order'] or 0):
        dns.setdefault(row['subnet_id'], []).append(row['address'])
    subnets = [subnet_record(row['id'], row['name'], row['network_id'], row['cidr'], row['gateway_ip'],
                             pools.get(row['id'], []), dns.get(row['id'], []), row['enable_dhcp'])
               for row in rows['subnets']]
    interfaces = {}
    for row in rows['interfaces']:
        interfaces.setdefault(row['router_id'], []).append(row['subnet_id'])
    routers = [router_record(row['id'], row['name'], row['gateway_network_id'], interfaces.get(row['id'], []))
               for row in rows['routers']]
    return _index(dict(networks=networks, subnets=subnets, routers=routers))


def read_database(config_path):
    """Records from neutron's database, through the connection of
    ``config_path`` (neutron.conf), or None when that cannot be read."""
    if not database.HAS_PYMYSQL:
        return None
    url = database.option_value(database.config_lines(config_path), 'database', 'connection')
    if not url:
        return None
    try:
        return records_from_rows(database.query_dicts(url, STATEMENTS))
    except Exception:  # pylint: disable=broad-except
        # Unreachable, another schema: the API decides.
        return None


def build_desired(params):
    """``{kind: {name: item}}`` from the module's options, checked."""
    desired = dict((kind, {}) for kind in KINDS)
    for net in params['networks']:
        if net['name'] in desired['networks']:
            raise ModuleError('network %s is listed twice' % net['name'])
        if net['network_type'] in ('flat', 'vlan') and not net['physical_network']:
            raise ModuleError('network %s: a %s network needs physical_network' % (net['name'], net['network_type']))
        if net['network_type'] == 'flat' and net['segmentation_id'] is not None:
            raise ModuleError('network %s: a flat network has no segmentation_id' % net['name'])
        desired['networks'][net['name']] = net
        subnet = net['subnet']
        if subnet is None:
            continue
        name = subnet['name'] or net['name'] + '-subnet'
        if name in desired['subnets']:
            raise ModuleError('subnet %s is listed twice' % name)
        try:
            cidr = ipaddress.ip_network(text_type(subnet['cidr']))
        except ValueError as exc:
            raise ModuleError('subnet %s: %s' % (name, exc))
        pools = subnet['allocation_pools']
        desired['subnets'][name] = dict(
            subnet, name=name, network=net['name'], cidr=text_type(cidr), ip_version=cidr.version,
            allocation_pools=None if pools is None else _pools((p['start'], p['end']) for p in pools))
    for router in params['routers']:
        if router['name'] in desired['routers']:
            raise ModuleError('router %s is listed twice' % router['name'])
        desired['routers'][router['name']] = router
    return desired


def one(current, kind, name):
    """The one current record of ``kind`` called ``name``, or None."""
    found = current[kind].get(name, [])
    if len(found) > 1:
        raise ModuleError('%d %s are called %s: give each a name of its own' % (len(found), kind, name))
    return found[0] if found else None


def current_ids(current):
    """``{kind: {name: id}}`` of the names only one object has."""
    return dict((kind, dict((name, found[0]['id']) for name, found in current[kind].items() if len(found) == 1))
                for kind in KINDS)


class Plan(object):
    """The operations that make the current state the desired one, in the
    order they must happen: ``(operation, name, fields)``."""

    def __init__(self):
        self.operations = []

    def add(self, operation, name, **fields):
        self.operations.append((operation, name, fields))

    @property
    def changed(self):
        return bool(self.operations)

    def changes(self):
        return ['%s %s%s' % (operation.replace('_', ' '), name,
                             (': ' + ', '.join('%s=%s' % (key, fields[key]) for key in sorted(fields))) if fields else '')
                for operation, name, fields in self.operations]


def _subnet_updates(want, have):
    updates = {}
    if want['gateway'] is not None and want['gateway'] != have['gateway_ip']:
        updates['gateway_ip'] = want['gateway']
    if want['allocation_pools'] is not None and want['allocation_pools'] != have['allocation_pools']:
        updates['allocation_pools'] = want['allocation_pools']
    if list(want['dns_nameservers']) != have['dns_nameservers']:
        updates['dns_nameservers'] = list(want['dns_nameservers'])
    if want['enable_dhcp'] != have['enable_dhcp']:
        updates['enable_dhcp'] = want['enable_dhcp']
    return updates


def plan(desired, current):
    """The Plan from ``desired`` (build_desired) to ``current`` (records by
    name); ModuleError when an existing object differs in what cannot change."""
    todo, errors = Plan(), []
    networks = {}
    for name, want in desired['networks'].items():
        have = one(current, 'networks', name)
        networks[name] = have
        if have is None:
            todo.add('create_network', name)
            continue
        differ = [key for key in NETWORK_FIXED if want[key] != have[key]]
        if differ:
            errors.append('network %s exists with %s, not %s; these do not change: delete it or rename the item'
                          % (name, ', '.join('%s=%s' % (key, have[key]) for key in differ),
                             ', '.join('%s=%s' % (key, want[key]) for key in differ)))
        if want['shared'] != have['shared']:
            todo.add('update_network', name, shared=want['shared'])
    for name, want in desired['subnets'].items():
        have = one(current, 'subnets', name)
        if have is None:
            todo.add('create_subnet', name)
            continue
        network = networks[want['network']]
        if network is None or have['network_id'] != network['id']:
            errors.append('subnet %s exists on another network than %s: delete it or give another subnet name'
                          % (name, want['network']))
            continue
        if have['cidr'] != want['cidr']:
            errors.append('subnet %s has %s, not %s; a subnet\'s range does not change: delete it or give another '
                          'subnet name' % (name, have['cidr'], want['cidr']))
            continue
        updates = _subnet_updates(want, have)
        if updates:
            todo.add('update_subnet', name, **updates)
    for name, want in desired['routers'].items():
        have = one(current, 'routers', name)
        gateway = networks.get(want['external_network']) if want['external_network'] in networks \
            else one(current, 'networks', want['external_network'])
        if have is None:
            todo.add('create_router', name)
        if want['external_network'] not in desired['networks'] and gateway is None:
            errors.append('router %s: network %s does not exist' % (name, want['external_network']))
        elif have is None or gateway is None or have['gateway_network_id'] != gateway['id']:
            todo.add('set_router_gateway', name, network=want['external_network'])
        for subnet_name in want['subnets']:
            subnet = one(current, 'subnets', subnet_name)
            if subnet_name not in desired['subnets'] and subnet is None:
                errors.append('router %s: subnet %s does not exist' % (name, subnet_name))
            elif have is None or subnet is None or subnet['id'] not in have['subnet_ids']:
                todo.add('add_router_interface', name, subnet=subnet_name)
    if errors:
        raise ModuleError('; '.join(errors))
    return todo


def _status(exc):
    return getattr(exc, 'status_code', None) or getattr(getattr(exc, 'response', None), 'status_code', None)


def _retryable(exc):
    return _status(exc) in RETRY_STATUS or type(exc).__name__ in ('ConnectFailure', 'ConnectTimeout')


class NetworkApi(object):
    """neutron's API through one openstacksdk connection (0.101 and later)."""

    def __init__(self, conn, wait=120):
        self.conn = conn
        self.wait = wait

    @staticmethod
    def sleep(seconds):
        time.sleep(seconds)

    @staticmethod
    def clock():
        return time.time()

    def _retry(self, call):
        deadline = self.clock() + self.wait
        while True:
            try:
                return call()
            except Exception as exc:  # pylint: disable=broad-except
                if not _retryable(exc) or self.clock() >= deadline:
                    raise
                self.sleep(5)

    def read(self, routers=True):
        """The records; ``routers`` False: none listed (neutron without its
        L3 plugin answers 404 to /routers)."""
        net = self.conn.network
        networks = [network_record(n.id, n.name, n.provider_network_type, n.provider_physical_network,
                                   n.provider_segmentation_id, n.is_router_external, n.is_shared)
                    for n in self._retry(lambda: list(net.networks()))]
        subnets = [subnet_record(s.id, s.name, s.network_id, s.cidr, s.gateway_ip,
                                 [(p['start'], p['end']) for p in s.allocation_pools or []],
                                 s.dns_nameservers or [], s.is_dhcp_enabled)
                   for s in net.subnets()]
        routers = [router_record(r.id, r.name, (r.external_gateway_info or {}).get('network_id'),
                                 [ip['subnet_id'] for port in net.ports(device_id=r.id)
                                  if port.device_owner in ROUTER_INTERFACE_OWNERS for ip in port.fixed_ips or []])
                   for r in (net.routers() if routers else [])]
        return _index(dict(networks=networks, subnets=subnets, routers=routers))

    def alive_agents(self):
        return sorted(agent.agent_type for agent in self.conn.network.agents() if agent.is_alive)

    def wait_for_agents(self, types, dhcp, timeout):
        deadline = self.clock() + timeout
        while True:
            alive = self.alive_agents()
            if set(types) <= set(alive) and alive.count('DHCP agent') >= dhcp:
                return alive
            if self.clock() >= deadline:
                raise ModuleError('after %d s, the alive agents are %s; a network is created only once %s and %d DHCP '
                                  'agent(s) are alive (see openstack network agent list)'
                                  % (timeout, ', '.join(alive) or 'none', ', '.join(types), dhcp))
            self.sleep(5)

    def project_id(self, name):
        return self.conn.identity.find_project(name, ignore_missing=False).id

    def apply(self, todo, desired, current):
        """Carry out ``todo``; the ids of what exists afterwards, by kind and name."""
        ids = current_ids(current)
        net = self.conn.network
        for operation, name, fields in todo.operations:
            if operation == 'create_network':
                want = desired['networks'][name]
                args = dict(name=name, provider_network_type=want['network_type'],
                            is_router_external=want['external'], is_shared=want['shared'])
                if want['physical_network']:
                    args['provider_physical_network'] = want['physical_network']
                if want['segmentation_id'] is not None:
                    args['provider_segmentation_id'] = want['segmentation_id']
                if want['project']:
                    args['project_id'] = self.project_id(want['project'])
                ids['networks'][name] = net.create_network(**args).id
            elif operation == 'update_network':
                net.update_network(ids['networks'][name], is_shared=fields['shared'])
            elif operation == 'create_subnet':
                want = desired['subnets'][name]
                args = dict(name=name, network_id=ids['networks'][want['network']], cidr=want['cidr'],
                            ip_version=want['ip_version'], is_dhcp_enabled=want['enable_dhcp'],
                            dns_nameservers=list(want['dns_nameservers']))
                if want['gateway'] is not None:
                    args['gateway_ip'] = want['gateway']
                if want['allocation_pools'] is not None:
                    args['allocation_pools'] = [dict(start=s, end=e) for s, e in want['allocation_pools']]
                project = desired['networks'][want['network']]['project']
                if project:
                    args['project_id'] = self.project_id(project)
                ids['subnets'][name] = net.create_subnet(**args).id
            elif operation == 'update_subnet':
                args = dict(fields)
                if 'enable_dhcp' in args:
                    args['is_dhcp_enabled'] = args.pop('enable_dhcp')
                if 'allocation_pools' in args:
                    args['allocation_pools'] = [dict(start=s, end=e) for s, e in args['allocation_pools']]
                net.update_subnet(ids['subnets'][name], **args)
            elif operation == 'create_router':
                ids['routers'][name] = net.create_router(name=name).id
            elif operation == 'set_router_gateway':
                net.update_router(ids['routers'][name],
                                  external_gateway_info=dict(network_id=ids['networks'][fields['network']]))
            elif operation == 'add_router_interface':
                net.add_interface_to_router(ids['routers'][name], subnet_id=ids['subnets'][fields['subnet']])
        return ids
