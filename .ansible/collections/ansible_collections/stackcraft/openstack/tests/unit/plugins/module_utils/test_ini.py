# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for the pure INI planning logic behind ini_settings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.stackcraft.openstack.plugins.module_utils import ini
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK

# Excerpts of Debian 12's pristine /usr/share/nova-common/nova.conf
# (nova-common 2:26.2.2-1~deb12u5), cut together unchanged line by line.
NOVA_CONF = '''\
[DEFAULT]

#
# From nova.conf
#
#
# * my_block_storage_ip
#  (string value)
#
# This option has a sample default set, which means that
# its actual default value may vary from the one documented
# below.
#my_ip = <host_ipv4>

# * ``state_path``
#  (string value)
#
# This option has a sample default set, which means that
# its actual default value may vary from the one documented
# below.
pybasedir = /usr/lib/python3/dist-packages

#
# The top-level directory for maintaining Nova's state.
#
# This directory is used to store Nova's internal state. It is used by a
# variety of other config options which derive from this. In some scenarios
# (for example migrations) it makes sense to use a storage location which is
# shared between multiple compute hosts (for example via NFS). Unless the
# option ``instances_path`` gets overwritten, this directory can grow very
# large.
#
# Possible values:
#
# * The full path to a directory. Defaults to value provided in ``pybasedir``.
#  (string value)
state_path = /var/lib/nova

# From oslo.log
#

# If set to true, the logging level will be set to DEBUG instead of the default INFO level. (boolean value)
# Note: This option can be changed without restarting.
#debug = false

# driver://[user:pass@]host:port[,[userN:passN@]hostN:portN]/virtual_host?query
#
# Example: rabbit://rabbitmq:password@127.0.0.1:5672//
#
# For full details on the fields in the URL see the documentation of oslo_messaging.TransportURL at
# https://docs.openstack.org/oslo.messaging/latest/reference/transport.html (string value)
#transport_url = rabbit://

[database]
#
# The *Nova Database* is the primary database which is used for information
# local to a *cell*.
#
# This group should **not** be configured for the ``nova-compute`` service.

#
# From nova.conf
#

# If True, SQLite uses synchronous mode. (boolean value)
#sqlite_synchronous = true

# The back end to use for the database. (string value)
# Deprecated group/name - [DEFAULT]/db_backend
#backend = sqlalchemy

# The SQLAlchemy connection string to use to connect to the database. (string value)
# Deprecated group/name - [DEFAULT]/sql_connection
# Deprecated group/name - [DATABASE]/sql_connection
# Deprecated group/name - [sql]/connection
connection = sqlite:////var/lib/nova/novadb

[image_cache]
#
# When there are no remaining instances on the hypervisor created from
# this base image or linked to it, the base image is considered unused.
#  (boolean value)
#remove_unused_base_images = true

[keystone_authtoken]
#
# Re-added by openstack-pkg-tools
#


# Complete Identity API endpoint.
auth_url = http://localhost:5000

# Project name for auth.
project_name = service

# Project's domain name for auth.
project_domain_name = Default

# Username for auth.
username = nova

# User's domain name for auth
user_domain_name = Default

# Password for auth
#password =

[oslo_messaging_amqp]

# 'rpc-call' - send RPC Calls pre-settled
# 'rpc-reply'- send RPC Replies pre-settled
# 'rpc-cast' - Send RPC Casts pre-settled
# 'notify'   - Send Notifications pre-settled
#  (multi valued)
#pre_settled = rpc-cast
#pre_settled = rpc-reply


[pci]

#       "device_type": "type-PCI",
#       "numa_policy": "required"
#     }
#     alias = {
#       "name": "QuickAssist-2",
#       "product_id": "0444",
#       "vendor_id": "8086",
#       "device_type": "type-PCI",
#       "numa_policy": "required"
#     }
#  (multi valued)
# Deprecated group/name - [DEFAULT]/pci_alias
#alias =

[vnc]
#
# Virtual Network Computer (VNC) can be used to provide remote desktop
# console access to instances for tenants and/or administrators.

#
# From nova.conf
#

#
# Enable VNC related features.
#
# Guests will get created with graphical devices to support this. Clients
# (for example Horizon) can then establish a VNC connection to the guest.
#  (boolean value)
# Deprecated group/name - [DEFAULT]/vnc_enabled
#enabled = true

#
# The IP address or hostname on which an instance should listen to for
# incoming VNC connection requests on this node.
#  (host address value)
#server_listen = 127.0.0.1

#
# Private, internal IP address or hostname of VNC console proxy.
#
'''


def apply(text, settings, state='present'):
    return ini.plan(text, ini.normalize_settings(settings, state))


def lines_of(text):
    return text.split('\n')


def assert_idempotent(after, settings, state='present'):
    again = apply(after, settings, state)
    assert not again.changed
    assert again.changes == []
    assert again.after == after


def index_of(lines, line, start=0):
    return lines.index(line, start)


# --- parsing and round trip -------------------------------------------------

@pytest.mark.parametrize('text', [
    NOVA_CONF,
    '',
    '\n',
    '[a]\nx = 1',                      # no final newline
    '# top comment\n\n[a]\nx=1\n\n\n',
    '[a]\r\nx = 1\r\n',                # CRLF kept as it is
    '\ufeff[a]\nx = 1\n',              # byte order mark
    '[a]\nx = 1\n  continued\n[a]\ny = 2\n',
])
def test_parse_renders_back_unchanged(text):
    lines = ini.parse(text.lstrip('\ufeff'))
    rendered = '\n'.join(part for line in lines for part in line.render())
    assert rendered + ('\n' if text.endswith('\n') else '') == text.lstrip('\ufeff')
    result = apply(text, {})
    assert not result.changed and result.after == text


def test_parse_classifies_lines():
    lines = ini.parse('# c\n[s]\nk = v ; not a comment for oslo\n  more\n\nremove_unused = 1\n')
    kinds = [(line.kind, line.section, line.key) for line in lines]
    assert kinds == [('other', None, None), ('header', 's', None), ('option', 's', 'k'),
                     ('other', 's', None), ('option', 's', 'remove_unused')]
    assert lines[2].value == 'v ; not a comment for oslo\nmore'


# --- setting options ----------------------------------------------------------

def test_new_key_goes_after_its_commented_default():
    result = apply(NOVA_CONF, {'DEFAULT': {'my_ip': '192.0.2.10'}, 'vnc': {'server_listen': '0.0.0.0'}})
    after = lines_of(result.after)
    assert after[index_of(after, '#my_ip = <host_ipv4>') + 1] == 'my_ip = 192.0.2.10'
    assert after[index_of(after, '#server_listen = 127.0.0.1') + 1] == 'server_listen = 0.0.0.0'
    # Nothing else moved: the new text is the old one plus exactly these two lines.
    assert len(after) == len(lines_of(NOVA_CONF)) + 2
    assert [line for line in after if line not in ('my_ip = 192.0.2.10', 'server_listen = 0.0.0.0')] == lines_of(NOVA_CONF)
    assert result.changes == [
        dict(section='DEFAULT', key='my_ip', action='add', old=[], new=['192.0.2.10']),
        dict(section='vnc', key='server_listen', action='add', old=[], new=['0.0.0.0']),
    ]
    assert_idempotent(result.after, {'DEFAULT': {'my_ip': '192.0.2.10'}, 'vnc': {'server_listen': '0.0.0.0'}})


def test_commented_default_without_space_wins_over_one_with_space():
    text = '[s]\n# k = example in prose\n#k = default\n# k = later prose\nother = 1\n'
    after = lines_of(apply(text, {'s': {'k': 'v'}}).after)
    assert after[index_of(after, '#k = default') + 1] == 'k = v'


def test_example_lines_inside_descriptions_are_not_commented_defaults():
    # "#     alias = {" in the [pci] description is an example, "#alias =" is the option.
    after = lines_of(apply(NOVA_CONF, {'pci': {'alias': '{"name": "a1"}'}}).after)
    assert after[index_of(after, '#alias =') + 1] == 'alias = {"name": "a1"}'


def test_existing_key_changes_in_place():
    result = apply(NOVA_CONF, {'database': {'connection': 'mysql+pymysql://nova:pw@db/nova'}})
    before, after = lines_of(NOVA_CONF), lines_of(result.after)
    pos = index_of(before, 'connection = sqlite:////var/lib/nova/novadb')
    assert after[pos] == 'connection = mysql+pymysql://nova:pw@db/nova'
    assert len(after) == len(before)
    assert result.changes == [dict(section='database', key='connection', action='change',
                                   old=['sqlite:////var/lib/nova/novadb'], new=['mysql+pymysql://nova:pw@db/nova'])]


def test_changed_line_keeps_its_separator_style():
    result = apply('[s]\nk=1\nj : 2\n', {'s': {'k': 3, 'j': ''}})
    assert result.after == '[s]\nk=3\nj :\n'


def test_key_without_commented_default_goes_after_last_option_of_section():
    after = lines_of(apply(NOVA_CONF, {'DEFAULT': {'compute_driver': 'libvirt.LibvirtDriver'}}).after)
    assert after[index_of(after, 'state_path = /var/lib/nova') + 1] == 'compute_driver = libvirt.LibvirtDriver'


def test_key_in_section_without_options_goes_after_header():
    text = '[a]\n# prose only\n\n[b]\nx = 1\n'
    assert apply(text, {'a': {'k': 'v'}}).after == '[a]\nk = v\n# prose only\n\n[b]\nx = 1\n'


def test_hand_written_file_new_key_after_last_option_not_after_next_sections_comment():
    text = '[DEFAULT]\ndebug = false\n\n# Database settings\n[database]\nconnection = x\n'
    result = apply(text, {'DEFAULT': {'verbose': True}})
    assert result.after == '[DEFAULT]\ndebug = false\nverbose = true\n\n# Database settings\n[database]\nconnection = x\n'


def test_new_section_is_appended_with_a_blank_line():
    result = apply('[a]\nx = 1\n', {'b': {'y': 2}, 'c': {'z': 3}})
    assert result.after == '[a]\nx = 1\n\n[b]\ny = 2\n\n[c]\nz = 3\n'
    assert apply('[a]\nx = 1', {'b': {'y': 2}}).after == '[a]\nx = 1\n\n[b]\ny = 2\n'
    assert apply('[a]\nx = 1\n\n', {'b': {'y': 2}}).after == '[a]\nx = 1\n\n[b]\ny = 2\n'


def test_new_default_section_goes_first():
    result = apply('# header comment\n[database]\nconnection = x\n', {'database': {'a': 1}, 'DEFAULT': {'debug': True}})
    assert result.after == '# header comment\n[DEFAULT]\ndebug = true\n\n[database]\nconnection = x\na = 1\n'


def test_empty_file():
    result = apply('', {'DEFAULT': {'debug': False}, 'database': {'connection': 'x'}})
    assert result.after == '[DEFAULT]\ndebug = false\n\n[database]\nconnection = x\n'
    assert_idempotent(result.after, {'DEFAULT': {'debug': False}, 'database': {'connection': 'x'}})


def test_default_section_is_a_section_like_any_other():
    # iniparse lets other sections inherit [DEFAULT] values; oslo.config does
    # not, and neither do we: the key is added to [database] too.
    text = '[DEFAULT]\nk = 1\n\n[database]\nx = 2\n'
    result = apply(text, {'database': {'k': 1}, 'DEFAULT': {'k': 1}})
    assert result.after == '[DEFAULT]\nk = 1\n\n[database]\nx = 2\nk = 1\n'
    assert [c['section'] for c in result.changes] == ['database']


def test_value_formatting():
    result = apply('', {'s': {'t': True, 'f': False, 'i': 42, 'z': 0, 'fl': 0.5, 'neg': -3, 'e': '', 's': 'yes'}})
    assert result.after == '[s]\nt = true\nf = false\ni = 42\nz = 0\nfl = 0.5\nneg = -3\ne =\ns = yes\n'
    assert_idempotent(result.after, {'s': {'t': True, 'f': False, 'i': 42, 'z': 0, 'fl': 0.5, 'neg': -3, 'e': '', 's': 'yes'}})


def test_int_and_bool_keys_and_sections_are_names():
    assert apply('', {2: {1: 'x'}}).after == '[2]\n1 = x\n'


def test_options_starting_with_rem_are_options_not_comments():
    # Plain iniparse reads "rem..." lines as comments: the key would be added twice.
    text = '[image_cache]\nremove_unused_base_images = true\n'
    result = apply(text, {'image_cache': {'remove_unused_base_images': False}})
    assert result.after == '[image_cache]\nremove_unused_base_images = false\n'


def test_commented_default_for_rem_option():
    after = lines_of(apply(NOVA_CONF, {'image_cache': {'remove_unused_base_images': False}}).after)
    assert after[index_of(after, '#remove_unused_base_images = true') + 1] == 'remove_unused_base_images = false'


def test_value_with_semicolon_and_hash_compares_as_oslo_reads_it():
    text = '[s]\nk = a ;b # c\n'
    assert not apply(text, {'s': {'k': 'a ;b # c'}}).changed
    assert apply(text, {'s': {'k': 'a'}}).after == '[s]\nk = a\n'


def test_continuation_value_is_replaced_by_one_line():
    text = '[s]\nk = a\n  b\nj = 1\n'
    result = apply(text, {'s': {'k': 'a b'}})
    assert result.after == '[s]\nk = a b\nj = 1\n'
    assert result.changes[0]['old'] == ['a\nb']


def test_repeated_section_is_one_section():
    text = '[s]\na = 1\n\n[t]\nx = 1\n\n[s]\nb = 2\n'
    result = apply(text, {'s': {'b': 3, 'c': 4}})
    assert result.after == '[s]\na = 1\n\n[t]\nx = 1\n\n[s]\nb = 3\nc = 4\n'


def test_names_are_case_sensitive():
    result = apply('[s]\nKey = 1\n', {'s': {'key': 1}})
    assert result.after == '[s]\nKey = 1\nkey = 1\n'


def test_crlf_file_keeps_its_untouched_lines():
    result = apply('[s]\r\na = 1\r\nb = 2\r\n', {'s': {'a': 5}})
    assert result.after == '[s]\r\na = 5\nb = 2\r\n'


def test_bom_is_kept():
    assert apply('\ufeff[s]\na = 1\n', {'s': {'a': 2}}).after == '\ufeff[s]\na = 2\n'


# --- multi-valued options -----------------------------------------------------

def test_list_is_written_as_repeated_lines_after_the_commented_defaults():
    settings = {'oslo_messaging_amqp': {'pre_settled': ['rpc-call', 'rpc-cast', 'notify']}}
    result = apply(NOVA_CONF, settings)
    after = lines_of(result.after)
    pos = index_of(after, '#pre_settled = rpc-reply')
    assert after[pos + 1:pos + 4] == ['pre_settled = rpc-call', 'pre_settled = rpc-cast', 'pre_settled = notify']
    assert result.changes[0]['new'] == ['rpc-call', 'rpc-cast', 'notify']
    assert_idempotent(result.after, settings)


MULTI = '[pci]\nalias = a\nother = 1\nalias = b\n'


def test_existing_multi_values_are_read_in_order():
    assert not apply(MULTI, {'pci': {'alias': ['a', 'b']}}).changed
    assert apply(MULTI, {'pci': {'alias': ['b', 'a']}}).after == '[pci]\nalias = b\nother = 1\nalias = a\n'


def test_appending_a_value_adds_one_line_after_the_last():
    result = apply(MULTI, {'pci': {'alias': ['a', 'b', 'c']}})
    assert result.after == '[pci]\nalias = a\nother = 1\nalias = b\nalias = c\n'
    assert result.changes == [dict(section='pci', key='alias', action='change', old=['a', 'b'], new=['a', 'b', 'c'])]


def test_shrinking_a_list_removes_surplus_lines():
    assert apply(MULTI, {'pci': {'alias': ['a']}}).after == '[pci]\nalias = a\nother = 1\n'
    assert apply(MULTI, {'pci': {'alias': 'z'}}).after == '[pci]\nalias = z\nother = 1\n'


def test_single_value_becomes_list():
    result = apply('[pci]\nalias = a\nx = 1\n', {'pci': {'alias': ['a', 'b']}})
    assert result.after == '[pci]\nalias = a\nalias = b\nx = 1\n'


def test_empty_list_removes_every_line_of_the_option():
    result = apply(MULTI, {'pci': {'alias': []}})
    assert result.after == '[pci]\nother = 1\n'
    assert result.changes == [dict(section='pci', key='alias', action='remove', old=['a', 'b'], new=[])]


def test_list_items_are_formatted_like_scalars():
    assert apply('', {'s': {'k': [True, 1, 'x']}}).after == '[s]\nk = true\nk = 1\nk = x\n'


# --- removing -----------------------------------------------------------------

def test_null_removes_a_key_and_keeps_its_comments():
    result = apply(NOVA_CONF, {'keystone_authtoken': {'auth_url': None}})
    before, after = lines_of(NOVA_CONF), lines_of(result.after)
    assert 'auth_url = http://localhost:5000' not in after
    assert '# Complete Identity API endpoint.' in after
    assert len(after) == len(before) - 1
    assert result.changes == [dict(section='keystone_authtoken', key='auth_url', action='remove',
                                   old=['http://localhost:5000'], new=[])]
    assert_idempotent(result.after, {'keystone_authtoken': {'auth_url': None}})


def test_removing_a_missing_key_or_section_changes_nothing():
    result = apply(NOVA_CONF, {'database': {'nothing_here': None}, 'nosuch': {'k': None}, 'gone': None})
    assert not result.changed and result.changes == []


def test_absent_removes_keys_whatever_their_value():
    result = apply(MULTI, {'pci': {'alias': None, 'other': None}}, state='absent')
    assert result.after == '[pci]\n'


def test_absent_with_values_removes_only_those_values():
    result = apply(MULTI, {'pci': {'alias': 'b', 'other': 2}}, state='absent')
    assert result.after == '[pci]\nalias = a\nother = 1\n'
    assert result.changes == [dict(section='pci', key='alias', action='remove', old=['a', 'b'], new=['a'])]
    assert apply(MULTI, {'pci': {'alias': ['a', 'b', 'zz']}}, state='absent').after == '[pci]\nother = 1\n'
    assert not apply(MULTI, {'pci': {'alias': []}}, state='absent').changed
    assert_idempotent(result.after, {'pci': {'alias': 'b', 'other': 2}}, state='absent')


def test_absent_empty_section_dict_does_nothing():
    assert not apply(MULTI, {'pci': {}}, state='absent').changed


def test_null_section_removes_the_whole_section():
    text = '[DEFAULT]\na = 1\n\n[gone]\n# doc\nb = 2\n\n[kept]\nc = 3\n\n[gone]\nd = 4\n'
    for state in ('present', 'absent'):
        result = apply(text, {'gone': None}, state=state)
        assert result.after == '[DEFAULT]\na = 1\n\n[kept]\nc = 3\n\n'
        assert result.changes == [dict(section='gone', key=None, action='remove_section', old=[], new=[])]


def test_removing_the_only_section_leaves_an_empty_file():
    assert apply('[s]\na = 1\n', {'s': None}).after == ''


def test_empty_dict_makes_sure_the_section_exists():
    result = apply('[a]\nx = 1\n', {'b': {}, 'a': {}})
    assert result.after == '[a]\nx = 1\n\n[b]\n'
    assert result.changes == [dict(section='b', key=None, action='add_section', old=[], new=[])]
    assert_idempotent(result.after, {'b': {}, 'a': {}})


def test_a_whole_debian_file_batch_is_idempotent_and_touches_only_its_lines():
    settings = {
        'DEFAULT': {'my_ip': '10.0.0.11', 'debug': True, 'transport_url': 'rabbit://nova:pw@ctl:5672/', 'state_path': '/srv/nova'},
        'database': {'connection': 'mysql+pymysql://nova:pw@ctl/nova', 'backend': None},
        'keystone_authtoken': {'password': 'ks', 'username': 'nova', 'auth_url': 'http://ctl:5000/'},
        'vnc': {'enabled': True},
        'placement': {'region_name': 'RegionOne'},
    }
    result = apply(NOVA_CONF, settings)
    actions = [(c['section'], c['key'], c['action']) for c in result.changes]
    assert actions == [
        ('DEFAULT', 'my_ip', 'add'), ('DEFAULT', 'debug', 'add'), ('DEFAULT', 'transport_url', 'add'),
        ('DEFAULT', 'state_path', 'change'), ('database', 'connection', 'change'),
        ('keystone_authtoken', 'password', 'add'), ('keystone_authtoken', 'auth_url', 'change'),
        ('vnc', 'enabled', 'add'), ('placement', 'region_name', 'add'),
    ]
    added = set(lines_of(result.after)) - set(lines_of(NOVA_CONF))
    assert added == {'my_ip = 10.0.0.11', 'debug = true', 'transport_url = rabbit://nova:pw@ctl:5672/',
                     'state_path = /srv/nova', 'connection = mysql+pymysql://nova:pw@ctl/nova', 'password = ks',
                     'auth_url = http://ctl:5000/', 'enabled = true', '[placement]', 'region_name = RegionOne'}
    assert_idempotent(result.after, settings)


# --- errors -------------------------------------------------------------------

@pytest.mark.parametrize('settings, message', [
    ({'s': {'k': 'a\nb'}}, 'contains a newline'),
    ({'s': {'k': 'a\rb'}}, 'contains a newline'),
    ({'s': {'k': ['ok', 'a\nb']}}, 'contains a newline'),
    ({'s': {'k\nj': 'v'}}, 'contains a newline'),
    ({'s\nt': {'k': 'v'}}, 'contains a newline'),
    ({'': {'k': 'v'}}, 'empty section name'),
    ({'s': {'': 'v'}}, 'empty key name in section [s]'),
    ({'s': {' k': 'v'}}, 'whitespace'),
    ({' s': {'k': 'v'}}, 'whitespace'),
    ({'s': {'k': ' v'}}, 'whitespace'),
    ({'s': {'k=j': 'v'}}, "contains '='"),
    ({'s': {'k:j': 'v'}}, "contains '='"),
    ({'s': {'#k': 'v'}}, "starts with '['"),
    ({'s]': {'k': 'v'}}, "contains ']'"),
    ({'s': {'k': {'nested': 1}}}, 'must be strings'),
    ({'s': {'k': [None]}}, 'list items'),
    ({'s': {'k': [['x']]}}, 'list items'),
    ({'s': ['k']}, 'must be a dict'),
    ({True: {'k': 'v'}}, 'must be strings'),
    (['s'], 'must be a dict of sections'),
])
def test_bad_settings_are_errors(settings, message):
    with pytest.raises(ini.IniError) as exc:
        ini.normalize_settings(settings)
    assert message in str(exc.value)


def test_bad_state_is_an_error():
    with pytest.raises(ini.IniError):
        ini.normalize_settings({}, 'latest')


@pytest.mark.parametrize('text, message', [
    ('[s]\nok = 1\nthis is not ini\n', "line 3: 'this is not ini'"),
    ('key = 1\n[s]\n', 'line 1'),
    ('[s]\n  orphan continuation\n', 'line 2'),
    ('[s]\n[broken\n', "line 2: '[broken'"),
    ('[s]\npassword hunter2\n', 'line 2 (content hidden'),
    ('[s]\n' + 'bad\n' * 7, 'and 2 more'),
])
def test_unparseable_files_are_errors_naming_the_line(text, message):
    with pytest.raises(ini.IniError) as exc:
        apply(text, {'s': {'k': 'v'}})
    assert message in str(exc.value)
    assert 'hunter2' not in str(exc.value)


# --- masking ------------------------------------------------------------------

@pytest.mark.parametrize('key, secret', [
    ('password', True), ('rabbit_password', True), ('memcache_secret_key', True), ('admin_token', True),
    ('token', True), ('transport_url', True), ('connection', True), ('slave_connection', True),
    ('fixed_key', True), ('credential', True),
    ('connection_recycle_time', False), ('token_cache_time', False), ('auth_url', False), ('username', False),
    ('my_ip', False), ('keymap', False),
])
def test_is_secret_key(key, secret):
    assert ini.is_secret_key(key) is secret


def test_mask_changes():
    changes = [dict(section='database', key='connection', action='change', old=['sqlite:///x'], new=['mysql://n:pw@h/n']),
               dict(section='DEFAULT', key='backend_argument', action='add', old=[], new=['url:redis://u:pw@h:6379']),
               dict(section='DEFAULT', key='my_ip', action='add', old=[], new=['10.0.0.1']),
               dict(section='gone', key=None, action='remove_section', old=[], new=[])]
    masked = ini.mask_changes(changes)
    assert masked[0]['old'] == [MASK] and masked[0]['new'] == [MASK]
    assert masked[1]['new'] == ['url:redis://u:%s@h:6379' % MASK]
    assert masked[2] == changes[2]
    assert masked[3] == changes[3]
    assert changes[0]['new'] == ['mysql://n:pw@h/n']  # the input is not modified


def test_mask_text():
    text = ('[DEFAULT]\ntransport_url = rabbit://nova:rabbitpw@ctl:5672/\n#password = oldpw\npassword=\n'
            'my_ip = 10.0.0.1\nbackend_argument = url:redis://u:redispw@h\n# Example: rabbit://rabbitmq:password@127.0.0.1:5672//\n')
    masked = ini.mask_text(text)
    assert masked == ('[DEFAULT]\ntransport_url = %s\n#password = %s\npassword=\n'
                      'my_ip = 10.0.0.1\nbackend_argument = url:redis://u:%s@h\n# Example: rabbit://rabbitmq:%s@127.0.0.1:5672//\n'
                      % (MASK, MASK, MASK, MASK))


def test_secret_values():
    settings = {
        'DEFAULT': {'transport_url': ['rabbit://nova:rpw@a:5672,nova:rpw2@b:5672/'], 'debug': True, 'use_token': True},
        'keystone_authtoken': {'password': 'kspw', 'memcache_secret_key': 'mk', 'username': 'nova', 'auth_url': 'http://ctl:5000'},
        'cache': {'backend_argument': 'url:redis://u:redispw@h:6379'},
        'odd': ['not', 'a', 'dict'],
        'gone': None,
    }
    assert sorted(ini.secret_values(settings)) == sorted([
        'rabbit://nova:rpw@a:5672,nova:rpw2@b:5672/', 'rpw', 'rpw2', 'kspw', 'mk', 'redispw'])
    assert ini.secret_values('not a dict') == []
