# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""module_utils/manage.py on output captured from Debian's nova-manage 26.2.2 (Zed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stackcraft.openstack.plugins.module_utils import manage
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK, ModuleError, StackcraftModule

# nova-manage cell_v2 list_cells --verbose, verbatim (sqlite API database).
LIST_VERBOSE = '''\
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
|  Name |                 UUID                 |            Transport URL            |    Database Connection     | Disabled |
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |               none:///              | sqlite:////tmp/nv/cell0.db |  False   |
| cell1 | 64b5104e-50ba-400b-bf4c-45168a7b569b | rabbit://nova:p%40ss@ctl:5672/cell1 | sqlite:////tmp/nv/cell1.db |  False   |
| cell2 | 12843e07-458c-4e08-a961-83302647f4c5 |   rabbit://nova:rabbitpw@ctl:5672/  | sqlite:////tmp/nv/nova.db  |  False   |
+-------+--------------------------------------+-------------------------------------+----------------------------+----------+
'''

# The same without --verbose: nova masks passwords itself, and mangles the URLs.
LIST_MASKED = '''\
+-------+--------------------------------------+-----------------------------------+--------------------------+----------+
|  Name |                 UUID                 |           Transport URL           |   Database Connection    | Disabled |
+-------+--------------------------------------+-----------------------------------+--------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |               none:/              | sqlite://tmp/nv/cell0.db |  False   |
| cell1 | 64b5104e-50ba-400b-bf4c-45168a7b569b | rabbit://nova:****@ctl:5672/cell1 | sqlite://tmp/nv/cell1.db |  False   |
+-------+--------------------------------------+-----------------------------------+--------------------------+----------+
'''

LIST_EMPTY = '''\
+------+------+---------------+---------------------+----------+
| Name | UUID | Transport URL | Database Connection | Disabled |
+------+------+---------------+---------------------+----------+
+------+------+---------------+---------------------+----------+
'''

LIST_HOSTS = '''\
+-----------+--------------------------------------+----------+
| Cell Name |              Cell UUID               | Hostname |
+-----------+--------------------------------------+----------+
|   cell1   | 64b5104e-50ba-400b-bf4c-45168a7b569b | compute1 |
+-----------+--------------------------------------+----------+
'''

EVENTLET = ('Modules with known eventlet monkey patching issues were imported prior to eventlet monkey patching: urllib3. '
            'This warning can usually be ignored if the caller is only importing and not executing nova code.\n')


def test_parse_verbose_cells():
    rows = manage.parse_table(LIST_VERBOSE)
    assert [r['Name'] for r in rows] == ['cell0', 'cell1', 'cell2']
    assert rows[1] == {
        'Name': 'cell1', 'UUID': '64b5104e-50ba-400b-bf4c-45168a7b569b',
        'Transport URL': 'rabbit://nova:p%40ss@ctl:5672/cell1',
        'Database Connection': 'sqlite:////tmp/nv/cell1.db', 'Disabled': 'False',
    }
    assert rows[2]['Transport URL'] == 'rabbit://nova:rabbitpw@ctl:5672/'


def test_parse_masked_and_hosts_tables():
    assert manage.parse_table(LIST_MASKED)[1]['Transport URL'] == 'rabbit://nova:****@ctl:5672/cell1'
    assert manage.parse_table(LIST_HOSTS) == [
        {'Cell Name': 'cell1', 'Cell UUID': '64b5104e-50ba-400b-bf4c-45168a7b569b', 'Hostname': 'compute1'}]


def test_parse_empty_table_is_empty_list_and_no_table_is_none():
    assert manage.parse_table(LIST_EMPTY) == []
    assert manage.parse_table('An error has occurred:\nTraceback (most recent call last):\n') is None
    assert manage.parse_table('') is None


def test_parse_skips_notices_before_the_table_and_text_after_it():
    text = ('--transport-url not provided in the command line, using the value [DEFAULT]/transport_url\n'
            + LIST_HOSTS + 'trailing words\n+---+\n| x |\n')
    assert [r['Hostname'] for r in manage.parse_table(text)] == ['compute1']


def test_parse_value_with_pipe_is_read_whole():
    text = ('+-----+--------------+\n'
            '| Key |    Value     |\n'
            '+-----+--------------+\n'
            '|  a  | left | right |\n'
            '+-----+--------------+\n')
    assert manage.parse_table(text) == [{'Key': 'a', 'Value': 'left | right'}]


@pytest.mark.parametrize('value, schemes, expected', [
    ('rabbit://nova:pw@ctl:5672/', None, True),
    ('mysql+pymysql://nova:pw@ctl/nova', None, True),
    ('http://ctl:5000/v3', ('http', 'https'), True),
    ('ftp://ctl/', ('http', 'https'), False),
    ('ctl:5672', None, False),
    ('', None, False),
])
def test_is_url(value, schemes, expected):
    assert manage.is_url(value, schemes) is expected


class FakeAnsibleModule(object):
    """The process edge: AnsibleModule.run_command answers with canned output."""

    params = {}
    check_mode = False

    def __init__(self, answer):
        self.answer = answer
        self.calls = []
        self.no_log_values = set()

    def run_command(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return self.answer


def stack_module(answer, secrets=()):
    stack = StackcraftModule(module=FakeAnsibleModule(answer))
    for secret in secrets:
        stack.add_secret(secret)
    return stack


def test_run_failure_keeps_stdout_message_masks_and_explains():
    out = ('The specified transport_url and/or database_connection combination already exists '
           'for another cell with uuid 64b5104e-50ba-400b-bf4c-45168a7b569b.\n')
    stack = stack_module((2, out, EVENTLET), secrets=['hunter22'])
    cmd = manage.ManageCommand(stack, ['nova-manage', '--config-file', '/etc/nova/nova.conf'])
    with pytest.raises(ModuleError) as exc:
        cmd.run(['cell_v2', 'create_cell', '--transport-url', 'rabbit://nova:hunter22@ctl/'],
                explain={2: 'already used by another cell'})
    msg = exc.value.msg
    assert 'rc=2 (already used by another cell)' in msg
    assert 'already exists for another cell' in msg  # nova's own words, from stdout
    assert 'eventlet' in msg  # and stderr after it
    assert 'hunter22' not in msg and MASK in msg


def test_run_passes_environment_and_stdin_and_accepts_listed_codes():
    stack = stack_module((1, 'some output', ''))
    cmd = manage.ManageCommand(stack, ['tool'], environ={'A': '1'})
    rc, out, err = cmd.run(['x'], ok_rcs=(0, 1), environ={'B': '2'}, data='script')
    assert rc == 1 and out == 'some output'
    argv, kwargs = stack.module.calls[0]
    assert argv == ['tool', 'x']
    assert kwargs == {'environ_update': {'A': '1', 'B': '2'}, 'data': 'script'}
