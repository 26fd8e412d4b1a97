# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova_cell run in-process against a fake nova-manage at the process edge.

FakeNovaManage answers AnsibleModule.run_command as nova-manage 26.2.2 (Debian
Zed) does: same messages, exit codes and PrettyTable layout (checked against
verbatim captured output below), including its quirks: update_cell takes a
missing URL from nova.conf and ignores an invalid transport URL with exit 0.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK
from ansible_collections.stackcraft.openstack.plugins.modules import nova_cell

CELL0 = '00000000-0000-0000-0000-000000000000'
CELL1 = '64b5104e-50ba-400b-bf4c-45168a7b569b'
CELL2 = '12843e07-458c-4e08-a961-83302647f4c5'
RABBIT_PW = 'rabbitS3cret'
DB_PW = 'dbS3cret'
TRANSPORT = 'rabbit://nova:%s@ctl:5672/cell1' % RABBIT_PW
DATABASE = 'mysql+pymysql://nova:%s@db/nova_cell1' % DB_PW
CONF_TRANSPORT = 'rabbit://nova:confPw1@ctl:5672/'
CONF_DATABASE = 'mysql+pymysql://nova:confPw2@db/nova'

# Captured from the real nova-manage cell_v2 list_cells --verbose.
REAL_LIST = '''\
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
|  Name |                 UUID                 |            Transport URL            |    Database Connection     | Disabled |
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |               none:///              | sqlite:////tmp/nv/cell0.db |  False   |
| cell1 | 64b5104e-50ba-400b-bf4c-45168a7b569b | rabbit://nova:p%40ss@ctl:5672/cell1 | sqlite:////tmp/nv/cell1.db |  False   |
| cell2 | 12843e07-458c-4e08-a961-83302647f4c5 |   rabbit://nova:rabbitpw@ctl:5672/  | sqlite:////tmp/nv/nova.db  |  False   |
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
'''
EVENTLET = ('Modules with known eventlet monkey patching issues were imported prior to eventlet monkey patching: urllib3. '
            'This warning can usually be ignored if the caller is only importing and not executing nova code.\n')


def _center(text, width):
    # prettytable's centering: the odd space goes right for odd-length text.
    excess = width - len(text)
    if len(text) % 2:
        return ' ' * (excess // 2) + text + ' ' * (excess // 2 + excess % 2)
    return ' ' * (excess // 2 + excess % 2) + text + ' ' * (excess // 2)


def render(header, rows):
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    border = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(cells):
        return '|' + '|'.join(' %s ' % _center(c, w) for c, w in zip(cells, widths)) + '|'

    return '\n'.join([border, line(header), border] + [line(r) for r in rows] + [border]) + '\n'


def test_fake_renders_like_the_real_prettytable():
    rows = [['cell0', CELL0, 'none:///', 'sqlite:////tmp/nv/cell0.db', 'False'],
            ['cell1', CELL1, 'rabbit://nova:p%40ss@ctl:5672/cell1', 'sqlite:////tmp/nv/cell1.db', 'False'],
            ['cell2', CELL2, 'rabbit://nova:rabbitpw@ctl:5672/', 'sqlite:////tmp/nv/nova.db', 'False']]
    assert render(['Name', 'UUID', 'Transport URL', 'Database Connection', 'Disabled'], rows) == REAL_LIST


class FakeNovaManage(object):
    def __init__(self, cells=None, hosts=None, unmapped=None):
        # uuid -> dict(name, transport_url, database_connection, disabled)
        self.cells = cells or {}
        self.hosts = hosts or {}        # uuid -> mapped host names
        self.unmapped = unmapped or {}  # uuid -> compute hosts not mapped yet
        self.calls = []
        self.fail = {}                  # subcommand -> (rc, out)

    def __call__(self, module, argv, check_rc=False, **kwargs):
        self.calls.append(list(argv))
        args = list(argv[1:])
        while args and args[0] == '--config-file':
            args = args[2:]
        assert args[0] == 'cell_v2'
        sub, opts = args[1], self._opts(args[2:])
        if sub in self.fail:
            rc, out = self.fail[sub]
            return rc, out, EVENTLET
        rc, out = getattr(self, sub)(opts)
        return rc, out, EVENTLET

    @staticmethod
    def _opts(args):
        opts = {}
        while args:
            key = args.pop(0)
            if args and not args[0].startswith('--'):
                opts[key] = args.pop(0)
            else:
                opts[key] = True
        return opts

    def list_cells(self, opts):
        assert opts == {'--verbose': True}
        rows = [[c['name'] or '', uuid, c['transport_url'], c['database_connection'], str(c['disabled'])]
                for uuid, c in sorted(self.cells.items(), key=lambda item: item[1]['name'] or '')]
        return 0, render(['Name', 'UUID', 'Transport URL', 'Database Connection', 'Disabled'], rows)

    def list_hosts(self, opts):
        uuid = opts['--cell_uuid']
        if uuid not in self.cells:
            return 1, 'Cell with uuid %s was not found.\n' % uuid
        rows = [[self.cells[uuid]['name'], uuid, host] for host in sorted(self.hosts.get(uuid, []))]
        return 0, render(['Cell Name', 'Cell UUID', 'Hostname'], rows)

    def _duplicate(self, skip, transport, database):
        for uuid, cell in self.cells.items():
            if uuid != skip and (cell['transport_url'] == transport or cell['database_connection'] == database):
                return ('The specified transport_url and/or database_connection combination already exists '
                        'for another cell with uuid %s.\n' % uuid)
        return None

    def map_cell0(self, opts):
        if CELL0 in self.cells:
            return 0, 'Cell0 is already setup\n'
        self.cells[CELL0] = dict(name='cell0', transport_url='none:///', disabled=False,
                                 database_connection=opts.get('--database_connection', CONF_DATABASE + '_cell0'))
        return 0, ''

    def create_cell(self, opts):
        out = ''
        transport = opts.get('--transport-url')
        if not transport:
            out += ('--transport-url not provided in the command line, using the value [DEFAULT]/transport_url '
                    'from the configuration file\n')
            transport = CONF_TRANSPORT
        database = opts.get('--database_connection')
        if not database:
            out += ('--database_connection not provided in the command line, using the value [database]/connection '
                    'from the configuration file\n')
            database = CONF_DATABASE
        dup = self._duplicate(None, transport, database)
        if dup:
            return 2, out + dup
        uuid = '9a0e5c8e-1111-4222-8333-%012d' % len(self.cells)
        self.cells[uuid] = dict(name=opts.get('--name'), transport_url=transport, database_connection=database,
                                disabled=False)
        return 0, out + (uuid + '\n' if opts.get('--verbose') else '')

    def update_cell(self, opts):
        uuid = opts['--cell_uuid']
        if uuid not in self.cells:
            return 1, 'Cell with uuid %s was not found.\n' % uuid
        out = ''
        transport = opts.get('--transport-url') or CONF_TRANSPORT
        if '://' not in transport:
            out += 'Invalid transport URL: No scheme specified\n'
            transport = None
        database = opts.get('--database_connection') or CONF_DATABASE
        dup = self._duplicate(uuid, transport, database)
        if dup:
            return 3, out + dup
        if transport:
            self.cells[uuid]['transport_url'] = transport
        self.cells[uuid]['database_connection'] = database
        return 0, out

    def delete_cell(self, opts):
        uuid = opts['--cell_uuid']
        if uuid not in self.cells:
            return 1, 'Cell with uuid %s was not found.\n' % uuid
        if self.hosts.get(uuid) and not opts.get('--force'):
            return 2, 'There are existing hosts mapped to cell with uuid %s.\n' % uuid
        self.hosts.pop(uuid, None)
        del self.cells[uuid]
        return 0, ''

    def discover_hosts(self, opts):
        assert opts.get('--verbose')
        lines = []
        uuids = [opts['--cell_uuid']] if '--cell_uuid' in opts else sorted(self.cells)
        if '--cell_uuid' not in opts:
            lines.append('Found %d cell mappings.' % len(self.cells))
        for uuid in uuids:
            if uuid == CELL0:
                lines.append('Skipping cell0 since it does not contain hosts.')
                continue
            lines.append("Getting computes from cell '%s': %s" % (self.cells[uuid]['name'], uuid))
            new = self.unmapped.pop(uuid, [])
            for host in new:
                if opts.get('--by-service'):
                    lines.append('Creating host mapping for service %s' % host)
                else:
                    lines.append("Checking host mapping for compute host '%s': 5d1e-%s" % (host, host))
                    lines.append("Creating host mapping for compute host '%s': 5d1e-%s" % (host, host))
                self.hosts.setdefault(uuid, []).append(host)
            lines.append('Found %d unmapped computes in cell: %s' % (len(new), uuid))
        return 0, '\n'.join(lines) + '\n'


def cell(name, transport, database, disabled=False):
    return dict(name=name, transport_url=transport, database_connection=database, disabled=disabled)


def base_cells():
    return {CELL0: cell('cell0', 'none:///', 'mysql+pymysql://nova:%s@db/nova_cell0' % DB_PW),
            CELL1: cell('cell1', TRANSPORT, DATABASE)}


@pytest.fixture
def nova(monkeypatch):
    fake = FakeNovaManage(base_cells())

    def run_command(self, argv, **kwargs):
        return fake(self, argv, **kwargs)

    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    return fake


def run(capsys, check=False, diff=False, **args):
    args.setdefault('nova_manage', '/usr/bin/nova-manage')
    if check:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            nova_cell.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def writes(fake):
    return [c for c in fake.calls if c[c.index('cell_v2') + 1] not in ('list_cells', 'list_hosts')]


def assert_no_secret(out, *secrets):
    for secret in secrets + (RABBIT_PW, DB_PW):
        assert secret not in out


def test_create_when_missing(nova, capsys):
    nova.cells.pop(CELL1)
    rc, res, out = run(capsys, diff=True, name='cell1', transport_url=TRANSPORT, database_connection=DATABASE)
    assert rc == 0 and res['changed']
    new = [u for u, c in nova.cells.items() if c['name'] == 'cell1']
    assert len(new) == 1 and res['cell_uuid'] == new[0]
    assert nova.cells[new[0]]['transport_url'] == TRANSPORT
    assert res['actions'] == ['create_cell cell1']
    assert res['diff']['before'] is None
    assert res['diff']['after']['transport_url'] == 'rabbit://nova:%s@ctl:5672/cell1' % MASK
    assert res['cell']['database_connection'] == 'mysql+pymysql://nova:%s@db/nova_cell1' % MASK
    assert_no_secret(out)


def test_existing_identical_cell_is_left_alone(nova, capsys):
    rc, res, out = run(capsys, diff=True, name='cell1', transport_url=TRANSPORT, database_connection=DATABASE)
    assert rc == 0 and not res['changed'] and res['actions'] == []
    assert res['cell_uuid'] == CELL1
    assert writes(nova) == []
    assert res['diff']['before'] == res['diff']['after']
    assert_no_secret(out)


def test_create_cell_is_never_repeated(nova, capsys):
    """nova bug 1923899: a second create_cell would make a second cell1."""
    run(capsys, name='cell1', transport_url=TRANSPORT, database_connection=DATABASE)
    run(capsys, name='cell1')
    assert [c['name'] for c in nova.cells.values()].count('cell1') == 1
    assert writes(nova) == []


def test_update_transport_url_passes_current_database(nova, capsys):
    new = 'rabbit://nova:%s@ctl2:5672/cell1' % RABBIT_PW
    rc, res, out = run(capsys, diff=True, name='cell1', transport_url=new)
    assert rc == 0 and res['changed'] and res['actions'] == ['update_cell cell1: transport_url']
    # Without --database_connection nova would take [database]/connection from nova.conf.
    assert nova.cells[CELL1] == cell('cell1', new, DATABASE)
    call = writes(nova)[0]
    assert call[call.index('--database_connection') + 1] == DATABASE
    assert res['diff']['before']['transport_url'] == 'rabbit://nova:%s@ctl:5672/cell1' % MASK
    assert res['diff']['after']['transport_url'] == 'rabbit://nova:%s@ctl2:5672/cell1' % MASK
    assert_no_secret(out)


def test_update_database_connection_only(nova, capsys):
    new = 'mysql+pymysql://nova:%s@db2/nova_cell1' % DB_PW
    rc, res, out = run(capsys, name='cell1', database_connection=new)
    assert res['changed'] and res['actions'] == ['update_cell cell1: database_connection']
    assert nova.cells[CELL1] == cell('cell1', TRANSPORT, new)
    assert_no_secret(out)


def test_password_only_change_is_visible_in_diff_but_masked(nova, capsys):
    new = 'rabbit://nova:OtherPassw0rd@ctl:5672/cell1'
    rc, res, out = run(capsys, diff=True, name='cell1', transport_url=new)
    assert res['changed']
    assert res['diff']['after']['transport_url'].endswith('(password changed)')
    assert nova.cells[CELL1]['transport_url'] == new
    assert_no_secret(out, 'OtherPassw0rd')


def test_update_ignored_by_nova_is_an_error(nova, capsys, monkeypatch):
    # update_cell prints "Invalid transport URL" and exits 0 without saving it.
    monkeypatch.setattr(nova_cell, 'is_url', lambda value, schemes=None: True)
    rc, res, out = run(capsys, name='cell1', transport_url='rabbit:/nova:%s@ctl' % RABBIT_PW)
    assert rc == 1 and res['failed']
    assert 'reported success but the transport_url of cell cell1 is still' in res['msg']
    assert_no_secret(out)


def test_transport_url_of_another_cell_is_refused_before_nova(nova, capsys):
    nova.cells[CELL2] = cell('cell2', 'rabbit://nova:%s@ctl:5672/cell2' % RABBIT_PW, 'mysql+pymysql://nova:%s@db/c2' % DB_PW)
    rc, res, out = run(capsys, name='cell1', transport_url='rabbit://nova:%s@ctl:5672/cell2' % RABBIT_PW)
    assert rc == 1 and 'already used by cell cell2 (%s)' % CELL2 in res['msg']
    assert writes(nova) == []
    assert_no_secret(out)


def test_check_mode_create_and_update_write_nothing(nova, capsys):
    before = json.dumps(nova.cells, sort_keys=True)
    rc, res, out = run(capsys, check=True, diff=True, name='cell1', transport_url='rabbit://nova:%s@ctl9/' % RABBIT_PW)
    assert res['changed'] and res['actions'] == ['update_cell cell1: transport_url']
    assert res['diff']['after']['transport_url'] == 'rabbit://nova:%s@ctl9/' % MASK
    rc, res, out = run(capsys, check=True, name='cell3', transport_url='rabbit://nova:%s@ctl3/' % RABBIT_PW,
                       database_connection='mysql+pymysql://nova:%s@db/nova_cell3' % DB_PW)
    assert res['changed'] and res['actions'] == ['create_cell cell3'] and res['cell_uuid'] is None
    assert writes(nova) == []
    assert json.dumps(nova.cells, sort_keys=True) == before
    assert_no_secret(out)


def test_cell0_mapped_when_missing_then_noop(nova, capsys):
    nova.cells.pop(CELL0)
    conn = 'mysql+pymysql://nova:%s@db/nova_cell0' % DB_PW
    rc, res, out = run(capsys, cell0=True, database_connection=conn)
    assert res['changed'] and res['actions'] == ['map_cell0'] and res['cell_uuid'] == CELL0
    assert nova.cells[CELL0]['database_connection'] == conn
    rc, res, out = run(capsys, cell0=True, database_connection=conn)
    assert not res['changed']
    assert [c[c.index('cell_v2') + 1] for c in writes(nova)] == ['map_cell0']
    assert_no_secret(out)


def test_cell0_database_change_uses_update_cell_with_none_transport(nova, capsys):
    conn = 'mysql+pymysql://nova:%s@db2/nova_cell0' % DB_PW
    rc, res, out = run(capsys, cell0=True, database_connection=conn)
    assert res['changed'] and res['actions'] == ['update_cell cell0: database_connection']
    assert nova.cells[CELL0] == cell('cell0', 'none:///', conn)


def test_cell0_without_connection_lets_nova_derive_it(nova, capsys):
    nova.cells.pop(CELL0)
    rc, res, out = run(capsys, cell0=True)
    assert res['changed'] and writes(nova)[0][-2:] == ['cell_v2', 'map_cell0']
    assert res['cell']['database_connection'] == 'mysql+pymysql://nova:%s@db/nova_cell0' % MASK


def test_discover_reports_new_hosts(nova, capsys):
    nova.unmapped[CELL1] = ['compute1', 'compute2']
    rc, res, out = run(capsys, name='cell1', discover_hosts=True)
    assert res['changed'] and res['discovered_hosts'] == ['compute1', 'compute2']
    call = writes(nova)[0]
    assert call[call.index('--cell_uuid') + 1] == CELL1 and '--by-service' not in call
    rc, res, out = run(capsys, name='cell1', discover_hosts=True)
    assert not res['changed'] and res['discovered_hosts'] == []
    # Mapped before or just now: what the role waits for.
    assert set(res['mapped_hosts']) >= {'compute1', 'compute2'}


def test_discover_by_service_in_all_cells(nova, capsys):
    nova.unmapped[CELL1] = ['ironic1']
    rc, res, out = run(capsys, discover_hosts=True, by_service=True)
    assert res['changed'] and res['discovered_hosts'] == ['ironic1']
    assert res['actions'] == ['discover_hosts: mapped ironic1']
    call = writes(nova)[0]
    assert '--by-service' in call and '--cell_uuid' not in call


def test_discover_not_run_in_check_mode(nova, capsys):
    nova.unmapped[CELL1] = ['compute1']
    rc, res, out = run(capsys, check=True, name='cell1', discover_hosts=True)
    assert not res['changed'] and res['discovered_hosts'] is None
    assert 'not run in check mode' in json.dumps(res['warnings'])
    assert writes(nova) == [] and nova.unmapped[CELL1] == ['compute1']


def test_delete_empty_cell(nova, capsys):
    rc, res, out = run(capsys, diff=True, name='cell1', state='absent')
    assert res['changed'] and res['actions'] == ['delete_cell cell1'] and CELL1 not in nova.cells
    assert res['diff']['after'] is None and res['diff']['before']['uuid'] == CELL1
    rc, res, out = run(capsys, name='cell1', state='absent')
    assert not res['changed']
    assert_no_secret(out)


def test_delete_refused_while_hosts_are_mapped(nova, capsys):
    nova.hosts[CELL1] = ['compute1']
    rc, res, out = run(capsys, name='cell1', state='absent')
    assert rc == 1 and 'still has hosts mapped: compute1' in res['msg'] and 'force=true' in res['msg']
    assert CELL1 in nova.cells and writes(nova) == []


def test_delete_with_force_and_check_mode(nova, capsys):
    nova.hosts[CELL1] = ['compute1']
    rc, res, out = run(capsys, check=True, name='cell1', state='absent', force=True)
    assert res['changed'] and res['removed_hosts'] == ['compute1'] and CELL1 in nova.cells
    rc, res, out = run(capsys, name='cell1', state='absent', force=True)
    assert res['changed'] and CELL1 not in nova.cells
    assert writes(nova)[0][-1] == '--force'


def test_command_failure_message_is_masked(nova, capsys):
    nova.fail['list_cells'] = (255, 'An error has occurred:\nTraceback (most recent call last):\n'
                                    'sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied '
                                    'for user \'nova\'@\'db\' (using password: YES)")\n'
                                    '(connection: %s)\n' % DATABASE)
    rc, res, out = run(capsys, name='cell1', transport_url=TRANSPORT, database_connection=DATABASE)
    assert rc == 1 and 'rc=255' in res['msg'] and 'Access denied' in res['msg']
    assert 'mysql+pymysql://nova:%s@db/nova_cell1' % MASK in res['msg']
    assert_no_secret(out)


def test_delete_refusal_by_nova_is_explained(nova, capsys):
    nova.fail['delete_cell'] = (3, 'There are existing instances mapped to cell with uuid %s.\n' % CELL1)
    rc, res, out = run(capsys, name='cell1', state='absent')
    assert rc == 1 and 'rc=3 (instances live in the cell)' in res['msg']


def test_two_cells_with_one_name_is_an_error(nova, capsys):
    nova.cells[CELL2] = cell('cell1', 'rabbit://x:%s@h/' % RABBIT_PW, 'mysql://x:%s@h/y' % DB_PW)
    rc, res, out = run(capsys, name='cell1')
    assert rc == 1 and '2 cells are named cell1' in res['msg'] and CELL2 in res['msg']


@pytest.mark.parametrize('args, message', [
    (dict(name='cell1', transport_url='ctl:5672'), 'transport_url must be a URL'),
    (dict(name='cell1', database_connection='nova@db/nova'), 'database_connection must be a URL'),
    (dict(transport_url=TRANSPORT), 'name is required'),
    (dict(name='cell0'), 'use cell0=true'),
    (dict(cell0=True, name='cell1'), 'name must not be given with cell0=true'),
    (dict(cell0=True, state='absent'), 'not supported for cell0'),
    (dict(cell0=True, discover_hosts=True), 'cell0 has no hosts'),
    (dict(cell0=True, transport_url=TRANSPORT), 'mutually exclusive'),
    (dict(name='cell1', by_service=True), 'by_service only applies'),
    (dict(name='cell1', force=True), 'force only applies with state=absent'),
    (dict(name='cell1', state='absent', discover_hosts=True), 'do not apply with state=absent'),
    (dict(name=' cell1'), 'without leading or trailing spaces'),
])
def test_bad_input(nova, capsys, args, message):
    rc, res, out = run(capsys, **args)
    assert rc == 1 and message in res['msg']
    assert nova.calls == []
    assert_no_secret(out)
