#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_state
short_description: Read in one call what the stackcraft roles need to know about a host
description:
  - Returns, read-only, the state the roles of this collection would otherwise ask for in many small
    calls (one C(dpkg-query), C(systemctl) or C(*-manage) program per question).
  - C(packages), the Debian packages installed, with their versions (one C(dpkg-query)).
  - C(units), every systemd unit the host knows with its active state and unit file state (two C(systemctl) calls).
  - C(policy), the services marked C(managed) and C(configured) in O(policy_dir) (see the common role).
  - C(schemas), for each database of O(databases) whose configuration file exists, the revisions the database is
    at (its alembic version table) and the heads of the migrations the installed service ships, and whether they
    are equal. The migration heads are read from the revision files (C(revision) and C(down_revision)) without
    importing them.
  - C(nova), for a database of O(databases) with O(databases[].nova_api=true), the cells of nova's API database
    (name, uuid, transport URL and database connection, passwords masked in the output) with the schema state of
    each cell's database, and the hosts mapped to cells.
  - C(rabbitmq), when the local RabbitMQ broker runs, its users (tags, password hash and hashing algorithm), vhosts
    and permissions, from one C(rabbitmqctl export_definitions) (one call instead of several per user). The
    password hashes make the result sensitive; the common role reads it with C(no_log).
  - Whatever cannot be read (a package not installed, a database not reachable yet) is reported as missing or
    with its error, never as a failure; callers act where the state is missing and verify there.
version_added: 0.2.0
author:
  - stackcraft developers (@stackcraft)
requirements:
  - PyMySQL (C(python3-pymysql)) and iniparse (C(python3-iniparse)) on the target, for O(databases)
options:
  policy_dir:
    description:
      - Directory holding the C(managed/NAME) and C(configured/NAME) markers of the common role's policy-rc.d.
    type: path
    default: /var/lib/stackcraft/policy-rc.d
  files:
    description:
      - Glob patterns of small files whose content to return in RV(state.files) (regular files up to 64 KiB), so
        that callers can leave a file alone without a module call of its own.
      - Every path a pattern matches (directories too) is also described in RV(state.paths).
    type: list
    elements: path
    default: []
  mysql_socket:
    description:
      - Unix socket of a local MariaDB server; when the C(mariadb) service runs, its databases and accounts are read
        through it as the connecting user (root, by unix socket authentication) into RV(state.mysql).
    type: path
  records:
    description:
      - Directory of the records that C(stackcraft.openstack.ini_settings) leaves (its C(record) option), returned in
        RV(state.records) with the checksum of each file as it is now.
    type: path
  databases:
    description:
      - Databases whose schema state to read.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Key of the database in RV(state.schemas).
        type: str
        required: true
      config_file:
        description: The service's configuration file holding the connection URL. Skipped when missing.
        type: path
        required: true
      section:
        description: Section of the connection option.
        type: str
        default: database
      option:
        description: The connection option.
        type: str
        default: connection
      migrations:
        description: Directory of the service's alembic revision files (searched recursively).
        type: path
        required: true
      nova_api:
        description: This is nova's API database; also read its cells and host mappings.
        type: bool
        default: false
      cell_migrations:
        description: With O(databases[].nova_api=true), the directory of the revision files of the cell databases.
        type: path
'''

EXAMPLES = r'''
- name: Read this host's state once
  stackcraft.openstack.host_state:
    databases:
      - name: keystone
        config_file: /etc/keystone/keystone.conf
        migrations: /usr/lib/python3/dist-packages/keystone/common/sql/migrations/versions
  register: __common_host_state_read
'''

RETURN = r'''
state:
  description: The host's state.
  returned: always
  type: dict
  contains:
    packages:
      description: Installed packages and their versions.
      type: dict
      sample: {keystone: "2:27.0.0-2"}
    units:
      description: Units by name, each with C(active) (ActiveState) and C(enabled) (UnitFileState, empty when unknown).
      type: dict
      sample: {keystone.service: {active: active, enabled: enabled}}
    policy:
      description: Services marked C(managed) and C(configured).
      type: dict
      sample: {managed: [keystone], configured: [keystone]}
    files:
      description: Path to content of each file matched by O(files).
      type: dict
      sample: {/etc/default/keystone: "DAEMON_ARGS=..."}
    paths:
      description: C(type) (C(file), C(directory), C(link) or C(other)), C(mode) (four octal digits), C(owner) and
        C(group) (names, or the numeric ids without one) of each path matched by O(files).
      type: dict
      sample: {/etc/rabbitmq: {type: directory, mode: "0755", owner: root, group: rabbitmq}}
    mysql:
      description:
        - C(databases) (name to C(charset) and C(collation)) and C(accounts) (C(user@host) to C(plugin), C(hash) (the
          stored authentication string), C(global) (global privileges held), C(databases) (database to the
          database-level privileges held, C(GRANT) included) and C(other) (whether the account holds table, column
          or routine privileges)) and C(database_privileges) (every database-level privilege, known once any
          database grant exists), or C(error).
        - Only where the C(mariadb) service runs and O(mysql_socket) is given. The hashes make the result sensitive.
      type: dict
    records:
      description:
        - Per file with a record in O(records), C(records) (per writer's C(name), its C(key) and C(sha256)),
          C(current) (the SHA-256 of the file now, V(null) when it is gone) and its C(type), C(mode), C(owner) and
          C(group) (as in RV(state.paths)).
      type: dict
      sample: {/etc/nova/nova.conf: {records: {nova_compute: {key: 1f0c..., sha256: 9a3e...}}, current: 9a3e...,
               type: file, mode: "0640", owner: root, group: nova}}
    schemas:
      description: Per database, C(current) and C(heads) (sorted lists) and C(synced), or C(error).
      type: dict
      sample: {keystone: {current: [e25ffa003242, 29e87d24a316], heads: [e25ffa003242, 29e87d24a316], synced: true}}
    rabbitmq:
      description:
        - C(users) (name to C(tags), C(password_hash), C(hashing_algorithm)), C(vhosts) and C(permissions) (user to
          vhost to C(configure), C(write), C(read)), or C(error).
        - Only on a host where C(rabbitmq-server) runs.
      type: dict
    nova:
      description:
        - C(cells), each with C(name), C(uuid), C(transport_url) and C(database_connection) (passwords masked),
          C(transport_url_sha256) and C(database_connection_sha256) (SHA-256 of the real URLs, for comparing) and
          C(schema) (as in RV(state.schemas)); and C(host_mappings) (host name to cell name).
        - Only when a database with O(databases[].nova_api=true) was read.
      type: dict
'''

import ast
import glob
import grp
import hashlib
import json
import os
import pwd
import re
import stat

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import StackcraftModule, tail
from ansible_collections.stackcraft.openstack.plugins.module_utils.database import (
    HAS_PYMYSQL, config_lines, option_value, pymysql, query)

# revision = 'abc' / revision: str = "abc"; down_revision and depends_on
# likewise, each a string, a tuple of strings or None.
_ASSIGN_RE = re.compile(r'^(revision|down_revision|depends_on)\s*(?::[^=]*)?=\s*(.+?)\s*$', re.M)


def _revisions(value):
    value = ast.literal_eval(value) if value else None
    if isinstance(value, (tuple, list)):
        return set(value)
    return set([value]) if value else set()


def migration_graph(directory):
    """{revision: set of revisions it needs (down_revision and depends_on)}
    and the heads, from the alembic revision files under ``directory``."""
    needs, parents = {}, set()
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if not name.endswith('.py') or name.startswith('__'):
                continue
            with open(os.path.join(root, name)) as handle:
                found = dict(_ASSIGN_RE.findall(handle.read()))
            if 'revision' not in found:
                continue
            down = _revisions(found.get('down_revision'))
            parents.update(down)
            needs[ast.literal_eval(found['revision'])] = down | _revisions(found.get('depends_on'))
    return needs, sorted(set(needs) - parents)


def is_synced(current, graph):
    """Whether a database at revisions ``current`` has every head applied:
    alembic records only the tips, so a head an applied revision depends on
    (glance's contract branch on its expand branch) counts as applied."""
    needs, heads = graph
    if not current or any(rev not in needs for rev in current):
        return False
    applied, todo = set(), list(current)
    while todo:
        rev = todo.pop()
        if rev not in applied:
            applied.add(rev)
            todo.extend(needs.get(rev, ()))
    return set(heads) <= applied


def sha256_hex(text):
    return hashlib.sha256((text or '').encode('utf-8')).hexdigest()


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def describe(info):
    """What the common role compares of a path: type, mode, owner, group."""
    kind = 'other'
    for name, test in (('link', stat.S_ISLNK), ('file', stat.S_ISREG), ('directory', stat.S_ISDIR)):
        if test(info.st_mode):
            kind = name
            break
    return {'type': kind, 'mode': '%04o' % stat.S_IMODE(info.st_mode),
            'owner': _name(pwd.getpwuid, info.st_uid), 'group': _name(grp.getgrgid, info.st_gid)}


def privileges_held(row):
    """The privileges a mysql.user or mysql.db row grants: its *_priv
    columns that are Y, named as GRANT names them (Create_tmp_table_priv:
    CREATE TEMPORARY TABLES is left in its column form, CREATE_TMP_TABLE)."""
    return set(column[:-len('_priv')].upper() for column, value in row.items()
               if column.endswith('_priv') and value == 'Y')


class HostState(StackcraftModule):
    argument_spec = dict(
        policy_dir=dict(type='path', default='/var/lib/stackcraft/policy-rc.d'),
        files=dict(type='list', elements='path', default=[]),
        records=dict(type='path'),
        mysql_socket=dict(type='path'),
        databases=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            config_file=dict(type='path', required=True),
            section=dict(type='str', default='database'),
            option=dict(type='str', default='connection'),
            migrations=dict(type='path', required=True),
            nova_api=dict(type='bool', default=False),
            cell_migrations=dict(type='path'),
        )),
    )

    def __init__(self, module=None):
        super(HostState, self).__init__(module)
        self._configs = {}

    def packages(self):
        rc, out, _err = self.run_command(
            ['dpkg-query', '--show', '--showformat=${Package}\t${db:Status-Status}\t${Version}\n'], check_rc=False)
        found = {}
        for line in out.splitlines():
            fields = line.split('\t')
            if len(fields) == 3 and fields[1] == 'installed':
                found[fields[0]] = fields[2]
        return found

    def units(self):
        found = {}
        if not self.module.get_bin_path('systemctl'):
            return found
        common = ['systemctl', '--full', '--plain', '--no-legend', '--no-pager']
        _rc, out, _err = self.run_command(common + ['list-units', '--all'], check_rc=False)
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 4:
                found[fields[0]] = {'active': fields[2], 'enabled': ''}
        _rc, out, _err = self.run_command(common + ['list-unit-files'], check_rc=False)
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2:
                found.setdefault(fields[0], {'active': 'inactive', 'enabled': ''})['enabled'] = fields[1]
        return found

    def policy(self):
        marks = {}
        for mark in ('managed', 'configured'):
            path = os.path.join(self.params['policy_dir'], mark)
            marks[mark] = sorted(os.listdir(path)) if os.path.isdir(path) else []
        return marks

    def config_lines(self, path):
        """The parsed lines of a configuration file, read once per run
        (nova.conf holds two of the connections)."""
        if path not in self._configs:
            self._configs[path] = config_lines(path)
        return self._configs[path]

    def connection_url(self, spec):
        url = option_value(self.config_lines(spec['config_file']), spec['section'], spec['option'])
        if url:
            self.add_url_secrets(url)
        return url

    @staticmethod
    def query(url, sql):
        return query(url, sql)

    def schema(self, url, graph):
        try:
            try:
                rows = self.query(url, 'SELECT version_num FROM alembic_version')
            except pymysql.err.ProgrammingError:
                # No version table: an empty database.
                rows = ()
        except Exception as exc:  # unreachable, denied, not a MySQL URL...
            return {'error': self.mask(str(exc)), 'synced': False}
        current = sorted(row[0] for row in rows)
        return {'current': current, 'heads': graph[1], 'synced': is_synced(current, graph)}

    def nova(self, url, cell_graph):
        result = {'cells': [], 'host_mappings': {}}
        try:
            cells = self.query(url, 'SELECT id, uuid, name, transport_url, database_connection FROM cell_mappings')
            hosts = self.query(url, 'SELECT host, cell_id FROM host_mappings')
        except Exception as exc:
            result['error'] = self.mask(str(exc))
            return result
        names = {}
        for cell_id, uuid, name, transport_url, connection in cells:
            names[cell_id] = name
            self.add_url_secrets(transport_url)
            self.add_url_secrets(connection)
            result['cells'].append({
                'name': name, 'uuid': uuid, 'transport_url': transport_url, 'database_connection': connection,
                # What callers compare their wanted URLs with (the URLs
                # themselves come back masked).
                'transport_url_sha256': sha256_hex(transport_url),
                'database_connection_sha256': sha256_hex(connection),
                'schema': self.schema(connection, cell_graph) if connection else {'synced': False},
            })
        result['host_mappings'] = dict((host, names.get(cell_id)) for host, cell_id in hosts)
        return result

    def files(self):
        """Content of the small regular files, and what each matched path is."""
        found, paths = {}, {}
        for pattern in self.params['files']:
            for path in sorted(glob.glob(pattern)):
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                paths[path] = describe(info)
                if paths[path]['type'] == 'file' and info.st_size <= 65536:
                    with open(path, 'rb') as handle:
                        found[path] = handle.read().decode('utf-8', 'replace')
        return found, paths

    def records(self):
        """The ini_settings records by file, with each file's checksum and attributes now."""
        found = {}
        directory = self.params['records']
        for name in sorted(os.listdir(directory)) if directory and os.path.isdir(directory) else ():
            try:
                with open(os.path.join(directory, name)) as handle:
                    record = json.load(handle)
                path, writer = record['path'], record.get('name', '')
                mine = {'key': record['key'], 'sha256': record['sha256']}
            except (IOError, OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            if path not in found:
                found[path] = entry = {'records': {}, 'current': None}
                try:
                    entry.update(describe(os.lstat(path)))
                    if entry['type'] == 'file':
                        with open(path, 'rb') as handle:
                            entry['current'] = hashlib.sha256(handle.read()).hexdigest()
                except (IOError, OSError):
                    pass
            found[path]['records'][writer] = mine
        return found

    def mysql(self, units):
        """Databases and accounts of the local MariaDB server, read as root
        through its socket; None where it does not run."""
        socket = self.params['mysql_socket']
        if not socket or (units.get('mariadb.service') or {}).get('active') != 'active' or not HAS_PYMYSQL:
            return None
        try:
            connection = pymysql.connect(unix_socket=socket, user='root', connect_timeout=5)
            try:
                with connection.cursor(pymysql.cursors.DictCursor) as cursor:
                    cursor.execute('SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME'
                                   ' FROM information_schema.SCHEMATA')
                    databases = dict((row['SCHEMA_NAME'], {'charset': row['DEFAULT_CHARACTER_SET_NAME'],
                                                           'collation': row['DEFAULT_COLLATION_NAME']})
                                     for row in cursor.fetchall())
                    cursor.execute('SELECT * FROM mysql.user')
                    users = cursor.fetchall()
                    cursor.execute('SELECT * FROM mysql.db')
                    grants = cursor.fetchall()
                    others = set()
                    for table in ('tables_priv', 'columns_priv', 'procs_priv'):
                        cursor.execute('SELECT User, Host FROM mysql.%s' % table)
                        others.update((row['User'], row['Host']) for row in cursor.fetchall())
            finally:
                connection.close()
        except Exception as exc:  # not running yet, denied...
            return {'error': str(exc)}
        accounts = {}
        for row in users:
            name = '%s@%s' % (row['User'], row['Host'])
            accounts[name] = {
                'plugin': row.get('plugin') or '',
                'hash': row.get('authentication_string') or row.get('Password') or '',
                'global': sorted(privileges_held(row)),
                'databases': {},
                'other': (row['User'], row['Host']) in others,
            }
        for row in grants:
            name = '%s@%s' % (row['User'], row['Host'])
            if name in accounts:
                accounts[name]['databases'][row['Db']] = sorted(privileges_held(row))
        # Every database-level privilege there is: what GRANT ALL gives.
        columns = set()
        for row in grants[:1]:
            columns = privileges_held(dict((column, 'Y') for column in row))
        return {'databases': databases, 'accounts': accounts, 'database_privileges': sorted(columns)}

    def rabbitmq(self, units):
        """Users (tags, password hash), vhosts and permissions of a running
        local broker, in one rabbitmqctl call."""
        if (units.get('rabbitmq-server.service') or {}).get('active') != 'active' \
                or not self.module.get_bin_path('rabbitmqctl'):
            return None
        rc, out, err = self.run_command(['rabbitmqctl', '-q', 'export_definitions', '-'], check_rc=False)
        try:
            definitions = json.loads(out) if rc == 0 else None
        except ValueError:
            definitions = None
        if definitions is None:
            return {'error': tail(out, err) or 'rabbitmqctl export_definitions failed (rc=%d)' % rc}
        users, permissions = {}, {}
        for user in definitions.get('users', []):
            tags = user.get('tags') or []
            if not isinstance(tags, list):
                # RabbitMQ before 3.9: one comma-separated string.
                tags = [tag for tag in tags.split(',') if tag]
            users[user['name']] = {'tags': sorted(tags), 'password_hash': user.get('password_hash', ''),
                                   'hashing_algorithm': user.get('hashing_algorithm', 'rabbit_password_hashing_sha256')}
        for perm in definitions.get('permissions', []):
            permissions.setdefault(perm['user'], {})[perm['vhost']] = {
                'configure': perm['configure'], 'write': perm['write'], 'read': perm['read']}
        return {'users': users, 'vhosts': sorted(vhost['name'] for vhost in definitions.get('vhosts', [])),
                'permissions': permissions}

    def run(self):
        files, paths = self.files()
        state = {'packages': self.packages(), 'units': self.units(), 'policy': self.policy(), 'files': files,
                 'paths': paths, 'records': self.records(), 'schemas': {}}
        mysql = self.mysql(state['units'])
        if mysql is not None:
            state['mysql'] = mysql
        rabbitmq = self.rabbitmq(state['units'])
        if rabbitmq is not None:
            state['rabbitmq'] = rabbitmq
        graphs = {}

        def graph(directory):
            if directory not in graphs:
                graphs[directory] = migration_graph(directory) if os.path.isdir(directory) else None
            return graphs[directory]

        for spec in self.params['databases']:
            url = self.connection_url(spec)
            if not url:
                continue
            if not HAS_PYMYSQL:
                state['schemas'][spec['name']] = {'error': missing_required_lib('PyMySQL'), 'synced': False}
                continue
            wanted = graph(spec['migrations'])
            if wanted is None:
                state['schemas'][spec['name']] = {'error': 'no migrations in %s' % spec['migrations'], 'synced': False}
                continue
            state['schemas'][spec['name']] = self.schema(url, wanted)
            if spec['nova_api'] and spec['cell_migrations'] and graph(spec['cell_migrations']) is not None:
                state['nova'] = self.nova(url, graph(spec['cell_migrations']))
        return {'state': state}


def main():
    HostState().execute()


if __name__ == '__main__':
    main()
