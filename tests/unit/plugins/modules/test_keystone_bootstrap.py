# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""keystone_bootstrap run in-process against a fake keystone at the process edge.

FakeKeystone answers AnsibleModule.run_command for the two processes the module
starts: keystone-manage (fernet_setup / credential_setup write key files as
keystone's FernetUtils does; bootstrap follows keystone/cmd/bootstrap.py of
keystone 22.0.2, Debian Zed) and the state probe (keystone's python with the
PROBE script on stdin), whose output has the shape captured from a real run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils import catalog_db, database
from ansible_collections.stackcraft.openstack.plugins.modules import keystone_bootstrap

PASSWORD = 'Adm1nS3cretPw'
MANAGE = '/usr/bin/keystone-manage'
PYTHON = '/usr/bin/python3'

# The probe's output against real, bootstrapped keystones: Debian 12's 22.0.2
# (sqlite, in a bookworm chroot) and Debian 13's 27.0.0 (the all-in-one cloud).
REAL_STATES = {
    '22.0.2': json.loads(
        '{"domain": "default", "endpoints": {"public": "http://pub:5000/v3"}, "implied": [["member -> '
        'reader", true], ["admin -> member", true]], "project": "33e34e2d78ad4d539fcd1e6cc53854d8", '
        '"project_grant": true, "region": "RegionOne", "role_order": ["reader", "member", "admin"], '
        '"roles": {"admin": "78e163d966df470fa9b33beb346f896f", "member": '
        '"7ef30f4fcb404d81904a8f4e16afb52a", "reader": "153226b91a264fab843ff2dd33d8761f"}, "service": '
        '{"id": "61cbd31944ca4b5b89cd49eb7b1d9160", "name": "keystone"}, "stale_implied": [], '
        '"system_grant": true, "user": {"enabled": true, "id": "926161bf5514455a8d68d3cd0b4821fd", '
        '"password_matches": true}}'),
    '27.0.0': json.loads(
        '{"domain": "default", "endpoints": {"admin": "http://10.213.0.200:5000/v3", "internal": '
        '"http://10.213.0.200:5000/v3", "public": "http://10.213.0.200:5000/v3"}, "implied": [["member -> '
        'reader", true], ["manager -> member", true], ["admin -> manager", true]], "project": '
        '"ffdcc8b425cc4eb286fe6b121c3e5986", "project_grant": true, "region": "RegionOne", "role_order": '
        '["reader", "member", "manager", "admin", "service"], "roles": {"admin": '
        '"01f72e3c536445c28aac80b08b9e592a", "manager": "898b45d908314e22909f8b5d4b93477c", "member": '
        '"cd23ee06c4c241388b00ee96182a5e82", "reader": "1a0afd0b086346b6892327436c153435", "service": '
        '"65b11bcda9e14e43ba63f820638a45d5"}, "service": {"id": "83f5f6b1ae4c4a499d30412ffab7eb88", '
        '"name": "keystone"}, "stale_implied": [["admin -> member", false]], "system_grant": true, '
        '"user": {"enabled": true, "id": "0d2af2e2e22346bbb4ab0805aa91f044", "password_matches": false}}'),
}
# keystone-manage's exit under eventlet prints this on stderr and still exits 0.
EXIT_NOISE = ("Exception ignored in: <function _removeHandlerRef at 0x7fbabac696c0>\n"
              "AttributeError: 'NoneType' object has no attribute 'getcurrent'\n")


class FakeKeystone(object):
    def __init__(self, release):
        # keystone 24 (2023.2) on: a manager role between member and the
        # admin role, and a service role.
        self.release = release
        self.modern = int(release.split('.')[0]) >= 24
        self.domain = False
        self.projects = {}          # name -> id
        self.users = {}             # name -> dict(id, enabled, password)
        self.roles = {}             # name -> id
        self.implied = set()        # (prior id, implied id)
        self.project_grants = set()  # (user id, project id, role id)
        self.system_grants = set()  # (user id, role id)
        self.regions = set()
        self.services = []          # dicts(id, name, type)
        self.endpoints = []         # dicts(id, interface, url, region, service_id)
        self.calls = []
        self.counter = 0
        self.fail = {}

    def new_id(self):
        self.counter += 1
        return '%032x' % self.counter

    def __call__(self, argv, environ_update=None, data=None, **kwargs):
        env = environ_update or {}
        self.calls.append(dict(argv=list(argv), env=dict(env), data=data))
        if argv[0] == PYTHON:
            assert argv[1] == '-' and data == keystone_bootstrap.PROBE
            # keystone's Fernet provider refuses to load from a missing or
            # empty repository: the probe gets a throwaway one with a real key 0.
            with open(os.path.join(json.loads(argv[2])['probe_keys'], '0'), 'rb') as handle:
                assert len(base64.urlsafe_b64decode(handle.read())) == 32
            return self.probe(json.loads(argv[2]), env.get('OS_BOOTSTRAP_PASSWORD'))
        assert argv[0] == MANAGE
        args, confs = list(argv[1:]), []
        while args[0] == '--config-file':
            confs.append(args[1])
            args = args[2:]
        sub = args[0]
        if sub in self.fail:
            return self.fail[sub]
        if sub in ('fernet_setup', 'credential_setup'):
            return self.key_setup(sub, args[1:], confs)
        assert sub == 'bootstrap'
        return self.bootstrap(args[1:], env)

    # -- keystone-manage ---------------------------------------------------

    def key_setup(self, sub, args, confs):
        assert args == ['--keystone-user', 'keystone', '--keystone-group', 'keystone']
        section = 'fernet_tokens' if sub == 'fernet_setup' else 'credential'
        repo = None
        for conf in confs:
            current = None
            with open(conf) as handle:
                for line in handle:
                    line = line.strip()
                    if line.startswith('['):
                        current = line[1:-1]
                    elif current == section and line.startswith('key_repository'):
                        repo = line.split('=', 1)[1].strip()
        if not os.path.isdir(repo):
            os.makedirs(repo)
        if os.path.exists(os.path.join(repo, '0')):
            return 0, '', 'INFO keystone.common.fernet_utils [-] Key repository is already initialized; aborting.\n' + EXIT_NOISE
        for name in ('0', '1'):
            with open(os.path.join(repo, name), 'w') as handle:
                handle.write('k' * 44)
        return 0, '', 'INFO keystone.common.fernet_utils [-] Become a valid new key: %s/0\n' % repo + EXIT_NOISE

    def bootstrap(self, args, env):
        pairs = [a for a in args if a != '--no-immutable-roles']
        opts = dict(zip(pairs[0::2], pairs[1::2]))
        password = env['OS_BOOTSTRAP_PASSWORD']
        assert password not in args
        username, project, role = opts['--bootstrap-username'], opts['--bootstrap-project-name'], opts['--bootstrap-role-name']
        self.domain = True
        self.projects.setdefault(project, self.new_id())
        user = self.users.get(username)
        if user is None:
            user = self.users[username] = dict(id=self.new_id(), enabled=True, password=password)
        else:
            user.update(enabled=True, password=password)
        chain = self.chain(role)
        for name in self.role_names(role):
            self.roles.setdefault(name, self.new_id())
        for imp, prior in zip(chain[:-1], chain[1:]):
            self.implied.add((self.roles[prior], self.roles[imp]))
        if self.modern:
            self.implied.discard((self.roles[role], self.roles['member']))
        self.project_grants.add((user['id'], self.projects[project], self.roles[role]))
        self.system_grants.add((user['id'], self.roles[role]))
        region = opts.get('--bootstrap-region-id')
        if region:
            self.regions.add(region)
        urls = dict((i, opts['--bootstrap-%s-url' % i]) for i in ('public', 'internal', 'admin') if '--bootstrap-%s-url' % i in opts)
        if urls:
            services = [s for s in self.services if s['type'] == 'identity']
            if not services:
                services = [dict(id=self.new_id(), name=opts['--bootstrap-service-name'], type='identity')]
                self.services.extend(services)
            for iface, url in urls.items():
                found = [e for e in self.endpoints if e['service_id'] == services[0]['id'] and e['interface'] == iface
                         and (not region or e['region'] == region)]
                if found:
                    found[-1]['url'] = url
                else:
                    self.endpoints.append(dict(id=self.new_id(), interface=iface, url=url, region=region,
                                               service_id=services[0]['id']))
        return 0, '', 'INFO keystone.cmd.bootstrap [-] Granted role %s on the system to user %s.\n' % (role, username) + EXIT_NOISE

    def chain(self, role):
        return ['reader', 'member'] + (['manager'] if self.modern else []) + [role]

    def role_names(self, role):
        return self.chain(role) + (['service'] if self.modern else [])

    # -- the probe -----------------------------------------------------------

    def probe(self, want, password):
        if 'probe' in self.fail:
            return self.fail['probe']
        user = self.users.get(want['username']) if self.domain else None
        chain = self.chain(want['role'])
        roles = dict((name, self.roles.get(name)) for name in self.role_names(want['role']))
        project = self.projects.get(want['project']) if self.domain else None
        services = [s for s in self.services if s['type'] == 'identity']
        endpoints = {}
        if services:
            for e in self.endpoints:
                if e['service_id'] == services[0]['id'] and (not want['region'] or e['region'] == want['region']):
                    endpoints[e['interface']] = e['url']
        admin = roles[want['role']]
        state = {
            'domain': 'default' if self.domain else None,
            'project': project,
            'user': None if user is None else dict(id=user['id'], enabled=user['enabled'],
                                                   password_matches=user['password'] == password),
            'role_order': self.role_names(want['role']),
            'roles': roles,
            'implied': [['%s -> %s' % (prior, imp), (roles[prior], roles[imp]) in self.implied]
                        for imp, prior in zip(chain[:-1], chain[1:])],
            'stale_implied': [['%s -> member' % want['role'], (admin, roles['member']) in self.implied]] if self.modern else [],
            'project_grant': bool(user) and (user['id'], project, admin) in self.project_grants,
            'system_grant': bool(user) and (user['id'], admin) in self.system_grants,
            'region': want['region'] if want['region'] in self.regions else None,
            'service': dict(id=services[0]['id'], name=services[0]['name']) if services else None,
            'endpoints': endpoints,
        }
        return 0, keystone_bootstrap.STATE_MARKER + json.dumps(state, sort_keys=True) + '\n', ''


def install_fake(monkeypatch, release):
    fake = FakeKeystone(release)
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, argv, **kwargs: fake(argv, **kwargs))
    return fake


@pytest.fixture(params=sorted(REAL_STATES))
def keystone(monkeypatch, request):
    return install_fake(monkeypatch, request.param)


@pytest.fixture
def repos(tmp_path):
    # The main config names other repositories: the module's extra config
    # file, passed last, must win.
    conf = tmp_path / 'keystone.conf'
    conf.write_text(u'[fernet_tokens]\nkey_repository = %s\n[credential]\nkey_repository = %s\n'
                    % (tmp_path / 'wrong-f', tmp_path / 'wrong-c'))
    return dict(fernet_key_repository=str(tmp_path / 'fernet-keys'),
                credential_key_repository=str(tmp_path / 'credential-keys'), config_files=[str(conf)])


def run(capsys, repos, check=False, diff=False, **args):
    full = dict(keystone_manage=MANAGE, python=PYTHON, admin_password=PASSWORD, region_id='RegionOne',
                public_url='http://ctl:5000/v3', internal_url='http://ctl:5000/v3')
    full.update(repos)
    full.update(args)
    full = dict((k, v) for k, v in full.items() if v is not None)
    if check:
        full['_ansible_check_mode'] = True
    if diff:
        full['_ansible_diff'] = True
    with patch_module_args(full):
        with pytest.raises(SystemExit) as exc:
            keystone_bootstrap.main()
    out = capsys.readouterr().out
    assert PASSWORD not in out
    return exc.value.code, json.loads(out), out


def subcommands(fake):
    """keystone-manage subcommands run, in order."""
    names = ('fernet_setup', 'credential_setup', 'bootstrap')
    return [[a for a in c['argv'] if a in names][0] for c in fake.calls if c['argv'][0] == MANAGE]


def test_fake_probe_has_the_real_probe_shape(keystone, capsys, repos):
    real = REAL_STATES[keystone.release]
    urls = dict(('%s_url' % iface, real['endpoints'].get(iface)) for iface in ('public', 'internal', 'admin'))
    run(capsys, repos, **urls)
    rc, out, err = keystone.probe(dict(username='admin', role='admin', project='admin', region='RegionOne'), PASSWORD)
    state = json.loads(out[len(keystone_bootstrap.STATE_MARKER):])

    def shape(value):
        if isinstance(value, dict):
            return dict((k, shape(v)) for k, v in value.items())
        if isinstance(value, list):
            return [shape(v) for v in value]
        return type(value).__name__

    assert shape(state) == shape(REAL_STATES[keystone.release])


def test_first_run_creates_keys_and_everything(keystone, capsys, repos):
    rc, res, out = run(capsys, repos, diff=True)
    assert rc == 0 and res['changed']
    assert res['keys_initialized'] == ['fernet', 'credential']
    for key in ('fernet_key_repository', 'credential_key_repository'):
        assert sorted(os.listdir(repos[key])) == ['0', '1']
    assert res['changes'][:2] == ['fernet_setup %s' % repos['fernet_key_repository'],
                                  'credential_setup %s' % repos['credential_key_repository']]
    if keystone.modern:
        roles = ('create role manager', 'create role service', 'create implied role manager -> member',
                 'create implied role admin -> manager')
    else:
        roles = ('create implied role admin -> member',)
    for expected in roles + ('create domain default', 'create project admin', 'create user admin', 'create role reader',
                             'create role member', 'create role admin', 'create implied role member -> reader',
                             'grant role admin on project admin to user admin',
                             'grant role admin on the system to user admin', 'create region RegionOne',
                             'create service keystone (identity)', 'create public endpoint http://ctl:5000/v3',
                             'create internal endpoint http://ctl:5000/v3'):
        assert expected in res['changes']
    assert res['admin_user_id'] == keystone.users['admin']['id']
    assert res['endpoints'] == {'public': 'http://ctl:5000/v3', 'internal': 'http://ctl:5000/v3'}
    assert res['diff']['before']['user'] is None and res['diff']['after']['user'] == {'name': 'admin', 'enabled': True}
    boot = [c for c in keystone.calls if 'bootstrap' in c['argv']][0]
    assert boot['env'] == {'OS_BOOTSTRAP_PASSWORD': PASSWORD}
    assert PASSWORD not in ' '.join(boot['argv'])
    assert boot['argv'][1:] == ['--config-file', repos['config_files'][0], 'bootstrap',
                                '--bootstrap-username', 'admin', '--bootstrap-project-name', 'admin',
                                '--bootstrap-role-name', 'admin', '--bootstrap-service-name', 'keystone',
                                '--bootstrap-region-id', 'RegionOne', '--bootstrap-public-url', 'http://ctl:5000/v3',
                                '--bootstrap-internal-url', 'http://ctl:5000/v3']


def test_key_setup_gets_the_repository_paths_in_an_extra_config_file(keystone, capsys, repos):
    run(capsys, repos, bootstrap=False, admin_password=None)
    setup = [c['argv'] for c in keystone.calls if c['argv'][0] == MANAGE]
    assert [a[5] for a in setup] == ['fernet_setup', 'credential_setup']
    assert all(a[1:4] == ['--config-file', repos['config_files'][0], '--config-file'] for a in setup)
    assert not os.path.exists(os.path.join(os.path.dirname(repos['config_files'][0]), 'wrong-f'))


def test_second_run_changes_nothing_and_does_not_run_bootstrap(keystone, capsys, repos):
    run(capsys, repos)
    calls = len(keystone.calls)
    rc, res, out = run(capsys, repos, diff=True)
    assert rc == 0 and not res['changed'] and res['changes'] == [] and res['keys_initialized'] == []
    assert [c['argv'][0] for c in keystone.calls[calls:]] == [PYTHON]  # one read-only probe
    assert res['diff']['before'] == res['diff']['after']


def test_changed_password_is_reset_with_always(keystone, capsys, repos):
    run(capsys, repos)
    keystone.users['admin']['password'] = 'changedByHand'
    rc, res, out = run(capsys, repos)
    assert res['changed'] and res['changes'] == ['reset password of user admin']
    assert keystone.users['admin']['password'] == PASSWORD


def test_on_create_keeps_an_existing_password(keystone, capsys, repos):
    run(capsys, repos)
    keystone.users['admin']['password'] = 'changedByHand'
    rc, res, out = run(capsys, repos, update_password='on_create')
    assert rc == 0 and not res['changed'] and res['password_kept'] is True
    assert keystone.users['admin']['password'] == 'changedByHand'
    assert subcommands(keystone) == ['fernet_setup', 'credential_setup', 'bootstrap']


def test_on_create_refuses_when_bootstrap_would_reset_the_password(keystone, capsys, repos):
    run(capsys, repos)
    keystone.users['admin']['password'] = 'changedByHand'
    calls = len(keystone.calls)
    rc, res, out = run(capsys, repos, update_password='on_create', admin_url='http://ctl:5000/v3')
    assert rc == 1 and 'update_password=on_create' in res['msg'] and 'create admin endpoint' in res['msg']
    assert keystone.users['admin']['password'] == 'changedByHand'
    assert all(c['argv'][0] == PYTHON for c in keystone.calls[calls:])


def test_on_create_sets_the_password_of_a_new_user(keystone, capsys, repos):
    rc, res, out = run(capsys, repos, update_password='on_create')
    assert res['changed'] and keystone.users['admin']['password'] == PASSWORD


def test_disabled_admin_is_enabled(keystone, capsys, repos):
    run(capsys, repos)
    keystone.users['admin']['enabled'] = False
    rc, res, out = run(capsys, repos)
    assert res['changed'] and res['changes'] == ['enable user admin'] and keystone.users['admin']['enabled']


def test_endpoint_url_update_and_new_interface(keystone, capsys, repos):
    run(capsys, repos)
    rc, res, out = run(capsys, repos, diff=True, public_url='http://pub:5000/v3', admin_url='http://adm:5000/v3')
    assert res['changes'] == ['update public endpoint http://ctl:5000/v3 -> http://pub:5000/v3',
                              'create admin endpoint http://adm:5000/v3']
    assert res['endpoints'] == {'public': 'http://pub:5000/v3', 'internal': 'http://ctl:5000/v3', 'admin': 'http://adm:5000/v3'}
    assert res['diff']['before']['endpoints']['public'] == 'http://ctl:5000/v3'
    assert res['diff']['after']['endpoints']['public'] == 'http://pub:5000/v3'


def test_missing_role_grant_is_restored(keystone, capsys, repos):
    run(capsys, repos)
    keystone.system_grants.clear()
    rc, res, out = run(capsys, repos)
    assert res['changed'] and res['changes'] == ['grant role admin on the system to user admin']


def test_check_mode_predicts_and_writes_nothing(keystone, capsys, repos):
    run(capsys, repos)
    keystone.users['admin']['password'] = 'changedByHand'
    rc, res, out = run(capsys, repos, check=True, diff=True, internal_url='http://int:5000/v3')
    assert res['changed'] and res['changes'] == ['reset password of user admin',
                                                 'update internal endpoint http://ctl:5000/v3 -> http://int:5000/v3']
    assert res['diff']['after']['endpoints']['internal'] == 'http://int:5000/v3'
    assert keystone.users['admin']['password'] == 'changedByHand'
    assert subcommands(keystone).count('bootstrap') == 1  # only the first, real run


def test_check_mode_with_missing_keys_writes_no_key(keystone, capsys, repos):
    rc, res, out = run(capsys, repos, check=True)
    assert res['changed'] and res['keys_initialized'] == ['fernet', 'credential']
    assert not any(os.path.exists(repos[k]) for k in ('fernet_key_repository', 'credential_key_repository'))
    assert not [c for c in keystone.calls if c['argv'][0] == MANAGE]
    assert 'create user admin' in res['changes'] and res['admin_user_id'] is None


def test_check_mode_with_unreadable_database_says_so(keystone, capsys, repos):
    keystone.fail['probe'] = (1, '', 'sqlalchemy.exc.OperationalError: no such table: project\n')
    rc, res, out = run(capsys, repos, check=True)
    assert rc == 0 and res['changed']
    assert any('keystone database not readable' in c for c in res['changes'])
    assert 'Cannot read keystone state' in json.dumps(res['warnings'])


def test_unreadable_database_fails_a_real_run(keystone, capsys, repos):
    keystone.fail['probe'] = (1, '', 'sqlalchemy.exc.OperationalError: no such table: project\n')
    rc, res, out = run(capsys, repos)
    assert rc == 1 and 'no such table: project' in res['msg']
    assert 'bootstrap' not in subcommands(keystone)


def test_key_setup_that_writes_nothing_is_an_error(keystone, capsys, repos):
    keystone.fail['fernet_setup'] = (0, '', 'ERROR keystone.common.fernet_utils [-] Either [fernet_tokens] key_repository '
                                            'does not exist or Keystone does not have sufficient permission\n')
    rc, res, out = run(capsys, repos, bootstrap=False, admin_password=None)
    assert rc == 1 and 'exited 0 but' in res['msg'] and 'sufficient permission' in res['msg']


def test_bootstrap_failure_is_reported_without_password(keystone, capsys, repos):
    keystone.fail['bootstrap'] = (1, 'ERROR: password %s rejected\n' % PASSWORD, EXIT_NOISE)
    rc, res, out = run(capsys, repos)
    assert rc == 1 and 'rc=1' in res['msg'] and 'rejected' in res['msg']
    # run() asserts the password is nowhere in the output


def test_bootstrap_that_leaves_a_difference_is_an_error(keystone, capsys, repos):
    keystone.fail['bootstrap'] = (0, '', EXIT_NOISE)
    rc, res, out = run(capsys, repos)
    assert rc == 1 and 'still differs' in res['msg'] and 'create user admin' in res['msg']


def test_keystone_upgraded_from_zed_gets_the_manager_role(monkeypatch, capsys, repos):
    keystone = install_fake(monkeypatch, '27.0.0')
    keystone.modern = False
    run(capsys, repos)
    keystone.modern = True
    rc, res, out = run(capsys, repos, diff=True)
    assert rc == 0 and res['changed']
    assert res['changes'] == ['create role manager', 'create role service', 'create implied role manager -> member',
                              'create implied role admin -> manager', 'delete implied role admin -> member']
    assert res['diff']['before']['implied_roles'] == ['admin -> member', 'member -> reader']
    assert res['diff']['after']['implied_roles'] == ['admin -> manager', 'manager -> member', 'member -> reader']
    rc, res, out = run(capsys, repos)
    assert rc == 0 and not res['changed']


def test_no_immutable_roles_flag(keystone, capsys, repos):
    run(capsys, repos, immutable_roles=False)
    boot = [c['argv'] for c in keystone.calls if 'bootstrap' in c['argv']][0]
    assert boot[-1] == '--no-immutable-roles'


@pytest.mark.parametrize('args, message', [
    (dict(admin_password=None), 'admin_password'),
    (dict(public_url='ctl:5000/v3'), 'public_url must be an http:// or https:// URL'),
    (dict(admin_url='ftp://ctl/'), 'admin_url must be an http:// or https:// URL'),
    (dict(admin_role='member'), 'admin_role must not be reader, member, manager, service'),
    (dict(admin_role='manager'), 'admin_role must not be reader, member, manager, service'),
    (dict(admin_username=' admin'), 'admin_username must be a non-empty name'),
    (dict(region_id=''), 'region_id must be a non-empty name'),
    (dict(config_files=[]), 'config_files must name at least one'),
    (dict(update_password='sometimes'), 'update_password'),
])
def test_bad_input(keystone, capsys, repos, args, message):
    rc, res, out = run(capsys, repos, **args)
    assert rc == 1 and message in res['msg']
    assert keystone.calls == []


# -- the database path ----------------------------------------------------------

class FakeBcrypt(object):
    @staticmethod
    def checkpw(secret, hashed):
        return hashed == b'$2b$' + secret


def database_rows(fake):
    """keystone's tables as the fake keystone holds its state."""
    rows = dict(regions=[dict(id=r, description='', parent_region_id=None) for r in fake.regions],
                projects=[dict(id='<<keystone.domain.root>>', name='<<keystone.domain.root>>', extra='{}', description='',
                               enabled=1, domain_id='<<keystone.domain.root>>', is_domain=1)],
                roles=[dict(id=rid, name=name, domain_id='<<null>>', description=None) for name, rid in fake.roles.items()],
                groups=[], users=[], passwords=[], system_assignments=[],
                services=[dict(id=s['id'], type=s['type'], enabled=1, extra=json.dumps(dict(name=s['name'])))
                          for s in fake.services],
                endpoints=[dict(id=e['id'], interface=e['interface'], service_id=e['service_id'], url=e['url'], enabled=1,
                                region_id=e['region']) for e in fake.endpoints],
                assignments=[dict(type='UserProject', actor_id=u, target_id=p, role_id=r, inherited=0)
                             for u, p, r in fake.project_grants],
                implied=[dict(prior_role_id=a, implied_role_id=b) for a, b in fake.implied])
    if fake.domain:
        rows['projects'].append(dict(id='default', name='Default', extra='{}', description='', enabled=1,
                                     domain_id='<<keystone.domain.root>>', is_domain=1))
    rows['projects'] += [dict(id=pid, name=name, extra='{}', description='', enabled=1, domain_id='default', is_domain=0)
                         for name, pid in fake.projects.items()]
    for number, (name, user) in enumerate(sorted(fake.users.items())):
        rows['users'].append(dict(id=user['id'], extra='{}', enabled=int(user['enabled']), default_project_id=None,
                                  domain_id='default', name=name, local_id=number))
        rows['passwords'].append(dict(local_user_id=number, password_hash='$2b$' + user['password'], expires_at_int=None,
                                      created_at_int=1, id=number))
    rows['system_assignments'] = [dict(type='UserSystem', actor_id=u, target_id='system', role_id=r, inherited=0)
                                  for u, r in fake.system_grants]
    return rows


@pytest.fixture
def keystone_db(keystone, monkeypatch, repos):
    """keystone's database and code as the module finds them."""
    conf = repos['config_files'][0]
    with open(conf, 'a') as handle:
        handle.write('[database]\nconnection = mysql+pymysql://keystone:DbSecret1@127.0.0.1/keystone\n')
    # keystone 24 on: the methods the probe looks for on Bootstrapper.
    methods = (u'    def _bootstrap_manager_role(self):\n        pass\n\n'
               u'    def _bootstrap_service_role(self):\n        pass\n')
    code = u'class Bootstrapper(object):\n' + (methods if keystone.modern else u'    pass\n')
    monkeypatch.setattr(keystone_bootstrap, 'bootstrap_code', lambda: code)
    monkeypatch.setattr(catalog_db, 'bcrypt', FakeBcrypt())
    monkeypatch.setattr(catalog_db, 'HAS_BCRYPT', True)
    monkeypatch.setattr(database, 'HAS_PYMYSQL', True)
    monkeypatch.setattr(database, 'query_dicts', lambda url, statements: database_rows(keystone))
    return keystone


def test_database_path_gives_the_probes_state_and_skips_the_probe(keystone_db, capsys, repos):
    rc, first, dummy = run(capsys, repos)
    assert first['changed'] is True
    calls = len(keystone_db.calls)
    rc, res, out = run(capsys, repos, diff=True)
    assert rc == 0 and not res['changed'] and res['changes'] == []
    assert keystone_db.calls[calls:] == []  # neither the probe nor keystone-manage
    for key in ('admin_user_id', 'admin_project_id', 'role_ids', 'service_id', 'endpoints'):
        assert res[key] == first[key], key
    assert res['diff']['before'] == res['diff']['after']
    assert 'DbSecret1' not in out
    # The database's state is the probe's own, key for key.
    want = dict(domain='default', project='admin', username='admin', role='admin', region='RegionOne', password=PASSWORD)
    chain = {'between': ['manager'] if keystone_db.modern else [], 'service': keystone_db.modern}
    probed = keystone_db.probe(dict(want, config_files=[]), PASSWORD)[1]
    assert catalog_db.bootstrap_state('mysql://x@y/keystone', want, chain) == json.loads(
        probed[len(keystone_bootstrap.STATE_MARKER):])


def test_database_path_hands_differences_to_the_probe(keystone_db, capsys, repos):
    run(capsys, repos)
    # A password the database shows as another one, and a missing grant:
    # the probe decides, and bootstrap runs.
    keystone_db.users['admin']['password'] = 'other'
    keystone_db.project_grants.clear()
    calls = len(keystone_db.calls)
    rc, res, dummy = run(capsys, repos)
    assert res['changed'] is True and 'bootstrap' in subcommands(keystone_db)[-1:]
    assert keystone_db.calls[calls]['argv'][0] == PYTHON
