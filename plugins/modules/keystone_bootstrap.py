#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: keystone_bootstrap
short_description: Set up keystone's key repositories and run keystone-manage bootstrap idempotently
description:
  - Creates the Fernet token key repository (C(keystone-manage fernet_setup)) and the credential
    encryption key repository (C(keystone-manage credential_setup)) when they are not initialized yet,
    that is when the key file C(0) that keystone itself tests for is missing.
  - Runs C(keystone-manage bootstrap) only when something it manages is missing or differs; it manages the default
    domain, the admin project, the admin user (missing, disabled or with another password), the roles
    C(reader), C(member) (C(manager), C(service) since keystone 24) and the admin role with their
    implications, the admin role on the project and on the system, the region, the identity service and its endpoints.
  - Before and after running bootstrap it reads keystone's state read-only with keystone's own Python
    managers (the same calls bootstrap makes, with the same configuration files), so C(changed) and
    RV(changes) are what really differs; keystone-manage's own log lines are not used because
    bootstrap logs C(Granted role ... on the system) and C(endpoint updated) on every run.
  - The admin password is handed to keystone-manage in the E(OS_BOOTSTRAP_PASSWORD) environment variable,
    never on the command line, and never appears in the result.
version_added: 0.1.0
author:
  - stackcraft developers (@stackcraft)
requirements:
  - keystone (Debian package C(python3-keystone)) on the target, with its database synced (C(keystone-manage db_sync))
options:
  keystone_manage:
    description:
      - The keystone-manage command (a name looked up in E(PATH) or an absolute path).
    type: str
    default: keystone-manage
  python:
    description:
      - The Python interpreter that can import keystone, used to read keystone's state.
      - Default is the interpreter of the O(keystone_manage) script (its C(#!) line), else C(/usr/bin/python3).
    type: path
  config_files:
    description:
      - keystone configuration files, passed as C(--config-file) in this order (later ones win).
    type: list
    elements: path
    default: [/etc/keystone/keystone.conf]
  fernet_setup:
    description:
      - Initialize the Fernet key repository O(fernet_key_repository) when it holds no key C(0).
    type: bool
    default: true
  credential_setup:
    description:
      - Initialize the credential key repository O(credential_key_repository) when it holds no key C(0).
    type: bool
    default: true
  fernet_key_repository:
    description:
      - Directory of the Fernet keys for tokens and receipts. It must be the C([fernet_tokens] key_repository)
        (and C([fernet_receipts] key_repository)) of the keystone configuration; the module passes it to
        C(fernet_setup) in an extra configuration file so that the keys are created where it looks for them.
    type: path
    default: /etc/keystone/fernet-keys
  credential_key_repository:
    description:
      - Directory of the credential encryption keys, the C([credential] key_repository) of the configuration.
    type: path
    default: /etc/keystone/credential-keys
  keystone_user:
    description:
      - Owner of the key repositories and keys (C(--keystone-user)).
    type: str
    default: keystone
  keystone_group:
    description:
      - Group of the key repositories and keys (C(--keystone-group)).
    type: str
    default: keystone
  bootstrap:
    description:
      - Run the bootstrap part. With V(false) only the key repositories are handled.
    type: bool
    default: true
  admin_username:
    description:
      - Name of the admin user in the default domain.
    type: str
    default: admin
  admin_password:
    description:
      - Password of the admin user. Required when O(bootstrap=true).
    type: str
  update_password:
    description:
      - V(always) makes the admin user's password O(admin_password), as bootstrap does.
      - V(on_create) sets it only when the user is created; an existing user's password is never reset.
        keystone-manage bootstrap resets a differing password whenever it runs, so when the password differs
        and bootstrap has other work to do the module fails instead of running it (see notes).
    type: str
    choices: [always, on_create]
    default: always
  admin_project:
    description:
      - Name of the admin project in the default domain.
    type: str
    default: admin
  admin_role:
    description:
      - Name of the admin role. keystone also creates the roles C(reader) and C(member) (fixed names), with
        C(member) implying C(reader) and the admin role implying C(member); since keystone 24 (2023.2) also
        C(manager) between C(member) and the admin role, and C(service). The module reads which from the
        installed keystone.
    type: str
    default: admin
  immutable_roles:
    description:
      - Create missing default roles as immutable (keystone's default). Existing roles are not changed.
    type: bool
    default: true
  service_name:
    description:
      - Name given to the identity service when bootstrap creates it (an existing identity service is
        kept whatever its name). The service is only handled when an endpoint URL is given.
    type: str
    default: keystone
  region_id:
    description:
      - Region to create, and in which the endpoints are looked up and created.
    type: str
  public_url:
    description:
      - URL of the public identity endpoint, for example C(http://controller:5000/v3).
    type: str
  internal_url:
    description:
      - URL of the internal identity endpoint.
    type: str
  admin_url:
    description:
      - URL of the admin identity endpoint.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Everything is read, nothing is written. If keystone's database cannot be read (not synced yet),
        the result says that bootstrap would run without knowing exactly what it would create.
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Why not just parse keystone-manage's log? Bootstrap logs C(Granted role admin on the system) and
    C(public endpoint updated) on every run, and creates the identity service without any log line.
  - The admin password is compared with the stored hash without calling keystone's C(authenticate()), which
    would count a failed login (and may lock the account) on mismatch. This works with keystone's SQL
    identity driver, the only one bootstrap can create users in; another driver for the default domain is an error.
  - With O(update_password=on_create), an existing admin whose password differs is left alone when nothing else
    is missing; when something else is missing the module fails, because bootstrap would reset the password
    while creating it. Pass the current password or use O(update_password=always) for that run.
  - keystone-manage bootstrap updates the URL of an existing endpoint of the same interface (in O(region_id)
    when given); it never deletes endpoints and never renames an existing identity service.
seealso:
  - name: keystone-manage bootstrap
    description: keystone's documentation of the bootstrap command.
    link: https://docs.openstack.org/keystone/zed/admin/bootstrap.html
'''

EXAMPLES = r'''
- name: Bootstrap | Keys, admin user and identity endpoints
  stackcraft.openstack.keystone_bootstrap:
    admin_password: "{{ keystone_admin_password }}"
    region_id: RegionOne
    public_url: "http://{{ openstack_public_address }}:5000/v3"
    internal_url: "http://{{ openstack_internal_address }}:5000/v3"
    admin_url: "http://{{ openstack_internal_address }}:5000/v3"
  no_log: true

- name: Bootstrap | Only the Fernet and credential key repositories
  stackcraft.openstack.keystone_bootstrap:
    bootstrap: false

- name: Bootstrap | Never reset a password an operator has changed since
  stackcraft.openstack.keystone_bootstrap:
    admin_password: "{{ keystone_admin_password }}"
    update_password: on_create
    config_files:
      - /etc/keystone/keystone.conf
      - /etc/keystone/keystone.d/local.conf
'''

RETURN = r'''
changes:
  description: What was done (or, in check mode, would be done), one line each. Never holds the password.
  returned: always
  type: list
  elements: str
  sample:
    - fernet_setup /etc/keystone/fernet-keys
    - create user admin
    - grant role admin on project admin to user admin
    - update public endpoint http://old:5000/v3 -> http://controller:5000/v3
keys_initialized:
  description: Key repositories that were (or would be) initialized.
  returned: always
  type: list
  elements: str
  sample: [fernet, credential]
password_kept:
  description: True when the admin user's password differs from O(admin_password) and was left alone
    because of O(update_password=on_create).
  returned: when bootstrap is true
  type: bool
admin_user_id:
  description: ID of the admin user (null in check mode when it would be created).
  returned: when bootstrap is true
  type: str
admin_project_id:
  description: ID of the admin project (null in check mode when it would be created).
  returned: when bootstrap is true
  type: str
role_ids:
  description: IDs of the roles bootstrap makes (C(reader), C(member), the admin role; C(manager) and C(service) since keystone 24), null when not created yet.
  returned: when bootstrap is true
  type: dict
  sample: {admin: 9199d4a717854345be44ad0ac4552a14, member: 2a75c2992c0d42e88e0f8b987324a1a8, reader: f893b762eb36401591605438f4403731}
service_id:
  description: ID of the identity service, null if there is none (yet).
  returned: when bootstrap is true
  type: str
endpoints:
  description: URLs of the identity endpoints by interface, in O(region_id) when given.
  returned: when bootstrap is true
  type: dict
  sample: {public: "http://controller:5000/v3", internal: "http://controller:5000/v3"}
'''

import base64
import importlib.util
import json
import os

from ansible_collections.stackcraft.openstack.plugins.module_utils import catalog_db, database
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError, StackcraftModule
from ansible_collections.stackcraft.openstack.plugins.module_utils.manage import ManageCommand, is_url

STATE_MARKER = 'STACKCRAFT-KEYSTONE-STATE '

# Run by the interpreter that can import keystone (script on stdin, wanted names
# as JSON in argv[1], password in OS_BOOTSTRAP_PASSWORD). Read-only: it uses the
# same managers and lookups as keystone/cmd/bootstrap.py, but compares the
# password hash directly because driver.authenticate() records failed logins.
PROBE = r'''
import json, os, sys
WANT = json.loads(sys.argv[1])
PASSWORD = os.environ.get('OS_BOOTSTRAP_PASSWORD')
import keystone.conf
from keystone import exception
from keystone.common import driver_hints, provider_api, sql
from keystone.server import backends
CONF = keystone.conf.CONF
keystone.conf.configure()
sql.initialize()
argv = []
for name in WANT['config_files']:
    argv += ['--config-file', name]
CONF(args=argv, project='keystone', default_config_files=[])
# The token and receipt providers refuse to load while their key repository
# is missing or empty (first run); this script issues and reads no token, so
# point them at a throwaway one.
for group in ('fernet_tokens', 'fernet_receipts'):
    repo = CONF[group].key_repository
    if not (os.path.isdir(repo) and os.listdir(repo)):
        CONF.set_override('key_repository', WANT['probe_keys'], group)
backends.load_backends()
P = provider_api.ProviderAPIs


def role_id(name):
    hints = driver_hints.Hints()
    hints.add_filter('name', name)
    hints.add_filter('domain_id', None)
    found = P.role_api.list_roles(hints)
    return found[0]['id'] if found else None


def implied(prior, implied_id):
    if not (prior and implied_id):
        return False
    try:
        P.role_api.get_implied_role(prior, implied_id)
        return True
    except exception.ImpliedRoleNotFound:
        return False


state = {}
domain_id = CONF.identity.default_domain_id
try:
    P.resource_api.get_domain(domain_id)
    state['domain'] = domain_id
except exception.DomainNotFound:
    state['domain'] = None
project_id = None
user = None
if state['domain']:
    try:
        project_id = P.resource_api.get_project_by_name(WANT['project'], domain_id)['id']
    except exception.ProjectNotFound:
        pass
    try:
        ref = P.identity_api.get_user_by_name(WANT['username'], domain_id)
        user = {'id': ref['id'], 'enabled': bool(ref.get('enabled', True)), 'password_matches': None}
        driver = P.identity_api.driver
        if PASSWORD is not None and hasattr(driver, '_get_user') and hasattr(driver, '_check_password'):
            with sql.session_for_read() as session:
                user['password_matches'] = bool(driver._check_password(PASSWORD, driver._get_user(session, ref['id'])))
    except exception.UserNotFound:
        pass
state['project'] = project_id
state['user'] = user
# The default roles this keystone's bootstrap makes, each implying the one
# before: reader <- member <- the admin role; 2023.2 on put manager between
# member and the admin role (and drop admin -> member), and add service.
from keystone.cmd.bootstrap import Bootstrapper
chain = ['reader', 'member']
if hasattr(Bootstrapper, '_bootstrap_manager_role'):
    chain.append('manager')
chain.append(WANT['role'])
names = list(chain)
if hasattr(Bootstrapper, '_bootstrap_service_role'):
    names.append('service')
roles = dict((name, role_id(name)) for name in names)
state['role_order'] = names
state['roles'] = roles
state['implied'] = [['%s -> %s' % (prior, imp), implied(roles[prior], roles[imp])]
                    for imp, prior in zip(chain[:-1], chain[1:])]
state['stale_implied'] = []
if 'manager' in chain:
    state['stale_implied'].append(['%s -> member' % WANT['role'], implied(roles[WANT['role']], roles['member'])])
admin = roles[WANT['role']]
state['project_grant'] = bool(user and project_id and admin and admin in
                              P.assignment_api.driver.list_grant_role_ids(user_id=user['id'], project_id=project_id))
state['system_grant'] = bool(user and admin and admin in
                             [g['id'] for g in P.assignment_api.list_system_grants_for_user(user['id'])])
state['region'] = None
if WANT['region']:
    try:
        P.catalog_api.get_region(WANT['region'])
        state['region'] = WANT['region']
    except exception.RegionNotFound:
        pass
hints = driver_hints.Hints()
hints.add_filter('type', 'identity')
services = P.catalog_api.list_services(hints)
state['service'] = {'id': services[0]['id'], 'name': services[0].get('name')} if services else None
endpoints = {}
if services:
    hints = driver_hints.Hints()
    hints.add_filter('service_id', services[0]['id'])
    if WANT['region']:
        hints.add_filter('region_id', WANT['region'])
    for ref in P.catalog_api.list_endpoints(hints):
        endpoints[ref['interface']] = ref['url']
state['endpoints'] = endpoints
print('STACKCRAFT-KEYSTONE-STATE ' + json.dumps(state, sort_keys=True))
'''

INTERFACES = ('public', 'internal', 'admin')
# Role names keystone's bootstrap gives its own roles (manager and service
# since 2023.2).
FIXED_ROLES = ('reader', 'member', 'manager', 'service')


def bootstrap_code():
    """The source of keystone's bootstrap command, found, not imported
    (importing keystone is what the database path avoids), or None."""
    try:
        spec = importlib.util.find_spec('keystone')
        with open(os.path.join(os.path.dirname(spec.origin), 'cmd', 'bootstrap.py')) as handle:
            return handle.read()
    except (ImportError, AttributeError, TypeError, IOError, OSError, ValueError):
        return None


class KeystoneBootstrap(StackcraftModule):
    argument_spec = dict(
        keystone_manage=dict(type='str', default='keystone-manage', no_log=False),
        python=dict(type='path'),
        config_files=dict(type='list', elements='path', default=['/etc/keystone/keystone.conf']),
        fernet_setup=dict(type='bool', default=True),
        credential_setup=dict(type='bool', default=True),
        fernet_key_repository=dict(type='path', default='/etc/keystone/fernet-keys'),
        credential_key_repository=dict(type='path', default='/etc/keystone/credential-keys'),
        keystone_user=dict(type='str', default='keystone', no_log=False),
        keystone_group=dict(type='str', default='keystone', no_log=False),
        bootstrap=dict(type='bool', default=True),
        admin_username=dict(type='str', default='admin'),
        admin_password=dict(type='str', no_log=True),
        update_password=dict(type='str', choices=['always', 'on_create'], default='always', no_log=False),
        admin_project=dict(type='str', default='admin'),
        admin_role=dict(type='str', default='admin'),
        immutable_roles=dict(type='bool', default=True),
        service_name=dict(type='str', default='keystone'),
        region_id=dict(type='str'),
        public_url=dict(type='str'),
        internal_url=dict(type='str'),
        admin_url=dict(type='str'),
    )
    module_kwargs = dict(required_if=[('bootstrap', True, ['admin_password'])])
    secret_params = ('admin_password',)

    def validate(self):
        p = self.params
        for name in ('admin_username', 'admin_project', 'admin_role', 'service_name', 'keystone_user', 'keystone_group'):
            if not p[name] or p[name] != p[name].strip():
                raise ModuleError('%s must be a non-empty name without leading or trailing spaces' % name)
        if p['admin_role'] in FIXED_ROLES:
            raise ModuleError('admin_role must not be %s: keystone creates those roles itself' % ', '.join(FIXED_ROLES))
        if p['region_id'] is not None and (not p['region_id'] or p['region_id'] != p['region_id'].strip()):
            raise ModuleError('region_id must be a non-empty name without leading or trailing spaces')
        for iface in INTERFACES:
            url = p['%s_url' % iface]
            if url is not None and not is_url(url, ('http', 'https')):
                raise ModuleError('%s_url must be an http:// or https:// URL, got %r' % (iface, url))
        if not p['config_files']:
            raise ModuleError('config_files must name at least one keystone configuration file')

    # -- plumbing ---------------------------------------------------------

    def manage_argv(self):
        exe = self.params['keystone_manage']
        if os.sep not in exe:
            exe = self.module.get_bin_path(exe, required=True)
        argv = [exe]
        for name in self.params['config_files']:
            argv += ['--config-file', name]
        return argv

    def python(self):
        if self.params['python']:
            return self.params['python']
        # keystone-manage is a console script: its #! names the interpreter
        # that has keystone installed (Debian: /usr/bin/python3).
        try:
            with open(self.manage_argv()[0], 'rb') as script:
                first = script.readline().decode('utf-8', 'replace').strip()
        except (IOError, OSError):
            first = ''
        if first.startswith('#!') and 'python' in first:
            words = first[2:].split()
            if os.path.basename(words[0]) == 'env' and len(words) > 1:
                return self.module.get_bin_path(words[1]) or '/usr/bin/python3'
            return words[0]
        return '/usr/bin/python3'

    # -- key repositories -------------------------------------------------

    def missing_keys(self):
        """(kind, command, path) of each wanted key repository not initialized yet."""
        p = self.params
        wanted = []
        if p['fernet_setup']:
            wanted.append(('fernet', 'fernet_setup', p['fernet_key_repository']))
        if p['credential_setup']:
            wanted.append(('credential', 'credential_setup', p['credential_key_repository']))
        # keystone's own test (FernetUtils.initialize_key_repository): a
        # repository is initialized when it holds the staged key "0".
        return [item for item in wanted if not os.path.exists(os.path.join(item[2], '0'))]

    def setup_keys(self, missing):
        for kind, command, path in missing:
            out = self.run_key_setup(command)
            if not os.path.exists(os.path.join(path, '0')):
                # keystone-manage exits 0 when it cannot write the repository: it only logs an error.
                raise ModuleError('keystone-manage %s exited 0 but %s holds no key 0: %s' % (command, path, out))

    def run_key_setup(self, command):
        p = self.params
        overlay = os.path.join(self.module.tmpdir, 'stackcraft-keystone-keys.conf')
        with open(overlay, 'w') as handle:
            handle.write('[fernet_tokens]\nkey_repository = %s\n' % p['fernet_key_repository'])
            handle.write('[fernet_receipts]\nkey_repository = %s\n' % p['fernet_key_repository'])
            handle.write('[credential]\nkey_repository = %s\n' % p['credential_key_repository'])
        manage = ManageCommand(self, self.manage_argv() + ['--config-file', overlay])
        rc, out, err = manage.run([command, '--keystone-user', p['keystone_user'], '--keystone-group', p['keystone_group']])
        return (out + err).strip()[-2000:]

    # -- bootstrap --------------------------------------------------------

    def probe_keys(self):
        """A throwaway Fernet key repository (key 0 only) in the module's temporary directory."""
        path = os.path.join(self.module.tmpdir, 'probe-keys')
        if not os.path.isdir(path):
            os.mkdir(path, 0o700)
            with open(os.path.join(path, '0'), 'wb') as handle:
                handle.write(base64.urlsafe_b64encode(os.urandom(32)))
        return path

    def probe(self):
        p = self.params
        want = dict(config_files=p['config_files'], project=p['admin_project'], username=p['admin_username'],
                    role=p['admin_role'], region=p['region_id'], probe_keys=self.probe_keys())
        runner = ManageCommand(self, [self.python(), '-', json.dumps(want)])
        rc, out, err = runner.run([], data=PROBE, environ={'OS_BOOTSTRAP_PASSWORD': p['admin_password']})
        for line in reversed(out.splitlines()):
            if line.startswith(STATE_MARKER):
                return json.loads(line[len(STATE_MARKER):])
        raise ModuleError('Reading keystone state printed no state line: %s' % (out + err).strip()[-2000:])

    def database_probe(self):
        """The probe's state read from keystone's database (seconds less
        than starting keystone's code), or None when it cannot be: no
        PyMySQL, no connection in the configuration files, keystone's
        bootstrap code or a password this cannot check. Planning trusts it
        only where it shows nothing to do."""
        p = self.params
        url, domain = None, 'default'
        for name in p['config_files']:
            lines = database.config_lines(name)
            url = database.option_value(lines, 'database', 'connection') or url
            domain = database.option_value(lines, 'identity', 'default_domain_id') or domain
        if not url or not database.HAS_PYMYSQL:
            return None
        self.add_url_secrets(url)
        code = bootstrap_code()
        if code is None:
            return None
        # As the probe asks Bootstrapper: the roles of this keystone's chain.
        chain = {'between': ['manager'] if 'def _bootstrap_manager_role' in code else [],
                 'service': 'def _bootstrap_service_role' in code}
        want = dict(domain=domain, project=p['admin_project'], username=p['admin_username'], role=p['admin_role'],
                    region=p['region_id'], password=p['admin_password'])
        try:
            return catalog_db.bootstrap_state(url, want, chain)
        except Exception:  # pylint: disable=broad-except
            return None

    def plan(self, state):
        """What bootstrap has to do to reach the parameters from ``state``.

        Returns (changes, password_kept). Mirrors keystone/cmd/bootstrap.py
        step by step.
        """
        p = self.params
        user_name, project, role = p['admin_username'], p['admin_project'], p['admin_role']
        changes = []
        password_kept = False
        if not state['domain']:
            changes.append('create domain default')
        if not state['project']:
            changes.append('create project %s' % project)
        user = state['user']
        if user is None:
            changes.append('create user %s' % user_name)
        else:
            if not user['enabled']:
                changes.append('enable user %s' % user_name)
            if user['password_matches'] is None:
                raise ModuleError('Cannot compare the password of user %s read-only: the identity driver of the default '
                                  'domain is not keystone\'s SQL driver' % user_name)
            if not user['password_matches']:
                if p['update_password'] == 'always':
                    changes.append('reset password of user %s' % user_name)
                else:
                    password_kept = True
        roles = state['roles']
        for name in state['role_order']:
            if not roles.get(name):
                changes.append('create role %s' % name)
        for pair, present in state['implied']:
            if not present:
                changes.append('create implied role %s' % pair)
        for pair, present in state['stale_implied']:
            if present:
                changes.append('delete implied role %s' % pair)
        if not state['project_grant']:
            changes.append('grant role %s on project %s to user %s' % (role, project, user_name))
        if not state['system_grant']:
            changes.append('grant role %s on the system to user %s' % (role, user_name))
        if p['region_id'] and not state['region']:
            changes.append('create region %s' % p['region_id'])
        urls = dict((iface, p['%s_url' % iface]) for iface in INTERFACES if p['%s_url' % iface])
        if urls and not state['service']:
            changes.append('create service %s (identity)' % p['service_name'])
        for iface in INTERFACES:
            if iface not in urls:
                continue
            current = state['endpoints'].get(iface)
            if current is None:
                changes.append('create %s endpoint %s' % (iface, urls[iface]))
            elif current != urls[iface]:
                changes.append('update %s endpoint %s -> %s' % (iface, current, urls[iface]))
        return changes, password_kept

    def view(self, state):
        """A readable, secret-free summary of ``state`` for the diff."""
        p = self.params
        user = state['user']
        return {
            'domain': state['domain'],
            'project': p['admin_project'] if state['project'] else None,
            'user': None if user is None else {'name': p['admin_username'], 'enabled': user['enabled']},
            'roles': sorted(name for name, rid in state['roles'].items() if rid),
            'implied_roles': sorted(pair for pair, present in state['implied'] + state['stale_implied'] if present),
            'grants': sorted(k for k, v in (('project', state['project_grant']), ('system', state['system_grant'])) if v),
            'region': state['region'],
            'service': state['service']['name'] if state['service'] else None,
            'endpoints': dict(state['endpoints']),
        }

    def expected_view(self, before_state, before):
        p = self.params
        after = json.loads(json.dumps(before))
        after['domain'] = after['domain'] or 'default'
        after['project'] = p['admin_project']
        after['user'] = {'name': p['admin_username'], 'enabled': True}
        after['roles'] = sorted(set(after['roles']) | set(before_state['role_order']))
        after['implied_roles'] = sorted(pair for pair, present in before_state['implied'])
        after['grants'] = ['project', 'system']
        if p['region_id']:
            after['region'] = p['region_id']
        urls = dict((iface, p['%s_url' % iface]) for iface in INTERFACES if p['%s_url' % iface])
        if urls:
            after['service'] = after['service'] or p['service_name']
            after['endpoints'].update(urls)
        return after

    def bootstrap_argv(self):
        p = self.params
        argv = ['bootstrap', '--bootstrap-username', p['admin_username'], '--bootstrap-project-name', p['admin_project'],
                '--bootstrap-role-name', p['admin_role'], '--bootstrap-service-name', p['service_name']]
        if p['region_id']:
            argv += ['--bootstrap-region-id', p['region_id']]
        for iface in INTERFACES:
            if p['%s_url' % iface]:
                argv += ['--bootstrap-%s-url' % iface, p['%s_url' % iface]]
        if not p['immutable_roles']:
            argv.append('--no-immutable-roles')
        return argv

    def ids(self, state):
        return dict(
            admin_user_id=state['user']['id'] if state['user'] else None,
            admin_project_id=state['project'],
            role_ids=dict(state['roles']),
            service_id=state['service']['id'] if state['service'] else None,
            endpoints=dict(state['endpoints']),
        )

    def plan_bootstrap(self, result):
        """Read keystone's state; return (before, changes) or (None, None) when unreadable in check mode."""
        p = self.params
        fast = self.database_probe()
        if fast is not None and not self.plan(fast)[0]:
            result.update(self.ids(fast))
            result['password_kept'] = False
            view = self.view(fast)
            result['diff'] = dict(before=view, after=view)
            return fast, []
        try:
            before = self.probe()
        except ModuleError as exc:
            if not self.check_mode:
                raise
            # A fresh install in check mode: db_sync did not run either.
            self.module.warn('Cannot read keystone state (%s); a real run would run bootstrap.' % exc.msg.splitlines()[-1])
            result['changes'].append('run keystone-manage bootstrap (keystone database not readable: what it creates is unknown)')
            return None, None
        changes, password_kept = self.plan(before)
        result['password_kept'] = password_kept
        if password_kept and changes:
            raise ModuleError('User %s exists with a password other than admin_password and update_password=on_create, '
                              'but keystone-manage bootstrap, which would reset that password, has to run to: %s. '
                              'Pass the current password or use update_password=always.' % (p['admin_username'], '; '.join(changes)))
        result.update(self.ids(before))
        result['changes'].extend(changes)
        before_view = self.view(before)
        result['diff'] = dict(before=before_view, after=self.expected_view(before, before_view) if changes else before_view)
        return before, changes

    def run_bootstrap(self, result, before):
        manage = ManageCommand(self, self.manage_argv(), environ={'OS_BOOTSTRAP_PASSWORD': self.params['admin_password']})
        manage.run(self.bootstrap_argv())
        after = self.probe()
        remaining, dummy = self.plan(after)
        if remaining:
            raise ModuleError('keystone-manage bootstrap succeeded but keystone still differs: %s' % '; '.join(remaining))
        result.update(self.ids(after))
        result['diff']['after'] = self.view(after)
        # Judged by what really differs (password_matches flips on a reset).
        return before != after

    def run(self):
        self.validate()
        result = dict(changes=[], keys_initialized=[])
        # Plan everything first, so that a refusal leaves nothing half done.
        missing = self.missing_keys()
        for kind, command, path in missing:
            result['keys_initialized'].append(kind)
            result['changes'].append('%s %s' % (command, path))
        before = changes = None
        if self.params['bootstrap']:
            before, changes = self.plan_bootstrap(result)
        result['changed'] = bool(result['changes'])
        if not self.check_mode:
            self.setup_keys(missing)
            if changes:
                result['changed'] = self.run_bootstrap(result, before) or bool(missing)
        if not self.module._diff:
            result.pop('diff', None)
        return result


def main():
    KeystoneBootstrap().execute()


if __name__ == '__main__':
    main()
