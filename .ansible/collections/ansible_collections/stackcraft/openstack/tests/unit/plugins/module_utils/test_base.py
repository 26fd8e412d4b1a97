# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""module_utils/base.py: masking, command running and the module life cycle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stackcraft.openstack.plugins.module_utils import base
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK, ModuleError, StackcraftModule


class Exit(Exception):
    """Raised by the fake exit_json/fail_json, as AnsibleModule's sys.exit would."""

    def __init__(self, failed, result):
        super(Exit, self).__init__(result)
        self.failed = failed
        self.result = result


class FakeAnsibleModule(object):
    """The process edge: canned command answers, exit/fail captured."""

    check_mode = False

    def __init__(self, params=None, answer=(0, '', '')):
        self.params = params or {}
        self.answer = answer
        self.calls = []
        self.no_log_values = set()

    def run_command(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return self.answer

    def exit_json(self, **result):
        raise Exit(False, result)

    def fail_json(self, **result):
        raise Exit(True, result)


@pytest.mark.parametrize('url, expected', [
    ('rabbit://nova:rabbitpw@ctl:5672/', ['rabbitpw']),
    ('rabbit://nova:p%40ss@ctl:5672/cell1', ['p%40ss', 'p@ss']),
    ('rabbit://u1:one@h1:5672,u2:two@h2:5672/vhost', ['one', 'two']),
    ('mysql+pymysql://nova:s3cr:et@db/nova?charset=utf8', ['s3cr:et']),
    ('mysql+pymysql://nova@db/nova', []),
    ('sqlite:////var/lib/nova/nova.sqlite', []),
    ('http://ctl:5000/v3', []),
    ('none:///', []),
    ('not a url', []),
    (None, []),
])
def test_url_passwords(url, expected):
    assert base.url_passwords(url) == expected


@pytest.mark.parametrize('url, expected', [
    ('rabbit://nova:pw@ctl:5672/', 'rabbit://nova:%s@ctl:5672/' % MASK),
    ('rabbit://a:1@h1,b:2@h2/v', 'rabbit://a:%s@h1,b:%s@h2/v' % (MASK, MASK)),
    ('mysql+pymysql://nova@db/nova', 'mysql+pymysql://nova@db/nova'),
    ('http://ctl:5000/v3', 'http://ctl:5000/v3'),
    (42, 42),
])
def test_mask_url_password(url, expected):
    assert base.mask_url_password(url) == expected


def test_mask_secrets_walks_containers_longest_secret_first():
    value = {'a': ['xx-secret-xx', ('secret',)], 'b': 7, 'c': 'connection=mysql://u:dbpw@h/d'}
    masked = base.mask_secrets(value, ['secret', 'xx-secret-xx', '', None])
    assert masked == {'a': [MASK, (MASK,)], 'b': 7, 'c': 'connection=mysql://u:%s@h/d' % MASK}


def test_collect_secrets_finds_named_params_at_any_depth():
    params = {'password': 'p1', 'users': [{'name': 'u', 'password': 'p2'}, {'password': None}],
              'nested': {'token': 't'}}
    assert sorted(base.collect_secrets(params, ('password', 'token'))) == ['p1', 'p2', 't']


def test_tail_keeps_last_lines_of_each_stream():
    out = '\n'.join('line %d' % i for i in range(20))
    assert base.tail(out, 'err\n\n', lines=2) == 'line 18\nline 19\nerr'
    assert base.tail('', '') == ''


class Echo(StackcraftModule):
    secret_params = ('password',)

    def run(self):
        if self.params.get('fail'):
            raise ModuleError('bad %s' % self.params['password'], detail=self.params['password'])
        self.add_url_secrets('rabbit://u:urlpw@h/')
        return {'echo': self.params['password'], 'url': 'rabbit://u:urlpw@h/', 'msg': 'urlpw'}


def test_execute_masks_param_and_url_secrets_in_results():
    module = FakeAnsibleModule(params={'password': 'hunter2', 'fail': False})
    with pytest.raises(Exit) as exc:
        Echo(module=module).execute()
    assert exc.value.failed is False
    assert exc.value.result == {'changed': False, 'echo': MASK, 'url': 'rabbit://u:%s@h/' % MASK, 'msg': MASK}
    assert module.no_log_values == {'urlpw'}


def test_execute_turns_module_error_into_masked_failure():
    module = FakeAnsibleModule(params={'password': 'hunter2', 'fail': True})
    with pytest.raises(Exit) as exc:
        Echo(module=module).execute()
    assert exc.value.failed is True
    assert exc.value.result == {'msg': 'bad %s' % MASK, 'detail': MASK}


def test_run_command_failure_reports_both_streams_masked_and_explained():
    module = FakeAnsibleModule(answer=(2, 'real error on stdout with s3cret\n', 'a warning\n'))
    stack = StackcraftModule(module=module)
    stack.add_secret('s3cret')
    with pytest.raises(ModuleError) as exc:
        stack.run_command(['tool', '--password', 's3cret'], explain={2: 'already exists'})
    msg = exc.value.msg
    assert msg.startswith('Command tool --password %s failed with rc=2 (already exists): ' % MASK)
    assert 'real error on stdout with %s\na warning' % MASK in msg
    assert 's3cret' not in repr(exc.value.details)


def test_run_command_accepts_listed_codes_and_unchecked_calls():
    module = FakeAnsibleModule(answer=(1, 'out', 'err'))
    stack = StackcraftModule(module=module)
    assert stack.run_command(['tool'], ok_rcs=(0, 1)) == (1, 'out', 'err')
    assert stack.run_command(['tool'], check_rc=False, cwd='/') == (1, 'out', 'err')
    assert module.calls[1] == (['tool'], {'cwd': '/'})
