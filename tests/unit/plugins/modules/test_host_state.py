# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""host_state: migration heads read from revision files, connection URLs,
and the whole module against a fake dpkg-query and systemctl with a
database that cannot be reached (reported, not failed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils import database
from ansible_collections.stackcraft.openstack.plugins.modules import host_state


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_heads_of_branches_merges_and_annotations(tmp_path):
    # neutron/keystone style: expand and contract branches in sub-directories,
    # a merge revision, newer alembic templates with type annotations.
    write(tmp_path / 'base.py', "revision = 'base'\ndown_revision = None\n")
    write(tmp_path / '2024.1' / 'expand' / 'e1.py', "revision = 'e1'\ndown_revision = 'base'\nbranch_labels = ('expand',)\n")
    write(tmp_path / '2024.1' / 'expand' / 'e2.py', 'revision: str = "e2"\ndown_revision: Union[str, None] = "e1"\n')
    write(tmp_path / '2024.1' / 'contract' / 'c1.py', "revision = 'c1'\ndown_revision = 'base'\n")
    write(tmp_path / 'm1.py', "revision = 'm1'\ndown_revision = ('c1', 'x1')\n")
    write(tmp_path / 'x1.py', "revision = 'x1'\ndown_revision = 'base'\n")
    write(tmp_path / '__init__.py', "revision = 'not-a-migration'\n")
    write(tmp_path / 'README.txt', "revision = 'nope'\n")
    assert host_state.migration_graph(str(tmp_path))[1] == ['e2', 'm1']


def test_connect_args_decode_password_and_socket():
    args = database.connect_args('mysql+pymysql://nova:p%40ss%2Fw@db.example:3307/nova_api?charset=utf8')
    assert args == {'user': 'nova', 'password': 'p@ss/w', 'database': 'nova_api', 'connect_timeout': 5,
                    'host': 'db.example', 'port': 3307}
    args = database.connect_args('mysql://root@/keystone?unix_socket=/run/mysqld/mysqld.sock')
    assert args['unix_socket'] == '/run/mysqld/mysqld.sock' and 'host' not in args
    with pytest.raises(ValueError):
        database.connect_args('sqlite:////var/lib/nova/nova.sqlite')


DPKG = 'keystone\tinstalled\t2:27.0.0-2\nold-pkg\tconfig-files\t1.0\nchrony\tinstalled\t4.6-1\n'
UNITS = 'keystone.service loaded active running Keystone\nepmd.socket loaded inactive dead Erlang epmd\n'
UNIT_FILES = 'keystone.service enabled enabled\nepmd.socket disabled enabled\nnova-api.service masked enabled\n'


DEFINITIONS = json.dumps({
    'rabbit_version': '4.0.5',
    'users': [{'name': 'nova', 'password_hash': 'aGFzaA==', 'hashing_algorithm': 'rabbit_password_hashing_sha256',
               'tags': []},
              {'name': 'admin', 'password_hash': 'eA==', 'hashing_algorithm': 'rabbit_password_hashing_sha256',
               'tags': 'administrator,monitoring'}],
    'vhosts': [{'name': '/nova'}, {'name': '/'}],
    'permissions': [{'user': 'nova', 'vhost': '/nova', 'configure': '.*', 'write': '.*', 'read': '^$'}],
})


def run(capsys, monkeypatch, units=UNITS, **args):
    def fake_run(self, argv, **kwargs):
        if argv[0] == 'rabbitmqctl':
            assert argv[1:] == ['-q', 'export_definitions', '-']
            return 0, DEFINITIONS, ''
        if argv[0] == 'dpkg-query':
            return 0, DPKG, ''
        if 'list-units' in argv:
            return 0, units, ''
        if 'list-unit-files' in argv:
            return 0, UNIT_FILES, ''
        raise AssertionError('unexpected command %r' % (argv,))

    monkeypatch.setattr(AnsibleModule, 'run_command', fake_run)
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/bin/' + name)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            host_state.main()
    out = capsys.readouterr().out
    return json.loads(out), out


def test_packages_units_markers(tmp_path, capsys, monkeypatch):
    (tmp_path / 'managed').mkdir()
    (tmp_path / 'managed' / 'keystone').write_text('')
    res, _out = run(capsys, monkeypatch, policy_dir=str(tmp_path))
    state = res['state']
    assert not res['changed']
    assert state['packages'] == {'keystone': '2:27.0.0-2', 'chrony': '4.6-1'}
    assert state['units']['keystone.service'] == {'active': 'active', 'enabled': 'enabled'}
    assert state['units']['epmd.socket'] == {'active': 'inactive', 'enabled': 'disabled'}
    assert state['units']['nova-api.service'] == {'active': 'inactive', 'enabled': 'masked'}
    assert state['policy'] == {'managed': ['keystone'], 'configured': []}
    assert state['schemas'] == {}


def test_unreachable_database_is_reported_with_password_masked(tmp_path, capsys, monkeypatch):
    password = 'n0tReachable'
    conf = tmp_path / 'keystone.conf'
    conf.write_text('[DEFAULT]\n[database]\nconnection = mysql+pymysql://keystone:%s@127.0.0.1:9/keystone\n' % password)
    migrations = tmp_path / 'versions'
    write(migrations / 'a.py', "revision = 'a'\ndown_revision = None\n")
    missing = tmp_path / 'missing.conf'
    res, out = run(capsys, monkeypatch, policy_dir=str(tmp_path), databases=[
        {'name': 'keystone', 'config_file': str(conf), 'migrations': str(migrations)},
        {'name': 'glance', 'config_file': str(missing), 'migrations': str(migrations)},
    ])
    schema = res['state']['schemas']['keystone']
    assert schema['synced'] is False and schema['error']
    assert 'glance' not in res['state']['schemas']
    assert password not in out


def test_a_head_applied_through_depends_on_counts(tmp_path):
    # glance records only its contract tip; the expand head is a dependency.
    write(tmp_path / 'e1.py', "revision = 'e1'\ndown_revision = None\n")
    write(tmp_path / 'c1.py', "revision = 'c1'\ndown_revision = None\ndepends_on = 'e1'\n")
    write(tmp_path / 'e2.py', "revision = 'e2'\ndown_revision = 'e1'\n")
    graph = host_state.migration_graph(str(tmp_path))
    assert graph[1] == ['c1', 'e2']
    assert not host_state.is_synced(['c1'], graph)
    write(tmp_path / 'c2.py', "revision = 'c2'\ndown_revision = 'c1'\ndepends_on = 'e2'\n")
    graph = host_state.migration_graph(str(tmp_path))
    assert host_state.is_synced(['c2'], graph)
    assert not host_state.is_synced(['c1'], graph)
    assert not host_state.is_synced([], graph)
    # A revision the installed code does not know (newer database): not synced.
    assert not host_state.is_synced(['c2', 'zz'], graph)


def test_rabbitmq_users_vhosts_permissions_when_the_broker_runs(tmp_path, capsys, monkeypatch):
    res, _out = run(capsys, monkeypatch, policy_dir=str(tmp_path))
    assert 'rabbitmq' not in res['state']
    units = UNITS + 'rabbitmq-server.service loaded active running RabbitMQ broker\n'
    res, _out = run(capsys, monkeypatch, units=units, policy_dir=str(tmp_path))
    broker = res['state']['rabbitmq']
    assert broker['vhosts'] == ['/', '/nova']
    assert broker['users']['nova'] == {'tags': [], 'password_hash': 'aGFzaA==',
                                       'hashing_algorithm': 'rabbit_password_hashing_sha256'}
    # RabbitMQ before 3.9 exported tags as one string.
    assert broker['users']['admin']['tags'] == ['administrator', 'monitoring']
    assert broker['permissions'] == {'nova': {'/nova': {'configure': '.*', 'write': '.*', 'read': '^$'}}}


def test_files_content_and_paths(tmp_path, capsys, monkeypatch):
    conf = tmp_path / 'etc' / 'app.conf'
    write(conf, 'a = 1\n')
    conf.chmod(0o640)
    (tmp_path / 'etc' / 'big').write_text('x' * 70000)
    (tmp_path / 'etc' / 'link').symlink_to(conf)
    res, _out = run(capsys, monkeypatch, policy_dir=str(tmp_path), files=[str(tmp_path / 'etc'), str(tmp_path / 'etc' / '*'),
                                                                          str(tmp_path / 'missing')])
    state = res['state']
    # Content of small regular files only; every matched path described.
    assert state['files'] == {str(conf): 'a = 1\n'}
    paths = state['paths']
    assert paths[str(conf)]['type'] == 'file' and paths[str(conf)]['mode'] == '0640'
    assert paths[str(tmp_path / 'etc')]['type'] == 'directory'
    assert paths[str(tmp_path / 'etc' / 'link')]['type'] == 'link'
    assert paths[str(tmp_path / 'etc' / 'big')]['type'] == 'file'
    assert str(tmp_path / 'missing') not in paths
    assert set(paths[str(conf)]) == {'type', 'mode', 'owner', 'group'}


class FakeCursor(object):
    """Rows of a MariaDB server with one database, a service account and root."""

    DB_ROW = dict(Host='%', Db='glance', User='glance', Select_priv='Y', Insert_priv='Y', Grant_priv='N')
    ROWS = {
        'information_schema.SCHEMATA': [dict(SCHEMA_NAME='glance', DEFAULT_CHARACTER_SET_NAME='utf8mb4',
                                             DEFAULT_COLLATION_NAME='utf8mb4_general_ci')],
        'mysql.user': [dict(Host='%', User='glance', plugin='mysql_native_password', Password='',
                            authentication_string='*ABC', Select_priv='N', Super_priv='N'),
                       dict(Host='localhost', User='root', plugin='unix_socket', Password='', authentication_string='',
                            Select_priv='Y', Super_priv='Y')],
        'mysql.db': [DB_ROW],
        'mysql.tables_priv': [dict(User='root', Host='localhost')],
        'mysql.columns_priv': [], 'mysql.procs_priv': [],
    }

    def __init__(self):
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        self.rows = [rows for table, rows in self.ROWS.items() if ' ' + table in sql][0]

    def fetchall(self):
        return self.rows


class FakeConnection(object):
    def cursor(self, kind=None):
        return FakeCursor()

    def close(self):
        pass


def test_mysql_databases_and_accounts_through_the_socket(tmp_path, capsys, monkeypatch):
    seen = {}

    def connect(**kwargs):
        seen.update(kwargs)
        return FakeConnection()
    monkeypatch.setattr(host_state.pymysql, 'connect', connect)
    units = UNITS + 'mariadb.service loaded active running MariaDB\n'
    res, dummy = run(capsys, monkeypatch, units=units, policy_dir=str(tmp_path), mysql_socket='/run/mysqld/mysqld.sock')
    mysql = res['state']['mysql']
    assert seen == {'unix_socket': '/run/mysqld/mysqld.sock', 'user': 'root', 'connect_timeout': 5}
    assert mysql['databases'] == {'glance': {'charset': 'utf8mb4', 'collation': 'utf8mb4_general_ci'}}
    assert mysql['accounts']['glance@%'] == {'plugin': 'mysql_native_password', 'hash': '*ABC', 'global': [],
                                             'databases': {'glance': ['INSERT', 'SELECT']}, 'other': False}
    assert mysql['accounts']['root@localhost']['global'] == ['SELECT', 'SUPER']
    assert mysql['accounts']['root@localhost']['other'] is True
    assert mysql['database_privileges'] == ['GRANT', 'INSERT', 'SELECT']
    # Not read where the server does not run.
    res, dummy = run(capsys, monkeypatch, policy_dir=str(tmp_path), mysql_socket='/run/mysqld/mysqld.sock')
    assert 'mysql' not in res['state']
