# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Peers and cells derived from inventories shaped like inventories/aio and
inventories/multinode, and from one with a second region."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackcraft.openstack.plugins.plugin_utils.topology import (
    address_of, api_address_of, api_url_of, cell_of, in_region, peer, region_of, regions_of)

AIO_GROUPS = {g: ['aio'] for g in ('database', 'messaging', 'identity', 'image', 'placement',
                                   'compute_controller', 'compute', 'network', 'dashboard')}
AIO_GROUPS['all'] = ['aio']
AIO_HOSTVARS = {'aio': {'ansible_host': '10.0.0.11'}}

MULTI_GROUPS = {
    'all': ['controller', 'network1', 'compute1', 'compute2'],
    'database': ['controller'], 'messaging': ['controller'], 'identity': ['controller'],
    'compute_controller': ['controller'], 'network': ['network1'],
    'compute': ['compute1', 'compute2'], 'cell_cell2': ['network1', 'compute2'],
}
MULTI_HOSTVARS = {h: {'ansible_host': '10.0.0.%d' % i} for i, h in enumerate(MULTI_GROUPS['all'], 11)}

# Region two: its own everything but keystone and the dashboard.
REGION_GROUPS = {
    'all': ['controller', 'compute1', 'region2', 'r2compute'],
    'identity': ['controller'], 'dashboard': ['controller'],
    'database': ['controller', 'region2'], 'compute_controller': ['controller', 'region2'],
    'compute': ['compute1', 'r2compute'], 'network': ['controller', 'region2'],
}
REGION_HOSTVARS = {
    'controller': {'ansible_host': '10.0.0.11'},
    'compute1': {},
    'region2': {'ansible_host': '10.0.0.15', 'openstack_region_name': 'RegionTwo'},
    'r2compute': {'openstack_region_name': 'RegionTwo'},
}


def test_aio_every_group_is_the_host_itself():
    for group in AIO_GROUPS:
        assert peer(group, AIO_GROUPS, AIO_HOSTVARS, 'aio') == 'aio'
    assert address_of(AIO_HOSTVARS, 'aio') == '10.0.0.11'
    assert cell_of(AIO_GROUPS, AIO_HOSTVARS, 'aio') == {'name': '', 'controllers': [], 'controller': '', 'multi': False}


def test_missing_group_is_the_current_host():
    assert peer('placement', MULTI_GROUPS, MULTI_HOSTVARS, 'compute1') == 'compute1'
    assert address_of(MULTI_HOSTVARS, 'nohost') == 'nohost'


def test_multinode_peers_and_cells():
    assert peer('database', MULTI_GROUPS, MULTI_HOSTVARS, 'compute2') == 'controller'
    assert address_of(MULTI_HOSTVARS, peer('messaging', MULTI_GROUPS, MULTI_HOSTVARS, 'compute1')) == '10.0.0.11'
    assert cell_of(MULTI_GROUPS, MULTI_HOSTVARS, 'compute2') == {
        'name': 'cell2', 'controllers': ['network1'], 'controller': 'network1', 'multi': True}
    assert cell_of(MULTI_GROUPS, MULTI_HOSTVARS, 'network1')['controller'] == 'network1'
    # compute1 is in the default cell, in a region that has a child cell.
    assert cell_of(MULTI_GROUPS, MULTI_HOSTVARS, 'compute1') == {
        'name': '', 'controllers': [], 'controller': '', 'multi': True}


def test_regions_keep_their_own_services_and_share_keystone():
    assert region_of(REGION_HOSTVARS, 'compute1') == 'RegionOne'
    assert region_of(REGION_HOSTVARS, 'r2compute') == 'RegionTwo'
    assert peer('database', REGION_GROUPS, REGION_HOSTVARS, 'compute1') == 'controller'
    assert peer('database', REGION_GROUPS, REGION_HOSTVARS, 'r2compute') == 'region2'
    assert peer('compute_controller', REGION_GROUPS, REGION_HOSTVARS, 'r2compute') == 'region2'
    assert peer('identity', REGION_GROUPS, REGION_HOSTVARS, 'r2compute') == 'controller'
    assert peer('dashboard', REGION_GROUPS, REGION_HOSTVARS, 'region2') == 'controller'
    assert in_region('network', REGION_GROUPS, REGION_HOSTVARS, 'RegionTwo') == ['region2']
    assert in_region('compute', REGION_GROUPS, REGION_HOSTVARS, 'RegionOne') == ['compute1']
    # A group only the other region has is not borrowed (except shared ones).
    assert peer('image', {'image': ['controller']}, REGION_HOSTVARS, 'region2') == 'region2'
    assert peer('database', REGION_GROUPS, REGION_HOSTVARS, 'compute1', region='RegionTwo') == 'region2'


def test_regions_each_once_in_host_order_and_empty_is_the_default():
    assert regions_of(REGION_HOSTVARS, REGION_GROUPS['all']) == ['RegionOne', 'RegionTwo']
    assert regions_of(REGION_HOSTVARS, ['r2compute', 'controller', 'region2']) == ['RegionTwo', 'RegionOne']
    assert regions_of(REGION_HOSTVARS, []) == []
    # Unset, empty and unknown hosts: the default region.
    assert regions_of({'a': {'openstack_region_name': ''}, 'b': {}}, ['a', 'b', 'c']) == ['RegionOne']


def test_cells_count_per_region():
    groups = dict(REGION_GROUPS, cell_cell2=['controller2', 'compute3'], compute=['compute1', 'compute3', 'r2compute'])
    hostvars = dict(REGION_HOSTVARS, controller2={}, compute3={})
    assert cell_of(groups, hostvars, 'compute3')['name'] == 'cell2'
    assert cell_of(groups, hostvars, 'compute1')['multi'] is True
    assert cell_of(groups, hostvars, 'r2compute')['multi'] is False
    # An empty cell_ group (no name) is no cell.
    assert cell_of({'cell_': ['compute1'], 'compute': ['compute1']}, {}, 'compute1')['name'] == ''


def test_api_address_is_the_hosts_own():
    hostvars = {'ctl': {'ansible_host': '10.0.0.11', 'openstack_internal_address': 'ctl.internal',
                        'openstack_public_address': 'cloud.example.org'},
                'r2': {'ansible_host': '10.0.0.15'}, 'bare': {}}
    assert api_address_of(hostvars, 'ctl') == 'ctl.internal'
    assert api_address_of(hostvars, 'ctl', 'public') == 'cloud.example.org'
    assert api_address_of(hostvars, 'r2', 'public') == '10.0.0.15'
    assert api_address_of(hostvars, 'bare') == 'bare'
    assert api_address_of(hostvars, 'unknown') == 'unknown'


class Marker(object):
    """Stands for Ansible's undefined marker: what templating a hostvars
    reference from another host's variables gives."""


def test_api_address_skips_a_value_that_is_no_string():
    hostvars = {'ctl': {'ansible_host': '10.0.0.11', 'openstack_management_address': '192.0.2.11',
                        'openstack_internal_address': Marker()}}
    assert api_address_of(hostvars, 'ctl') == '192.0.2.11'
    hostvars['ctl']['openstack_management_address'] = Marker()
    assert api_address_of(hostvars, 'ctl') == '10.0.0.11'


def test_api_url_scheme_address_and_port():
    hostvars = {'ctl': {'ansible_host': '10.0.0.11', 'openstack_public_address': 'cloud.example.org'},
                'v6': {'ansible_host': 'fd00::11', 'keystone_port': '35357', 'glance_port': Marker()}}
    assert api_url_of(hostvars, 'ctl', 'identity', False) == 'http://10.0.0.11:5000'
    assert api_url_of(hostvars, 'ctl', 'identity', True, 'public') == 'https://cloud.example.org:5000'
    assert api_url_of(hostvars, 'ctl', 'compute_controller', False) == 'http://10.0.0.11:8774'
    # The inventory's port; a value that is no port gives the default.
    assert api_url_of(hostvars, 'v6', 'identity', False) == 'http://[fd00::11]:35357'
    assert api_url_of(hostvars, 'v6', 'image', True) == 'https://[fd00::11]:9292'
    try:
        api_url_of(hostvars, 'ctl', 'database', False)
    except KeyError:
        pass
    else:
        raise AssertionError('the database group has no API URL')
