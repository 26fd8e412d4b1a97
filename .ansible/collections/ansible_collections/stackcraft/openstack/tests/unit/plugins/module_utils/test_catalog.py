# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The pure parts of catalog.py: keying, planning, protection, ordering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stackcraft.openstack.plugins.module_utils import catalog
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError

RAW = {
    'regions': [{'id': 'RegionOne', 'description': None, 'parent_region_id': None},
                {'id': 'Edge1', 'description': None, 'parent_region_id': 'RegionOne'}],
    'domains': [{'id': 'default', 'name': 'Default', 'description': '', 'enabled': True}],
    'projects': [{'id': 'p-admin', 'name': 'admin', 'domain_id': 'default', 'description': None, 'enabled': True}],
    'roles': [{'id': 'r-admin', 'name': 'admin', 'description': None, 'domain_id': None},
              {'id': 'r-dom', 'name': 'special', 'description': None, 'domain_id': 'default'}],
    'services': [{'id': 's2', 'name': 'nova', 'type': 'compute', 'description': None, 'enabled': True},
                 {'id': 's1', 'name': 'nova', 'type': 'compute', 'description': None, 'enabled': True},
                 {'id': 'sk', 'name': 'keystone', 'type': 'identity', 'description': None, 'enabled': True}],
    'endpoints': [{'id': 'e1', 'service_id': 's1', 'region_id': 'RegionOne', 'interface': 'public', 'url': 'http://a', 'enabled': True},
                  {'id': 'e2', 'service_id': 's2', 'region_id': 'RegionOne', 'interface': 'public', 'url': 'http://b', 'enabled': True},
                  {'id': 'ek', 'service_id': 'sk', 'region_id': 'Edge1', 'interface': 'public', 'url': 'http://k', 'enabled': True}],
    'users': [{'id': 'u-admin', 'name': 'admin', 'domain_id': 'default', 'description': None, 'email': None,
               'enabled': True, 'default_project_id': 'p-admin'}],
    'role_assignments': [{'role_id': 'r-admin', 'user_id': 'u-admin', 'project_id': 'p-admin'},
                         {'role_id': 'r-admin', 'user_id': 'u-admin', 'system': 'all'},
                         {'role_id': 'r-dom', 'user_id': 'u-admin', 'domain_id': 'default'}],
}


def current():
    return catalog.build_current(RAW)


def test_build_current_keys_by_names_and_splits_duplicates():
    cur = current()
    # The oldest (smallest id) duplicate keeps the key; the other is set apart.
    assert cur['services'][('nova', 'compute')].id == 's1'
    dup_key = ('nova', 'compute', catalog.Unknown('s2'))
    assert cur['services'][dup_key].id == 's2'
    assert cur['endpoints'][('nova', 'compute', 'RegionOne', 'public')].id == 'e1'
    # The duplicate's endpoint is never "listed": its key carries its own id.
    assert ('nova', 'compute', 'RegionOne', 'public', catalog.Unknown('e2')) in cur['endpoints']
    assert cur['users'][('Default', 'admin')].attrs['default_project'] == ('Default', 'admin')
    assert ('user', 'Default', 'admin') == cur['role_assignments'][
        ('admin', 'user', 'Default', 'admin', 'system', None, 'all', False)].key[1:4]
    # A domain-specific role is not named; its assignment keeps the role id.
    assert ((catalog.Unknown('r-dom'), 'user', 'Default', 'admin', 'domain', None, 'Default', False)
            in cur['role_assignments'])
    assert catalog.label('services', dup_key) == 'nova/compute [<id s2>]'


def test_needed_categories():
    assert catalog.needed_categories({'endpoints': [{'service': 'x'}]}) == ['regions', 'services', 'endpoints']
    assert catalog.needed_categories({'role_assignments': [{'user': 'u'}]}) == [
        'domains', 'projects', 'roles', 'users', 'role_assignments']
    # A deleted service takes its endpoints along: they must be listed too.
    assert catalog.needed_categories({'services': [{'name': 'x', 'state': 'absent'}]}) == [
        'regions', 'services', 'endpoints']
    assert 'groups' in catalog.needed_categories({'prune': ['role_assignments']})


def desired(**params):
    return catalog.build_desired(params)


def test_plan_noop_update_create():
    cur = current()
    want = desired(default_region='RegionOne',
                   services=[{'name': 'nova', 'type': 'compute', 'description': ''}],
                   endpoints=[{'service': 'nova', 'interface': 'public', 'url': 'http://a'},
                              {'service': 'nova', 'interface': 'internal', 'url': 'http://i'}],
                   users=[{'name': 'admin', 'email': 'root@example.org'}])
    result = catalog.plan(want, cur)
    # '' and keystone's missing description are the same thing.
    assert [(op['action'], op['category'], op['key']) for op in result.ops] == [
        ('create', 'endpoints', ('nova', 'compute', 'RegionOne', 'internal')),
        ('update', 'users', ('Default', 'admin'))]
    assert result.ops[1]['changes'] == {'email': (None, 'root@example.org')}


def test_plan_orders_regions_parents_first_and_deletes_children_first():
    want = desired(regions=[{'name': 'C', 'parent': 'B'}, {'name': 'B', 'parent': 'A'}, {'name': 'A'}])
    assert [op['key'] for op in catalog.plan(want, {}).ops] == [('A',), ('B',), ('C',)]
    cur = current()
    result = catalog.plan(desired(regions=[{'name': 'RegionOne', 'state': 'absent'}]), cur)
    # Edge1 is RegionOne's child and holds an endpoint: all go, dependents first.
    assert [(op['category'], catalog.label(op['category'], op['key'])) for op in result.ops] == [
        ('endpoints', 'keystone/public/Edge1'), ('endpoints', 'nova/public/RegionOne'),
        ('endpoints', 'nova/public/RegionOne [<id e2>]'), ('regions', 'Edge1'), ('regions', 'RegionOne')]
    with pytest.raises(ModuleError, match='loop'):
        catalog.plan(desired(regions=[{'name': 'X', 'parent': 'Y'}, {'name': 'Y', 'parent': 'X'}]), {})


def test_prune_keeps_protected_and_what_they_need():
    cur = current()
    protected = catalog.protected_refs(cur, 'u-admin', 'p-admin')
    assert ('services', ('keystone', 'identity')) in protected
    assert ('endpoints', ('keystone', 'identity', 'Edge1', 'public')) in protected
    result = catalog.plan(desired(), cur, prune=list(catalog.CATEGORIES), protected=protected)
    deleted = [(op['category'], catalog.label(op['category'], op['key'])) for op in result.ops]
    # Both nova services and their endpoints go; keystone's endpoint keeps
    # Edge1 and through it RegionOne; admin keeps its project, domain, roles
    # and every assignment (even one with a role prune cannot name).
    assert deleted == [
        ('endpoints', 'nova/public/RegionOne'), ('endpoints', 'nova/public/RegionOne [<id e2>]'),
        ('services', 'nova/compute'), ('services', 'nova/compute [<id s2>]')]


def test_explicit_absent_conflicting_with_a_kept_object_fails():
    cur = current()
    want = desired(services=[{'name': 'keystone', 'type': 'identity', 'state': 'absent'}],
                   endpoints=[{'service': 'keystone', 'service_type': 'identity', 'interface': 'public',
                               'region': 'Edge1', 'url': 'http://k'}])
    with pytest.raises(ModuleError, match='listed with state=absent'):
        catalog.plan(want, cur)
    want = desired(domains=[{'name': 'Default', 'state': 'absent'}], projects=[{'name': 'admin'}])
    with pytest.raises(ModuleError, match='listed with state=absent'):
        catalog.plan(want, cur)


def test_listed_twice_fails():
    with pytest.raises(ModuleError, match='listed twice'):
        catalog.plan(desired(roles=[{'name': 'a'}, {'name': 'a'}]), {})


def test_password_check_only_for_always_and_enabled_users():
    cur = current()
    asked = []

    def password_ok(user_id, password):
        asked.append((user_id, password))
        return password == 'right'

    for mode, password, changed in (('always', 'right', False), ('always', 'wrong', True), ('on_create', 'wrong', False)):
        want = desired(users=[{'name': 'admin', 'password': password, 'update_password': mode}])
        assert catalog.password_checks(want, cur) == ([('u-admin', password)] if mode == 'always' else [])
        assert catalog.plan(want, cur, password_ok=password_ok).changed is changed
    assert asked == [('u-admin', 'right'), ('u-admin', 'wrong')]


def test_apply_resolves_names_to_new_ids():
    class Backend(object):
        def __init__(self):
            self.calls = []

        def run_all(self, calls, names):
            return [func(*args) for func, args in calls]

        def create(self, category, fields):
            self.calls.append((category, fields))
            return 'new-%s' % fields.get('name', fields.get('interface'))

    want = desired(services=[{'name': 'glance', 'type': 'image'}],
                   endpoints=[{'service': 'glance', 'interface': 'public', 'region': 'RegionOne', 'url': 'http://g'}],
                   users=[{'name': 'glance', 'default_project': 'admin', 'password': 'x'}],
                   role_assignments=[{'user': 'glance', 'project': 'admin', 'role': 'admin'}])
    cur = current()
    backend = Backend()
    ids = catalog.apply(catalog.plan(want, cur), cur, backend)
    assert backend.calls == [
        ('services', {'name': 'glance', 'type': 'image'}),
        ('endpoints', {'service_id': 'new-glance', 'region_id': 'RegionOne', 'interface': 'public', 'url': 'http://g'}),
        ('users', {'name': 'glance', 'domain_id': 'default', 'default_project_id': 'p-admin', 'password': 'x'}),
        ('role_assignments', {'role': 'r-admin', 'actor_type': 'user', 'actor': 'new-glance', 'scope_type': 'project',
                              'scope': 'p-admin'})]
    assert catalog.result_ids(want, ids)['endpoints'] == {'glance/public/RegionOne': 'new-public'}
