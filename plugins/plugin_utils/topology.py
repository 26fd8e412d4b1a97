# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who serves whom in a stackcraft inventory: the one place that derives a
host's peers (its database, broker, keystone, nova API host ...) and its
nova cell from the inventory groups, for the lookups peer and cell."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_REGION = 'RegionOne'
# Groups that serve every region from wherever they are.
SHARED_GROUPS = ('identity', 'dashboard')
CELL_PREFIX = 'cell_'
# The API groups a URL is asked of: the serving host's port variable (the
# role's default port unless the inventory sets it) and that default.
API_PORTS = {
    'identity': ('keystone_port', 5000),
    'image': ('glance_port', 9292),
    'placement': ('placement_port', 8778),
    'compute_controller': ('nova_controller_api_port', 8774),
    'network_controller': ('nova_network_port', 9696),
}


def region_of(hostvars, host):
    """The region of an inventory host: its openstack_region_name."""
    try:
        region = hostvars[host].get('openstack_region_name')
    except KeyError:
        region = None
    return region or DEFAULT_REGION


def regions_of(hostvars, hosts):
    """The regions of ``hosts``, each once, in the hosts' order."""
    out = []
    for host in hosts:
        region = region_of(hostvars, host)
        if region not in out:
            out.append(region)
    return out


def in_region(group, groups, hostvars, region):
    """The hosts of ``group`` in ``region``, in inventory order."""
    return [host for host in groups.get(group) or [] if region_of(hostvars, host) == region]


def address_of(hostvars, host):
    """How the controller reaches a host: its ansible_host, else its name."""
    try:
        return hostvars[host].get('ansible_host') or host
    except KeyError:
        return host


def api_address_of(hostvars, host, interface='internal'):
    """Where a host's APIs are reached (interface internal or public): its own
    openstack_<interface>_address (a region's address or VIP, templated in its
    context), else the internal one, else its openstack_management_address,
    else its ansible_host, else its name.

    A value that itself reads hostvars (inventories/aio's
    ``hostvars[groups['identity'][0]]['openstack_management_address']``)
    cannot be templated from another host's variables, where Ansible offers
    no hostvars: it comes back as Ansible's undefined marker, not a string,
    and the next name is tried."""
    names = ['openstack_public_address'] if interface == 'public' else []
    for name in names + ['openstack_internal_address', 'openstack_management_address']:
        try:
            value = hostvars[host].get(name)
        except KeyError:
            value = None
        if isinstance(value, str) and value:
            return value
    return address_of(hostvars, host)


def api_url_of(hostvars, host, group, tls, interface='internal'):
    """The root URL of ``group``'s API on ``host``: https when ``tls`` (the
    deployment's openstack_tls), else http; the host's API address for that
    interface; the port the inventory gives the host (API_PORTS), else the
    role's default. A group with no API here raises KeyError."""
    name, default = API_PORTS[group]
    try:
        port = hostvars[host].get(name)
    except KeyError:
        port = None
    if not (isinstance(port, int) or (isinstance(port, str) and port.isdigit())):
        port = default
    address = api_address_of(hostvars, host, interface)
    if ':' in address and not address.startswith('['):
        address = '[%s]' % address
    return '%s://%s:%s' % ('https' if tls else 'http', address, port)


def peer(group, groups, hostvars, current, region=None, shared=SHARED_GROUPS):
    """The first host of ``group`` in ``region`` (default: the current host's),
    or anywhere for a shared group; else ``current`` itself (a role used on
    its own; the deployment's preflight refuses such an inventory first)."""
    region = region or region_of(hostvars, current)
    local = in_region(group, groups, hostvars, region)
    if local:
        return local[0]
    members = list(groups.get(group) or [])
    if members and group in shared:
        return members[0]
    return current


def cell_of(groups, hostvars, current):
    """The child cell of ``current`` (from its group cell_<name>), as a dict:
    name ('' at the API level's default cell), controllers (the cell's hosts
    that are not compute hosts; the first writes the cell's database and
    mapping), controller (the first, '' without) and multi (whether the
    current host's region has any child cell, which changes nova's settings)."""
    region = region_of(hostvars, current)
    cell_groups = sorted(name for name in groups if name.startswith(CELL_PREFIX) and len(name) > len(CELL_PREFIX))
    mine = [name for name in cell_groups if current in (groups.get(name) or [])]
    computes = set(groups.get('compute') or [])
    name = mine[0][len(CELL_PREFIX):] if mine else ''
    controllers = [host for host in groups.get(mine[0]) or [] if host not in computes] if mine else []
    return {
        'name': name,
        'controllers': controllers,
        'controller': controllers[0] if controllers else '',
        'multi': any(in_region(group, groups, hostvars, region) for group in cell_groups),
    }
