# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""keystone_catalog run in-process against a fake openstacksdk connection.

The fake identity proxy keeps its objects in dicts and enforces what
keystone enforces (unique names, an enabled domain cannot be deleted, a
region with endpoints cannot be deleted, references must exist), so
creates, updates, deletes and the following no-op runs really happen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools
import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils import catalog_db
from ansible_collections.stackcraft.openstack.plugins.modules import keystone_catalog

# The SDK resource attributes our backend reads, per category.
FIELDS = {
    'region': ('description', 'parent_region_id'),
    'domain': ('name', 'description', 'is_enabled'),
    'project': ('name', 'domain_id', 'description', 'is_enabled'),
    'role': ('name', 'description', 'domain_id'),
    'group': ('name', 'domain_id', 'description'),
    'service': ('name', 'type', 'description', 'is_enabled'),
    'endpoint': ('service_id', 'region_id', 'interface', 'url', 'is_enabled'),
    'user': ('name', 'domain_id', 'description', 'email', 'is_enabled', 'default_project_id', 'password'),
}
UNIQUE = {
    'domain': ('name',), 'project': ('domain_id', 'name'), 'role': ('name',), 'group': ('domain_id', 'name'),
    'user': ('domain_id', 'name'),
}
REFS = {
    'project': {'domain_id': 'domain'}, 'group': {'domain_id': 'domain'}, 'user': {'domain_id': 'domain'},
    'endpoint': {'service_id': 'service', 'region_id': 'region'}, 'region': {'parent_region_id': 'region'},
}


class Obj(object):
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class Response(object):
    def __init__(self, status_code):
        self.status_code = status_code


class FakeIdentity(object):
    """Enough of openstacksdk's identity proxy, with state in dicts."""

    def __init__(self):
        self.store = dict((kind, {}) for kind in FIELDS)
        self.assignments = set()  # (role_id, actor_type, actor_id, scope_type, scope_id)
        self.log = []
        self._ids = itertools.count(1)

    # -- generic CRUD -----------------------------------------------------
    def _obj(self, kind, obj_id):
        rec = self.store[kind][obj_id]
        return Obj(id=obj_id, **dict((f, rec.get(f)) for f in FIELDS[kind]))

    def _check(self, kind, rec, obj_id=None):
        for field, target in REFS.get(kind, {}).items():
            if rec.get(field) is not None and rec[field] not in self.store[target]:
                raise RuntimeError('409: %s %s does not exist' % (target, rec[field]))
        if kind in UNIQUE:
            unique = tuple(rec.get(f) for f in UNIQUE[kind])
            for other_id, other in self.store[kind].items():
                if other_id != obj_id and tuple(other.get(f) for f in UNIQUE[kind]) == unique:
                    raise RuntimeError('409 Conflict: duplicate %s %s' % (kind, unique))

    def create(self, kind, **attrs):
        unknown = set(attrs) - set(FIELDS[kind]) - set(['id'])
        assert not unknown, 'create_%s got %s' % (kind, unknown)
        obj_id = attrs.pop('id', None) or '%s-%d' % (kind, next(self._ids))
        rec = dict((f, None) for f in FIELDS[kind])
        if 'is_enabled' in rec:
            rec['is_enabled'] = True
        rec.update(attrs)
        self._check(kind, rec)
        self.store[kind][obj_id] = rec
        self.log.append(('create', kind, obj_id))
        return self._obj(kind, obj_id)

    def update(self, kind, obj_id, **attrs):
        assert not set(attrs) - set(FIELDS[kind]), 'update_%s got %s' % (kind, attrs)
        rec = dict(self.store[kind][obj_id], **attrs)
        self._check(kind, rec, obj_id)
        self.store[kind][obj_id] = rec
        self.log.append(('update', kind, obj_id, tuple(sorted(attrs))))
        return self._obj(kind, obj_id)

    def delete(self, kind, obj_id, ignore_missing=True):
        assert ignore_missing is False
        if obj_id not in self.store[kind]:
            raise RuntimeError('404: %s %s' % (kind, obj_id))
        if kind == 'domain' and self.store[kind][obj_id]['is_enabled']:
            raise RuntimeError('403: cannot delete an enabled domain')
        if kind == 'region' and any(e['region_id'] == obj_id for e in self.store['endpoint'].values()):
            raise RuntimeError('403: region %s has endpoints' % obj_id)
        del self.store[kind][obj_id]
        self.log.append(('delete', kind, obj_id))

    def listing(self, kind):
        self.log.append(('list', kind))
        return [self._obj(kind, obj_id) for obj_id in sorted(self.store[kind])]

    def __getattr__(self, name):
        for verb in ('create', 'update', 'delete'):
            if name.startswith(verb + '_') and name[len(verb) + 1:] in FIELDS:
                kind = name[len(verb) + 1:]
                return lambda *args, **kwargs: getattr(self, verb)(kind, *args, **kwargs)
        if name.endswith('s') and name[:-1] in FIELDS:
            return lambda: self.listing(name[:-1])
        raise AttributeError(name)

    # -- role assignments -------------------------------------------------
    def role_assignments(self):
        self.log.append(('list', 'role_assignment'))
        result = []
        for role, actor_type, actor, scope_type, scope in sorted(self.assignments):
            scope_dict = {'system': {'all': True}} if scope_type == 'system' else {scope_type: {'id': scope}}
            result.append(Obj(role={'id': role}, user={'id': actor} if actor_type == 'user' else None,
                              group={'id': actor} if actor_type == 'group' else None, scope=scope_dict))
        return result

    def _assignment(self, add, scope_type, scope, actor_type, actor, role):
        assert role in self.store['role'] and actor in self.store[actor_type]
        assert scope_type == 'system' or scope in self.store[scope_type]
        key = (role, actor_type, actor, scope_type, scope)
        (self.assignments.add if add else self.assignments.remove)(key)
        self.log.append(('assign' if add else 'unassign', key))

    def assign_project_role_to_user(self, project, user, role):
        self._assignment(True, 'project', project, 'user', user, role)

    def unassign_project_role_from_user(self, project, user, role):
        self._assignment(False, 'project', project, 'user', user, role)

    def assign_project_role_to_group(self, project, group, role):
        self._assignment(True, 'project', project, 'group', group, role)

    def assign_domain_role_to_user(self, domain, user, role):
        self._assignment(True, 'domain', domain, 'user', user, role)

    def unassign_project_role_from_group(self, project, group, role):
        self._assignment(False, 'project', project, 'group', group, role)

    def unassign_domain_role_from_user(self, domain, user, role):
        self._assignment(False, 'domain', domain, 'user', user, role)

    def assign_system_role_to_user(self, user, role, system):
        self._assignment(True, 'system', system, 'user', user, role)

    def unassign_system_role_from_user(self, user, role, system):
        self._assignment(False, 'system', system, 'user', user, role)

    # -- password check: POST /auth/tokens without our token --------------
    def post(self, url, json=None, authenticated=True, raise_exc=True):
        assert url == '/auth/tokens' and authenticated is False and raise_exc is False
        user = json['auth']['identity']['password']['user']
        self.log.append(('auth', user['id']))
        rec = self.store['user'].get(user['id'])
        ok = rec is not None and rec['is_enabled'] and rec['password'] == user['password']
        return Response(201 if ok else 401)

    # -- helpers for the tests ----------------------------------------------
    def writes(self):
        return [entry for entry in self.log if entry[0] not in ('list', 'auth')]

    def find(self, kind, **match):
        found = [obj_id for obj_id, rec in self.store[kind].items() if all(rec.get(k) == v for k, v in match.items())]
        assert len(found) == 1, (kind, match, found)
        return found[0]


class FakeConnection(object):
    def __init__(self, identity):
        self.identity = identity
        self.current_user_id = None
        self.current_project_id = None


def bootstrap():
    """What keystone-manage bootstrap leaves behind."""
    ks = FakeIdentity()
    ks.create('domain', id='default', name='Default', description='The default domain')
    admin_project = ks.create('project', name='admin', domain_id='default').id
    admin = ks.create('user', name='admin', domain_id='default', password='adminpass').id
    for name in ('admin', 'member', 'reader'):
        ks.create('role', name=name)
    ks.create('region', id='RegionOne')
    identity = ks.create('service', name='keystone', type='identity').id
    for interface in ('public', 'internal', 'admin'):
        ks.create('endpoint', service_id=identity, region_id='RegionOne', interface=interface, url='http://ctl:5000/v3/')
    admin_role = ks.find('role', name='admin')
    ks.assign_project_role_to_user(admin_project, admin, admin_role)
    ks.assign_system_role_to_user(admin, admin_role, 'all')
    ks.log = []
    return ks


SERVICES = [('keystone', 'identity', 5000, '/v3/'), ('glance', 'image', 9292, ''), ('nova', 'compute', 8774, '/v2.1'),
            ('placement', 'placement', 8778, ''), ('neutron', 'network', 9696, '')]
USERS = ['glance', 'nova', 'placement', 'neutron']


def aio(**overrides):
    args = dict(
        cloud='test',
        default_region='RegionOne',
        regions=[{'name': 'RegionOne'}],
        projects=[{'name': 'service', 'description': 'Service project'}],
        services=[{'name': name, 'type': stype} for name, stype, port, path in SERVICES],
        endpoints=[{'service': name, 'interface': interface, 'url': 'http://ctl:%d%s' % (port, path)}
                   for name, stype, port, path in SERVICES for interface in ('public', 'internal', 'admin')],
        users=[{'name': name, 'password': name + '-Secret1', 'update_password': 'always'} for name in USERS],
        role_assignments=[{'user': name, 'project': 'service', 'role': 'admin'} for name in USERS],
    )
    args.update(overrides)
    return args


@pytest.fixture
def keystone(monkeypatch):
    ks = bootstrap()
    conn = FakeConnection(ks)
    conn.current_user_id = ks.find('user', name='admin')
    conn.current_project_id = ks.find('project', name='admin')
    monkeypatch.setattr(keystone_catalog, 'connect', lambda module: conn)
    return ks


def run(capsys, **args):
    """Run the module; return (exit code, result dict, raw stdout)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            keystone_catalog.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def test_aio_catalog_created_then_idempotent(capsys, keystone):
    code, result, out = run(capsys, **aio())
    assert code == 0 and result['changed'] is True
    changes = result['changes']
    assert changes['services']['created'] == ['glance/image', 'nova/compute', 'placement/placement', 'neutron/network']
    assert len(changes['endpoints']['created']) == 12
    assert changes['users']['created'] == ['Default/glance', 'Default/nova', 'Default/placement', 'Default/neutron']
    assert len(changes['role_assignments']['created']) == 4
    assert changes['projects']['created'] == ['Default/service']
    # Keystone's own endpoints carried '/v3/' already: nothing to do there.
    assert changes['endpoints']['updated'] == {} and changes['regions'] == dict(created=[], updated={}, deleted=[])
    # Every write happened, in dependency order, and nothing was deleted.
    kinds = [entry[1] if entry[0] != 'assign' else 'role_assignment' for entry in keystone.writes()]
    order = ['project', 'service', 'endpoint', 'user', 'role_assignment']
    assert kinds == sorted(kinds, key=order.index)
    assert len(kinds) == 1 + 4 + 12 + 4 + 4
    # The ids returned are the ones keystone holds.
    nova = keystone.find('service', name='nova')
    assert result['ids']['services']['nova'] == nova
    assert result['ids']['endpoints']['nova/public/RegionOne'] == keystone.find('endpoint', service_id=nova, interface='public')
    assert result['ids']['users']['Default']['nova'] == keystone.find('user', name='nova')
    assert result['ids']['projects']['Default']['service'] == keystone.find('project', name='service')
    assert keystone.store['user'][keystone.find('user', name='nova')]['password'] == 'nova-Secret1'
    assert 'Secret1' not in out

    keystone.log = []
    code, result, out = run(capsys, **aio())
    assert code == 0 and result['changed'] is False
    assert keystone.writes() == []
    # One listing per category it needs, plus one token request per
    # update_password=always user.
    lists = [entry for entry in keystone.log if entry[0] == 'list']
    assert sorted(lists) == sorted(set(lists)) and len(lists) == 8
    assert len([entry for entry in keystone.log if entry[0] == 'auth']) == 4
    assert result['api_calls'] == 12
    assert 'Secret1' not in out


def test_check_mode_reports_without_writing(capsys, keystone):
    code, result, out = run(capsys, _ansible_check_mode=True, _ansible_diff=True, **aio())
    assert code == 0 and result['changed'] is True
    assert keystone.writes() == []
    assert result['ids']['services']['nova'] is None
    assert result['ids']['services']['keystone'] == keystone.find('service', name='keystone')
    assert result['diff']['after']['users']['Default/nova'] == {'password': '********'}
    assert 'Secret1' not in out


def test_endpoint_url_change_is_a_precise_update(capsys, keystone):
    run(capsys, **aio())
    args = aio()
    args['endpoints'][6]['url'] = 'https://api.example.org:8774/v2.1'  # nova public
    keystone.log = []
    code, result, dummy = run(capsys, _ansible_diff=True, **args)
    assert result['changed'] is True
    assert result['changes']['endpoints']['updated'] == {
        'nova/public/RegionOne': {'url': {'before': 'http://ctl:8774/v2.1', 'after': 'https://api.example.org:8774/v2.1'}}}
    assert result['diff'] == {
        'before': {'endpoints': {'nova/public/RegionOne': {'url': 'http://ctl:8774/v2.1'}}},
        'after': {'endpoints': {'nova/public/RegionOne': {'url': 'https://api.example.org:8774/v2.1'}}}}
    endpoint = result['ids']['endpoints']['nova/public/RegionOne']
    assert keystone.writes() == [('update', 'endpoint', endpoint, ('url',))]


def test_password_always_checks_by_token_and_on_create_does_not(capsys, keystone):
    run(capsys, **aio())
    nova = keystone.find('user', name='nova')
    keystone.store['user'][nova]['password'] = 'changed-by-hand'
    keystone.log = []
    code, result, out = run(capsys, _ansible_diff=True, **aio())
    assert result['changed'] is True
    assert result['changes']['users']['updated'] == {
        'Default/nova': {'password': {'before': '********', 'after': '******** (new)'}}}
    assert keystone.writes() == [('update', 'user', nova, ('password',))]
    assert keystone.store['user'][nova]['password'] == 'nova-Secret1'
    assert 'Secret1' not in out and 'changed-by-hand' not in out

    keystone.store['user'][nova]['password'] = 'changed-by-hand'
    users = [dict(user, update_password='on_create') for user in aio()['users']]
    keystone.log = []
    code, result, dummy = run(capsys, **aio(users=users))
    assert result['changed'] is False and keystone.writes() == []
    assert [entry for entry in keystone.log if entry[0] == 'auth'] == []


def test_disabled_user_password_is_set_every_time(capsys, keystone):
    users = [{'name': 'svc', 'password': 'pw-Secret1', 'update_password': 'always', 'enabled': False}]
    run(capsys, users=users)
    code, result, dummy = run(capsys, users=users)
    # It cannot get a token, so whether the password matches is unknown.
    assert result['changed'] is True
    assert list(result['changes']['users']['updated']['Default/svc']) == ['password']


def test_prune_removes_unlisted_but_keeps_bootstrap(capsys, keystone):
    run(capsys, **aio())
    stray = keystone.create('service', name='ec2', type='ec2').id
    keystone.create('endpoint', service_id=stray, region_id='RegionOne', interface='public', url='http://old')
    dup = keystone.create('service', name='nova', type='compute').id
    keystone.create('region', id='RegionTwo')
    extra_user = keystone.create('user', name='olduser', domain_id='default').id
    keystone.assign_project_role_to_user(keystone.find('project', name='service'), extra_user, keystone.find('role', name='member'))
    keystone.log = []
    args = aio(prune=['regions', 'services', 'endpoints', 'users', 'role_assignments', 'roles', 'projects', 'domains'])
    code, result, dummy = run(capsys, **args)
    assert code == 0 and result['changed'] is True
    changes = result['changes']
    assert changes['services']['deleted'] == ['ec2/ec2', 'nova/compute [<id %s>]' % dup]
    assert changes['endpoints']['deleted'] == ['ec2/public/RegionOne']
    assert changes['regions']['deleted'] == ['RegionTwo']
    assert changes['users']['deleted'] == ['Default/olduser']
    assert changes['role_assignments']['deleted'] == ['user Default/olduser: member on project Default/service']
    # Bootstrap objects survive: admin user/project/roles, identity service
    # and endpoints, the Default domain, admin's assignments.
    assert changes['domains']['deleted'] == [] and changes['projects']['deleted'] == [] and changes['roles']['deleted'] == []
    assert keystone.find('user', name='admin') and len(keystone.store['endpoint']) == 15
    assert len(keystone.assignments) == 2 + 4
    # Deletes in reverse dependency order: assignments, users, endpoints, services, regions.
    kinds = [entry[1] if entry[0] == 'delete' else 'role_assignment' for entry in keystone.writes()]
    assert kinds == ['role_assignment', 'user', 'endpoint', 'service', 'service', 'region']
    code, result, dummy = run(capsys, **args)
    assert result['changed'] is False


def test_absent_deletes_dependents_first(capsys, keystone):
    run(capsys, **aio())
    keystone.log = []
    args = aio(services=[{'name': 'nova', 'type': 'compute', 'state': 'absent'}],
               endpoints=[], users=[{'name': 'nova', 'state': 'absent'}], role_assignments=[])
    code, result, dummy = run(capsys, **args)
    assert code == 0, result
    assert result['changes']['endpoints']['deleted'] == ['nova/admin/RegionOne', 'nova/internal/RegionOne', 'nova/public/RegionOne']
    assert result['changes']['role_assignments']['deleted'] == ['user Default/nova: admin on project Default/service']
    assert [entry[0] for entry in keystone.writes()] == ['unassign', 'delete', 'delete', 'delete', 'delete', 'delete']
    assert not [s for s in keystone.store['service'].values() if s['name'] == 'nova']
    code, result, dummy = run(capsys, **args)
    assert result['changed'] is False


def test_absent_of_something_a_listed_object_needs_fails(capsys, keystone):
    code, result, dummy = run(capsys, **aio(projects=[{'name': 'service', 'state': 'absent'}]))
    assert code == 1
    assert 'refers to projects Default/service, which is listed with state=absent' in result['msg']
    assert keystone.writes() == []


def test_unknown_reference_fails_before_any_write(capsys, keystone):
    code, result, dummy = run(capsys, **aio(role_assignments=[{'user': 'nova', 'project': 'nope', 'role': 'admin'}]))
    assert code == 1 and 'projects Default/nope, which neither exists nor is listed' in result['msg']
    assert keystone.writes() == []


def test_domain_delete_disables_first_and_group_domain_scopes(capsys, keystone):
    args = dict(domains=[{'name': 'heat', 'description': 'Stacks'}], groups=[{'name': 'ops', 'domain': 'heat'}],
                users=[{'name': 'heat_admin', 'domain': 'heat', 'default_project': 'service', 'default_project_domain': 'Default'}],
                projects=[{'name': 'service'}],
                role_assignments=[{'group': 'ops', 'group_domain': 'heat', 'project': 'service', 'role': 'member'},
                                  {'user': 'heat_admin', 'user_domain': 'heat', 'domain': 'heat', 'role': 'admin'}])
    code, result, dummy = run(capsys, **args)
    assert code == 0 and result['changed'] is True, result
    heat = keystone.find('domain', name='heat')
    assert result['ids']['groups'] == {'heat': {'ops': keystone.find('group', name='ops')}}
    user = keystone.find('user', name='heat_admin')
    assert keystone.store['user'][user]['default_project_id'] == keystone.find('project', name='service')
    assert (keystone.find('role', name='admin'), 'user', user, 'domain', heat) in keystone.assignments
    assert run(capsys, **args)[1]['changed'] is False

    keystone.log = []
    code, result, dummy = run(capsys, domains=[{'name': 'heat', 'state': 'absent'}])
    assert code == 0, result
    assert result['changes']['users']['deleted'] == ['heat/heat_admin']
    assert result['changes']['groups']['deleted'] == ['heat/ops']
    assert len(result['changes']['role_assignments']['deleted']) == 2
    assert keystone.writes()[-2:] == [('update', 'domain', heat, ('is_enabled',)), ('delete', 'domain', heat)]
    assert heat not in keystone.store['domain']


def test_ambiguous_service_name_needs_a_type(capsys, keystone):
    services = [{'name': 'nova', 'type': 'compute'}, {'name': 'nova', 'type': 'compute_legacy'}]
    endpoints = [{'service': 'nova', 'interface': 'public', 'url': 'http://x'}]
    code, result, dummy = run(capsys, services=services, endpoints=endpoints, default_region='RegionOne')
    assert code == 1 and 'several services are named nova (compute, compute_legacy): give service_type' in result['msg']
    endpoints[0]['service_type'] = 'compute_legacy'
    code, result, dummy = run(capsys, services=services, endpoints=endpoints, default_region='RegionOne')
    assert code == 0 and result['changes']['endpoints']['created'] == ['nova/public/RegionOne']
    legacy = keystone.find('service', type='compute_legacy')
    assert keystone.find('endpoint', url='http://x') == result['ids']['endpoints']['nova/public/RegionOne']
    assert keystone.store['endpoint'][result['ids']['endpoints']['nova/public/RegionOne']]['service_id'] == legacy


def test_argument_spec_rejects_bad_data(capsys, keystone):
    code, result, dummy = run(capsys, role_assignments=[{'user': 'a', 'group': 'b', 'project': 'p', 'role': 'r'}])
    assert code == 1 and 'mutually exclusive' in result['msg']
    code, result, dummy = run(capsys, role_assignments=[{'user': 'a', 'role': 'r'}])
    assert code == 1 and 'one of the following is required' in result['msg']
    code, result, dummy = run(capsys, endpoints=[{'service': 'nova', 'interface': 'public'}])
    assert code == 1 and 'url' in result['msg']
    code, result, dummy = run(capsys, prune=['everything'])
    assert code == 1 and 'prune' in result['msg']


def test_sequential_mode_gives_the_same_result(capsys, keystone):
    code, result, dummy = run(capsys, concurrency=1, **aio())
    assert code == 0 and result['changed'] is True
    state = copy.deepcopy(keystone.store)
    assert run(capsys, concurrency=1, **aio())[1]['changed'] is False
    assert keystone.store == state


# -- the database path (database_config) --------------------------------------

class FakeBcrypt(object):
    """bcrypt's checkpw on hashes of the form $2b$<password>."""

    @staticmethod
    def checkpw(secret, hashed):
        return hashed == b'$2b$' + secret


def keystone_rows(ks, hashes=None):
    """The rows of catalog_db.STATEMENTS for what the fake keystone holds,
    as keystone's tables would hold them."""
    hashes = hashes or {}
    rows = dict(regions=[], projects=[], roles=[], groups=[], services=[], endpoints=[], users=[], passwords=[],
                assignments=[], system_assignments=[])
    rows['projects'].append(dict(id='<<keystone.domain.root>>', name='<<keystone.domain.root>>', extra='{}',
                                 description='', enabled=1, domain_id='<<keystone.domain.root>>', is_domain=1))
    for obj_id, rec in ks.store['region'].items():
        rows['regions'].append(dict(id=obj_id, description=rec['description'] or '', parent_region_id=rec['parent_region_id']))
    for kind, is_domain in (('domain', 1), ('project', 0)):
        for obj_id, rec in ks.store[kind].items():
            rows['projects'].append(dict(id=obj_id, name=rec['name'], extra='{}', description=rec['description'],
                                         enabled=int(rec['is_enabled']), is_domain=is_domain,
                                         domain_id=rec.get('domain_id') or '<<keystone.domain.root>>'))
    for obj_id, rec in ks.store['role'].items():
        rows['roles'].append(dict(id=obj_id, name=rec['name'], domain_id=rec['domain_id'] or '<<null>>',
                                  description=rec['description']))
    for obj_id, rec in ks.store['group'].items():
        rows['groups'].append(dict(id=obj_id, name=rec['name'], domain_id=rec['domain_id'], description=rec['description']))
    for obj_id, rec in ks.store['service'].items():
        rows['services'].append(dict(id=obj_id, type=rec['type'], enabled=int(rec['is_enabled']),
                                     extra=json.dumps(dict(name=rec['name'], description=rec['description']))))
    for obj_id, rec in ks.store['endpoint'].items():
        rows['endpoints'].append(dict(id=obj_id, interface=rec['interface'], service_id=rec['service_id'], url=rec['url'],
                                      enabled=int(rec['is_enabled']), region_id=rec['region_id']))
    for local_id, (obj_id, rec) in enumerate(sorted(ks.store['user'].items())):
        rows['users'].append(dict(id=obj_id, extra='{}', enabled=int(rec['is_enabled']), domain_id=rec['domain_id'],
                                  default_project_id=rec['default_project_id'], name=rec['name'], local_id=local_id))
        # An older password first: keystone's current one is the newest.
        rows['passwords'].append(dict(local_user_id=local_id, password_hash='$2b$old', expires_at_int=None,
                                      created_at_int=1, id=2 * local_id))
        rows['passwords'].append(dict(local_user_id=local_id, expires_at_int=None, created_at_int=2, id=2 * local_id + 1,
                                      password_hash=hashes.get(rec['name'], '$2b$%s' % rec['password'])))
    for role, actor_type, actor, scope_type, scope in ks.assignments:
        if scope_type == 'system':
            rows['system_assignments'].append(dict(type=actor_type.capitalize() + 'System', actor_id=actor,
                                                   target_id=scope, role_id=role, inherited=0))
        else:
            rows['assignments'].append(dict(type=actor_type.capitalize() + scope_type.capitalize(), actor_id=actor,
                                            target_id=scope, role_id=role, inherited=0))
    return rows


@pytest.fixture
def keystone_db(monkeypatch, tmp_path, keystone):
    """keystone's database as the fake keystone holds it, and its config."""
    conf = tmp_path / 'keystone.conf'
    conf.write_text('[database]\nconnection = mysql+pymysql://keystone:dbpass@127.0.0.1/keystone\n')
    state = dict(hashes={})
    monkeypatch.setattr(catalog_db, 'bcrypt', FakeBcrypt())
    monkeypatch.setattr(catalog_db, 'HAS_BCRYPT', True)
    monkeypatch.setattr(catalog_db.database, 'HAS_PYMYSQL', True)
    monkeypatch.setattr(catalog_db.database, 'query_dicts',
                        lambda url, statements: keystone_rows(keystone, state['hashes']))
    return str(conf), state


def test_database_proves_nothing_to_do_without_an_api_session(capsys, keystone, keystone_db, monkeypatch):
    conf, dummy = keystone_db
    run(capsys, **aio())
    keystone.log = []
    code, result, out = run(capsys, database_config=conf, **aio())
    assert code == 0 and result['changed'] is False and result['read_from'] == 'database'
    assert keystone.log == [] and result['api_calls'] == 0
    assert result['ids']['services']['nova'] == keystone.find('service', name='nova')
    assert result['ids']['users']['Default']['nova'] == keystone.find('user', name='nova')
    assert 'Secret1' not in out and 'dbpass' not in out
    # Check mode too.
    code, result, dummy = run(capsys, database_config=conf, _ansible_check_mode=True, **aio())
    assert result['changed'] is False and keystone.log == []


def test_database_showing_a_difference_hands_over_to_the_api(capsys, keystone, keystone_db):
    conf, state = keystone_db
    run(capsys, **aio())
    # An endpoint changed behind the run's back: the API path updates it.
    nova = keystone.find('service', name='nova')
    endpoint = keystone.find('endpoint', service_id=nova, interface='public')
    keystone.store['endpoint'][endpoint]['url'] = 'http://old:8774/v2.1'
    keystone.log = []
    code, result, dummy = run(capsys, database_config=conf, **aio())
    assert code == 0 and result['changed'] is True and result['read_from'] == 'api'
    assert result['changes']['endpoints']['updated'] == {'nova/public/RegionOne': {'url': {
        'before': 'http://old:8774/v2.1', 'after': 'http://ctl:8774/v2.1'}}}
    # A password the hash does not match, or one of a kind not checked
    # here: the API checks it (by token) and finds it right.
    for wrong in ('$2b$not-it', '$argon2id$v=19$whatever'):
        state['hashes'] = {'glance': wrong}
        keystone.log = []
        code, result, dummy = run(capsys, database_config=conf, **aio())
        assert result['changed'] is False and result['read_from'] == 'api'
        assert ('auth', keystone.find('user', name='glance')) in keystone.log


def test_database_unreadable_or_pruning_goes_the_api_way(capsys, keystone, keystone_db, monkeypatch):
    conf, dummy = keystone_db
    run(capsys, **aio())

    def unreachable(url, statements):
        raise RuntimeError("(2003, \"Can't connect to MySQL server\")")
    monkeypatch.setattr(catalog_db.database, 'query_dicts', unreachable)
    code, result, dummy = run(capsys, database_config=conf, **aio())
    assert code == 0 and result['changed'] is False and result['read_from'] == 'api'
    code, result, dummy = run(capsys, database_config=conf + '.missing', **aio())
    assert result['read_from'] == 'api'
    monkeypatch.setattr(catalog_db.database, 'query_dicts', lambda url, statements: keystone_rows(keystone))
    code, result, dummy = run(capsys, database_config=conf, prune=['endpoints'], **aio())
    assert result['read_from'] == 'api'


def test_database_records_of_expired_passwords_and_system_roles():
    ks = bootstrap()
    rows = keystone_rows(ks)
    admin = ks.find('user', name='admin')
    found, hashes = catalog_db.records(rows)
    assert hashes == {admin: '$2b$adminpass'}
    assert [d['name'] for d in found['domains']] == ['Default']
    assert all(role['domain_id'] is None for role in found['roles'])
    assert {'role_id': ks.find('role', name='admin'), 'user_id': admin, 'system': 'all', 'inherited': False} \
        in found['role_assignments']
    rows['passwords'][-1]['expires_at_int'] = 1000000  # 1970
    assert catalog_db.records(rows)[1] == {}
    assert catalog_db.password_matches('adminpass', '$2b$adminpass') is False  # no bcrypt here: unknown
