# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Keystone's catalog read from its own database, for keystone_catalog's
and keystone_bootstrap's no-op path.

Opening an openstacksdk session, issuing a token and listing each category
costs seconds; the same records come from keystone's tables in one
connection.  The records have the shape ``IdentityBackend.list`` returns,
so ``catalog.build_current`` and ``catalog.plan`` treat them alike.  They
serve only to prove that nothing needs doing: a plan with any operation in
it is made again from the API before anything is written, so a record read
wrong here can cost time, never a wrong change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.stackcraft.openstack.plugins.module_utils import database

try:
    import bcrypt
    HAS_BCRYPT = True
except ImportError:
    bcrypt = None
    HAS_BCRYPT = False

# keystone's id of the root of all domains (a project row, never a domain).
ROOT_DOMAIN_ID = '<<keystone.domain.root>>'
# keystone's domain_id of a global role.
NULL_DOMAIN_ID = '<<null>>'
# bcrypt reads only this many bytes of a password.
BCRYPT_MAX_BYTES = 72

STATEMENTS = {
    'regions': 'SELECT id, description, parent_region_id FROM region',
    'projects': 'SELECT id, name, extra, description, enabled, domain_id, is_domain FROM project',
    'roles': 'SELECT id, name, domain_id, description FROM role',
    'groups': 'SELECT id, name, domain_id, description FROM `group`',
    'services': 'SELECT id, type, enabled, extra FROM service',
    'endpoints': 'SELECT id, interface, service_id, url, enabled, region_id FROM endpoint',
    'users': ('SELECT u.id, u.extra, u.enabled, u.default_project_id, u.domain_id, l.name, l.id AS local_id'
              ' FROM user u JOIN local_user l ON l.user_id = u.id'),
    # keystone's current password of a local user is its newest one.
    'passwords': 'SELECT local_user_id, password_hash, expires_at_int, created_at_int, id FROM password',
    'assignments': 'SELECT type, actor_id, target_id, role_id, inherited FROM assignment',
    'system_assignments': 'SELECT type, actor_id, target_id, role_id, inherited FROM system_assignment',
}


def _extra(row):
    try:
        extra = json.loads(row.get('extra') or '{}')
    except ValueError:
        extra = {}
    return extra if isinstance(extra, dict) else {}


def _flag(value):
    return None if value is None else bool(value)


def records(rows):
    """``{category: [record]}`` and ``{user_id: current password hash}``
    from the rows of STATEMENTS."""
    found = {'regions': [dict(id=r['id'], description=r['description'] or None,
                              parent_region_id=r['parent_region_id']) for r in rows['regions']]}
    found['domains'] = [dict(id=r['id'], name=r['name'], description=r['description'], enabled=_flag(r['enabled']))
                        for r in rows['projects'] if r['is_domain'] and r['id'] != ROOT_DOMAIN_ID]
    found['projects'] = [dict(id=r['id'], name=r['name'], domain_id=r['domain_id'], description=r['description'],
                              enabled=_flag(r['enabled'])) for r in rows['projects'] if not r['is_domain']]
    found['roles'] = [dict(id=r['id'], name=r['name'], description=r['description'],
                           domain_id=None if r['domain_id'] == NULL_DOMAIN_ID else r['domain_id'])
                      for r in rows['roles']]
    found['groups'] = [dict(id=r['id'], name=r['name'], domain_id=r['domain_id'], description=r['description'])
                       for r in rows['groups']]
    found['services'] = [dict(id=r['id'], type=r['type'], enabled=_flag(r['enabled']), name=_extra(r).get('name'),
                              description=_extra(r).get('description')) for r in rows['services']]
    found['endpoints'] = [dict(id=r['id'], service_id=r['service_id'], region_id=r['region_id'],
                               interface=r['interface'], url=r['url'], enabled=_flag(r['enabled']))
                          for r in rows['endpoints']]
    found['users'] = [dict(id=r['id'], name=r['name'], domain_id=r['domain_id'], description=_extra(r).get('description'),
                           email=_extra(r).get('email'), enabled=_flag(r['enabled']),
                           default_project_id=r['default_project_id']) for r in rows['users']]
    assignments = []
    for r in rows['assignments']:
        actor = 'user_id' if r['type'].startswith('User') else 'group_id'
        scope = 'project_id' if r['type'].endswith('Project') else 'domain_id'
        assignments.append(dict([('role_id', r['role_id']), (actor, r['actor_id']), (scope, r['target_id']),
                                 ('inherited', bool(r['inherited']))]))
    for r in rows['system_assignments']:
        actor = 'user_id' if r['type'].startswith('User') else 'group_id'
        assignments.append(dict([('role_id', r['role_id']), (actor, r['actor_id']), ('system', 'all'),
                                 ('inherited', bool(r['inherited']))]))
    found['role_assignments'] = assignments
    newest = {}
    for r in rows['passwords']:
        order = (r['created_at_int'] or 0, r['id'])
        if r['local_user_id'] not in newest or order > newest[r['local_user_id']][0]:
            newest[r['local_user_id']] = (order, r)
    hashes = {}
    for r in rows['users']:
        entry = newest.get(r['local_id'])
        if entry is None:
            continue
        expires = entry[1]['expires_at_int']
        # An expired password authenticates nobody: treat it as unknown.
        if expires and expires / 1e6 < time.time():
            continue
        hashes[r['id']] = entry[1]['password_hash']
    return found, hashes


def password_matches(password, password_hash):
    """True when ``password`` is the one ``password_hash`` was made from;
    False when it is not, or when this hash kind cannot be checked here."""
    if not HAS_BCRYPT or not password_hash or not password_hash.startswith(('$2a$', '$2b$', '$2y$')):
        return False
    secret = password.encode('utf-8')[:BCRYPT_MAX_BYTES]
    try:
        return bcrypt.checkpw(secret, password_hash.encode('ascii'))
    except ValueError:
        return False


class DatabaseReader(object):
    """The catalog as keystone's database holds it, with the interface of
    ``IdentityBackend`` that planning needs (``list_all``, ``check_passwords``)."""

    def __init__(self, url):
        self.url = url
        self._records = None
        self._hashes = None

    @classmethod
    def from_config(cls, path):
        """A reader for the ``[database] connection`` of keystone's
        configuration file, or None when there is none to read."""
        if not database.HAS_PYMYSQL:
            return None
        url = database.option_value(database.config_lines(path), 'database', 'connection')
        return cls(url) if url else None

    def read(self):
        if self._records is None:
            self._records, self._hashes = records(database.query_dicts(self.url, STATEMENTS))

    def list_all(self, categories):
        self.read()
        return dict((category, self._records[category]) for category in categories)

    def check_passwords(self, checks):
        self.read()
        return dict((user_id, password_matches(password, self._hashes.get(user_id))) for user_id, password in checks)


def bootstrap_state(url, want, chain_roles):
    """What keystone_bootstrap's probe reports, read from keystone's tables:
    ``want`` holds the default domain id, project, username, role, region
    and password; ``chain_roles`` the roles this keystone's bootstrap puts
    between member and the admin role (``manager`` since 2023.2) and
    whether it makes ``service``. None when a password cannot be checked
    here (the probe then decides)."""
    rows = database.query_dicts(url, dict(STATEMENTS, implied='SELECT prior_role_id, implied_role_id FROM implied_role'))
    found, hashes = records(rows)
    state = {'domain': want['domain'] if any(d['id'] == want['domain'] for d in found['domains']) else None}
    project = [p['id'] for p in found['projects'] if p['name'] == want['project'] and p['domain_id'] == want['domain']]
    state['project'] = project[0] if project and state['domain'] else None
    users = [u for u in found['users'] if u['name'] == want['username'] and u['domain_id'] == want['domain']]
    user = None
    if users and state['domain']:
        matches = password_matches(want['password'], hashes.get(users[0]['id'])) if want['password'] is not None else None
        if want['password'] is not None and not matches:
            # A mismatch is what bcrypt says, or a hash this cannot check.
            return None
        user = {'id': users[0]['id'], 'enabled': users[0]['enabled'] is not False, 'password_matches': matches}
    state['user'] = user
    chain = ['reader', 'member'] + list(chain_roles['between']) + [want['role']]
    names = chain + (['service'] if chain_roles['service'] else [])
    roles = dict((name, None) for name in names)
    for role in found['roles']:
        if role['domain_id'] is None and role['name'] in roles:
            roles[role['name']] = role['id']
    implied = set((r['prior_role_id'], r['implied_role_id']) for r in rows['implied'])

    def implies(prior, imp):
        return bool(roles[prior] and roles[imp] and (roles[prior], roles[imp]) in implied)
    state['role_order'] = names
    state['roles'] = roles
    state['implied'] = [['%s -> %s' % (prior, imp), implies(prior, imp)] for imp, prior in zip(chain[:-1], chain[1:])]
    state['stale_implied'] = ([['%s -> member' % want['role'], implies(want['role'], 'member')]]
                              if 'manager' in chain else [])
    admin = roles[want['role']]
    grants = found['role_assignments']
    state['project_grant'] = bool(user and state['project'] and admin and any(
        g.get('user_id') == user['id'] and g.get('project_id') == state['project'] and g['role_id'] == admin
        and not g['inherited'] for g in grants))
    state['system_grant'] = bool(user and admin and any(
        g.get('user_id') == user['id'] and g.get('system') and g['role_id'] == admin for g in grants))
    state['region'] = want['region'] if want['region'] and any(r['id'] == want['region'] for r in found['regions']) else None
    services = [s for s in found['services'] if s['type'] == 'identity']
    if len(services) > 1:
        return None
    state['service'] = {'id': services[0]['id'], 'name': services[0]['name']} if services else None
    endpoints = {}
    for endpoint in found['endpoints']:
        if services and endpoint['service_id'] == services[0]['id'] and (
                not want['region'] or endpoint['region_id'] == want['region']):
            endpoints[endpoint['interface']] = endpoint['url']
    state['endpoints'] = endpoints
    return state
