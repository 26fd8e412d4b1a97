# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""ini_settings run in-process against real files in a temporary directory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.stackcraft.openstack.plugins.module_utils import ini
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK
from ansible_collections.stackcraft.openstack.plugins.modules import host_state, ini_settings

NOVA = '''[DEFAULT]
#
# From nova.conf
#
#my_ip = <host_ipv4>

state_path = /var/lib/nova

[database]
# The SQLAlchemy connection string to use to connect to the database. (string value)
connection = sqlite:////var/lib/nova/novadb

[keystone_authtoken]
# Password for auth
#password =
'''

SECRETS = ('rabbitSecret77', 'dbSecret88', 'ksSecret99')

SETTINGS = {
    'DEFAULT': {'my_ip': '10.0.0.11', 'debug': True, 'transport_url': 'rabbit://nova:rabbitSecret77@ctl:5672/'},
    'database': {'connection': 'mysql+pymysql://nova:dbSecret88@ctl/nova'},
    'keystone_authtoken': {'password': 'ksSecret99'},
}


def run(capsys, **args):
    """Run the module; return (exit code, result dict, raw stdout)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            ini_settings.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'nova.conf'
    path.write_text(NOVA)
    os.chmod(str(path), 0o640)
    return path


def test_sets_options_and_is_idempotent(capsys, conf):
    inode = os.stat(str(conf)).st_ino
    code, result, out = run(capsys, path=str(conf), settings=SETTINGS)
    assert code == 0 and result['changed'] is True
    text = conf.read_text()
    assert 'my_ip = 10.0.0.11\n' in text and 'debug = true\n' in text
    assert '#password =\npassword = ksSecret99\n' in text
    assert 'connection = mysql+pymysql://nova:dbSecret88@ctl/nova\n' in text
    assert [(c['section'], c['key'], c['action']) for c in result['changes']] == [
        ('DEFAULT', 'my_ip', 'add'), ('DEFAULT', 'debug', 'add'), ('DEFAULT', 'transport_url', 'add'),
        ('database', 'connection', 'change'), ('keystone_authtoken', 'password', 'add')]
    # Written by rename (atomic), mode kept, no temporary file left behind.
    assert os.stat(str(conf)).st_ino != inode
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o640
    assert os.listdir(str(conf.parent)) == ['nova.conf']
    # Secrets appear nowhere in the output, not even in the invocation args.
    assert not any(secret in out for secret in SECRETS)
    assert 'diff' not in result

    code, again, out = run(capsys, path=str(conf), settings=SETTINGS)
    assert code == 0 and again['changed'] is False and again['changes'] == []
    assert conf.read_text() == text


def test_check_mode_writes_nothing_and_reports_the_diff(capsys, conf):
    before = conf.read_bytes()
    mtime = os.stat(str(conf)).st_mtime_ns
    code, result, out = run(capsys, path=str(conf), settings=SETTINGS, mode='0600', _ansible_check_mode=True, _ansible_diff=True)
    assert code == 0 and result['changed'] is True
    assert conf.read_bytes() == before and os.stat(str(conf)).st_mtime_ns == mtime
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o640
    assert len(result['changes']) == 5
    diff = result['diff']
    assert diff['before_header'] == diff['after_header'] == '%s (content)' % conf
    assert diff['before'] == NOVA.replace('connection = sqlite:////var/lib/nova/novadb', 'connection = %s' % MASK)
    assert '#my_ip = <host_ipv4>\nmy_ip = 10.0.0.11\n' in diff['after']
    assert '#password =\npassword = %s\n' % MASK in diff['after']
    assert 'transport_url = %s\n' % MASK in diff['after']
    assert not any(secret in out for secret in SECRETS)


def test_diff_mode_returns_before_and_after(capsys, conf):
    code, result, out = run(capsys, path=str(conf), settings={'DEFAULT': {'state_path': '/srv/nova'}}, _ansible_diff=True)
    masked = NOVA.replace('connection = sqlite:////var/lib/nova/novadb', 'connection = %s' % MASK)
    assert result['diff']['before'] == masked
    assert result['diff']['after'] == masked.replace('state_path = /var/lib/nova', 'state_path = /srv/nova')
    assert conf.read_text() == NOVA.replace('state_path = /var/lib/nova', 'state_path = /srv/nova')


def test_multi_valued_option_round_trip(capsys, conf):
    settings = {'DEFAULT': {'enabled_apis': ['osapi_compute', 'metadata']}}
    code, result, out = run(capsys, path=str(conf), settings=settings)
    assert 'state_path = /var/lib/nova\nenabled_apis = osapi_compute\nenabled_apis = metadata\n' in conf.read_text()
    code, result, out = run(capsys, path=str(conf), settings=settings)
    assert result['changed'] is False
    code, result, out = run(capsys, path=str(conf), state='absent', settings={'DEFAULT': {'enabled_apis': 'metadata'}})
    assert result['changed'] is True
    assert result['changes'] == [dict(section='DEFAULT', key='enabled_apis', action='remove',
                                      old=['osapi_compute', 'metadata'], new=['osapi_compute'])]
    assert 'enabled_apis = osapi_compute\n\n' in conf.read_text()


def test_remove_key_and_section(capsys, conf):
    code, result, out = run(capsys, path=str(conf), settings={'DEFAULT': {'state_path': None}, 'keystone_authtoken': None})
    assert result['changed'] is True
    text = conf.read_text()
    assert 'state_path' not in text and 'keystone_authtoken' not in text and '#password' not in text
    assert text.startswith('[DEFAULT]\n#\n# From nova.conf\n#\n#my_ip = <host_ipv4>\n\n\n[database]\n')


def test_create_missing_file(capsys, tmp_path):
    path = tmp_path / 'nova-lxd.conf'
    settings = {'DEFAULT': {'host': 'cmp1-lxd', 'debug': False}}
    code, result, out = run(capsys, path=str(path), settings=settings, create=True, _ansible_check_mode=True, _ansible_diff=True)
    assert code == 0 and result['changed'] is True and not path.exists()
    assert result['diff']['before'] == '' and result['diff']['before_header'] == '%s (absent)' % path
    assert result['diff']['after'] == '[DEFAULT]\nhost = cmp1-lxd\ndebug = false\n'

    code, result, out = run(capsys, path=str(path), settings=settings, create=True, mode='0640')
    assert code == 0 and result['changed'] is True
    assert path.read_text() == '[DEFAULT]\nhost = cmp1-lxd\ndebug = false\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    code, result, out = run(capsys, path=str(path), settings=settings, create=True, mode='0640')
    assert result['changed'] is False


def test_missing_file_without_create_is_an_error(capsys, tmp_path):
    path = tmp_path / 'nova.conf'
    code, result, out = run(capsys, path=str(path), settings=SETTINGS)
    assert code == 1 and result['failed'] is True
    assert result['msg'] == '%s does not exist (set create: true to create it)' % path
    assert not path.exists()


def test_missing_directory_with_create_is_an_error(capsys, tmp_path):
    path = tmp_path / 'nope' / 'nova.conf'
    code, result, out = run(capsys, path=str(path), settings=SETTINGS, create=True)
    assert code == 1 and 'directory %s does not exist' % path.parent in result['msg']


def test_absent_on_missing_file_is_ok_and_creates_nothing(capsys, tmp_path):
    path = tmp_path / 'nova.conf'
    code, result, out = run(capsys, path=str(path), state='absent', settings={'DEFAULT': {'debug': None}})
    assert code == 0 and result['changed'] is False and not path.exists()


def test_directory_is_an_error(capsys, tmp_path):
    code, result, out = run(capsys, path=str(tmp_path), settings=SETTINGS)
    assert code == 1 and 'is not a regular file' in result['msg']


def test_unparseable_file_is_an_error_and_left_alone(capsys, conf):
    conf.write_text(NOVA + 'garbage line\n')
    code, result, out = run(capsys, path=str(conf), settings=SETTINGS)
    assert code == 1
    assert result['msg'].startswith('%s: cannot parse line 16: ' % conf)
    assert conf.read_text() == NOVA + 'garbage line\n'


def test_non_utf8_file_is_an_error(capsys, conf):
    conf.write_bytes(b'[DEFAULT]\nk = \xff\n')
    code, result, out = run(capsys, path=str(conf), settings=SETTINGS)
    assert code == 1 and 'is not UTF-8 text' in result['msg']


@pytest.mark.parametrize('settings, message', [
    ({'DEFAULT': {'my_ip': '10.0.0.1\nevil = 1'}}, 'value contains a newline'),
    ({'DEFAULT': {'': 'x'}}, 'empty key name'),
    ({'': {'k': 'x'}}, 'empty section name'),
])
def test_bad_settings_fail_before_writing(capsys, conf, settings, message):
    code, result, out = run(capsys, path=str(conf), settings=settings)
    assert code == 1 and result['msg'].startswith('settings: ') and message in result['msg']
    assert conf.read_text() == NOVA


def test_secrets_are_masked_even_when_settings_are_invalid(capsys, conf):
    settings = {'database': {'connection': 'mysql://n:dbSecret88@h/n', 'bad': 'x\ny'},
                'cache': {'backend_argument': 'url:redis://u:ksSecret99@h:6379'},
                'DEFAULT': {'transport_url': ['rabbit://nova:rabbitSecret77@ctl:5672/'], 'bad key=': 'x'}}
    code, result, out = run(capsys, path=str(conf), settings=settings)
    assert code == 1 and result['msg'].startswith('settings: ')
    assert not any(secret in out for secret in SECRETS)


def test_backup(capsys, conf):
    code, result, out = run(capsys, path=str(conf), settings={'DEFAULT': {'debug': True}}, backup=True)
    assert result['changed'] is True
    assert open(result['backup_file']).read() == NOVA
    code, result, out = run(capsys, path=str(conf), settings={'DEFAULT': {'debug': True}}, backup=True)
    assert result['changed'] is False and 'backup_file' not in result


def test_only_attributes_change(capsys, conf):
    code, result, out = run(capsys, path=str(conf), settings={'DEFAULT': {'state_path': '/var/lib/nova'}}, mode='0600')
    assert result['changed'] is True and result['changes'] == []
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o600
    assert conf.read_text() == NOVA


def test_attributes_in_check_mode_are_reported_not_applied(capsys, conf):
    code, result, out = run(capsys, path=str(conf), settings={}, mode='0600', _ansible_check_mode=True)
    assert result['changed'] is True
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o640


def test_missing_iniparse_fails_with_missing_required_lib(capsys, conf, monkeypatch):
    # The one patch: pretend the library is not installed on the target.
    monkeypatch.setattr(ini, 'HAS_INIPARSE', False)
    code, result, out = run(capsys, path=str(conf), settings=SETTINGS)
    assert code == 1 and 'Failed to import the required Python library (iniparse)' in result['msg']


def test_record_of_the_result_and_host_state_reading_it(capsys, conf, tmp_path, monkeypatch):
    """The record proves the file as the settings left it; host_state reads
    it back with the file's checksum now, per writer."""
    records = tmp_path / 'records'
    run(capsys, path=str(conf), settings=SETTINGS, record={'dir': str(records), 'key': 'k1', 'name': 'nova_controller'})
    # A record changes nothing the module reports, and is not rewritten when equal.
    code, result, dummy = run(capsys, path=str(conf), settings=SETTINGS,
                              record={'dir': str(records), 'key': 'k1', 'name': 'nova_controller'})
    assert result['changed'] is False
    run(capsys, path=str(conf), settings={'DEFAULT': {'debug': True}},
        record={'dir': str(records), 'key': 'k2', 'name': 'nova_compute'})
    files = sorted(records.iterdir())
    assert len(files) == 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert 'ksSecret99' not in ''.join(f.read_text() for f in files)
    # Check mode leaves no record.
    run(capsys, path=str(conf), settings=SETTINGS, _ansible_check_mode=True,
        record={'dir': str(records), 'key': 'k3', 'name': 'other'})
    assert len(list(records.iterdir())) == 2

    monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, argv, **kw: (0, '', ''))
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: None)

    def read():
        with patch_module_args({'policy_dir': str(tmp_path), 'records': str(records)}):
            with pytest.raises(SystemExit):
                host_state.main()
        return json.loads(capsys.readouterr().out)['state']['records'][str(conf)]

    now = hashlib.sha256(conf.read_bytes()).hexdigest()
    state = read()
    assert state['current'] == now and state['type'] == 'file' and state['mode'] == '0640'
    assert state['records'] == {'nova_controller': {'key': 'k1', 'sha256': now}, 'nova_compute': {'key': 'k2', 'sha256': now}}
    # Edited behind the run's back: the checksum now no longer matches.
    conf.write_text(conf.read_text() + '[extra]\na = 1\n')
    assert read()['current'] != now
