#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ini_settings
short_description: Set, change and remove many options of one INI (oslo.config) file at once
description:
  - The C(crudini) of this collection; made for OpenStack configuration files such as C(/etc/nova/nova.conf).
  - One task sets any number of options in any number of sections of one file, reads and writes the file
    once, and returns one diff and a list of what changed.
  - Comments, blank lines, the order of sections and options and the C([DEFAULT]) section are kept;
    lines that are not changed are written back unchanged.
  - A new option goes right after its commented-out default (C(#key = default), as in the pristine
    configuration files Debian ships), else after the last option of its section. A new section
    is appended to the file, except C([DEFAULT]), which goes before the first section.
  - Values are compared as oslo.config reads them (the text after the first C(=) or C(:), stripped), so an
    option that already has the wanted value is left alone and C(changed) is honest.
  - The file is written atomically (a temporary file in the same directory, then renamed over it),
    only when its content changes and never in check mode.
  - Values of options whose names look secret (C(password), C(secret), C(token), C(transport_url),
    C(connection), names ending in C(_key)...) and passwords inside URLs are masked in the diff, in
    RV(changes) and in messages.
version_added: 0.1.0
author:
  - stackcraft developers (@stackcraft)
requirements:
  - iniparse (C(python3-iniparse) on Debian) on the target
options:
  path:
    description:
      - The INI file to edit.
    type: path
    required: true
    aliases: [dest]
  settings:
    description:
      - The options, as a dict of sections, each a dict of option names and values.
      - A value may be a string, a number or a boolean (written as C(true)/C(false), as oslo.config
        expects), or a list, written as one C(key = value) line per item in that order (oslo.config
        multi-valued options such as C(enabled_apis) in older releases or C(pci_passthrough_whitelist)).
      - With O(state=present), the file is made to hold exactly these values for these options; a value
        of V(null) or an empty list removes the option (all its lines); an empty dict makes sure the
        section exists; a section given as V(null) is removed with everything in it, comments included.
      - With O(state=absent), an option given as V(null) is removed (all its lines); an option given a
        value or a list removes only the lines holding those values (one value of a multi-valued
        option, say); a section given as V(null) is removed with everything in it.
      - Section and option names are matched exactly (case-sensitive). Names must not be empty and
        names and values must not contain newlines or start or end with whitespace.
    type: dict
    required: true
  state:
    description:
      - V(present) sets the given options; V(absent) removes them. See O(settings).
    type: str
    choices: [present, absent]
    default: present
  create:
    description:
      - Create the file if it is missing (its directory must exist).
      - Off by default, because a missing configuration file usually means that its package is not
        installed, which should stop the play. With O(state=absent) a missing file is left missing and
        is not an error.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the previous file next to it when the content changes.
    type: bool
    default: false
  record:
    description:
      - Leave a record of this run for a later one to compare with instead of calling the module (the common role
        reads it with C(stackcraft.openstack.host_state)); the file C(<dir>/<SHA-256 of path and name>.json) (mode
        0600) holds the path, O(record.name), O(record.key) and the SHA-256 of the file as the settings left it.
      - A file whose content still has that checksum, asked for with the same key, needs nothing from the same settings.
      - Not written in check mode. Writing or updating a record is not reported as a change.
    type: dict
    suboptions:
      dir:
        description: Directory of the records (created, mode 0700).
        type: path
        required: true
      key:
        description: What identifies the settings, for example a checksum of them computed by the caller.
        type: str
        required: true
      name:
        description: Who writes these settings; each writer of a file (two roles writing one file) has its own record.
        type: str
        default: ""
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - Lines are only parsed, never re-formatted; a changed option keeps the C(key=value) or
    C(key = value) style of the line it replaces.
  - A file that cannot be parsed (an option outside any section, a line that is neither a section,
    an option, a comment nor a continuation line) is an error naming the line; it is not modified.
  - Give O(mode), O(owner) and O(group) for files that hold secrets (Debian's C(/etc/nova/nova.conf)
    is C(root:nova 0640)).
  - Secret values given in O(settings) are hidden in all output like C(no_log) values, the arguments
    shown with C(-vvv) included; a change of only a secret value shows in RV(changes) but not as a diff
    line, since both sides are masked.
seealso:
  - module: community.general.ini_file
'''

EXAMPLES = r'''
- name: Configure | Set nova's database, message queue and keystone options
  stackcraft.openstack.ini_settings:
    path: /etc/nova/nova.conf
    owner: root
    group: nova
    mode: "0640"
    settings:
      DEFAULT:
        transport_url: "rabbit://nova:{{ nova_rabbit_password }}@controller:5672/"
        my_ip: 192.0.2.10
      api_database:
        connection: "mysql+pymysql://nova:{{ nova_db_password }}@controller/nova_api"
      keystone_authtoken:
        www_authenticate_uri: http://controller:5000/
        auth_url: http://controller:5000/
        memcached_servers: controller:11211
        auth_type: password
        password: "{{ nova_keystone_password }}"
      vnc:
        enabled: true
        server_listen: 0.0.0.0
  notify: Restart nova

- name: Configure | A multi-valued oslo.config option (one line per item)
  stackcraft.openstack.ini_settings:
    path: /etc/nova/nova.conf
    settings:
      pci:
        passthrough_whitelist:
          - '{"vendor_id": "8086", "product_id": "1520"}'
          - '{"vendor_id": "8086", "product_id": "1521"}'

- name: Configure | Remove options and a whole section, keep the rest
  stackcraft.openstack.ini_settings:
    path: /etc/nova/nova.conf
    settings:
      DEFAULT:
        verbose: null
      database:
        idle_timeout: null
      cells: null

- name: Configure | Remove one value of a multi-valued option
  stackcraft.openstack.ini_settings:
    path: /etc/nova/nova.conf
    state: absent
    settings:
      pci:
        passthrough_whitelist: '{"vendor_id": "8086", "product_id": "1520"}'

- name: Configure | Write a new file for an extra nova-compute service
  stackcraft.openstack.ini_settings:
    path: /etc/nova/nova-lxd.conf
    create: true
    owner: root
    group: nova
    mode: "0640"
    settings:
      DEFAULT:
        host: compute1-lxd
        state_path: /var/lib/nova-lxd
'''

RETURN = r'''
path:
  description: The file.
  returned: always
  type: str
  sample: /etc/nova/nova.conf
changes:
  description:
    - What changed (or would change in check mode), in the order of O(settings).
    - Values of secret-looking options are masked.
  returned: always
  type: list
  elements: dict
  contains:
    section:
      description: The section.
      type: str
      sample: database
    key:
      description: The option; V(null) for C(add_section) and C(remove_section).
      type: str
      sample: connection
    action:
      description: What happened to the option or section.
      type: str
      sample: change
      choices: [add, change, remove, add_section, remove_section]
    old:
      description: The values before, in file order (one per line; empty when the option was absent).
      type: list
      elements: str
      sample: ["sqlite:////var/lib/nova/novadb"]
    new:
      description: The values after (empty when the option is gone).
      type: list
      elements: str
      sample: ["********"]
  sample:
    - section: DEFAULT
      key: my_ip
      action: add
      old: []
      new: [192.0.2.10]
backup_file:
  description: The copy of the previous file, when O(backup=true) and the content changed.
  returned: changed and O(backup=true)
  type: str
  sample: /etc/nova/nova.conf.12345.2026-11-22@10:00:00~
'''

import hashlib
import json
import os
import tempfile

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.stackcraft.openstack.plugins.module_utils import ini
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError, StackcraftModule


class IniSettings(StackcraftModule):
    argument_spec = dict(
        path=dict(type='path', required=True, aliases=['dest']),
        settings=dict(type='dict', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        create=dict(type='bool', default=False),
        backup=dict(type='bool', default=False),
        record=dict(type='dict', options=dict(
            dir=dict(type='path', required=True),
            key=dict(type='str', required=True, no_log=False),
            name=dict(type='str', default=''),
        )),
    )
    module_kwargs = dict(add_file_common_args=True)

    def run(self):
        if not ini.HAS_INIPARSE:
            raise ModuleError(missing_required_lib('iniparse'), exception=ini.INIPARSE_IMPORT_ERROR)
        # Secrets given in settings are masked everywhere in the output, the
        # invocation arguments shown with -vvv and error messages included.
        for secret in ini.secret_values(self.params['settings']):
            self.add_secret(secret)
        path = self.params['path']
        try:
            ops = ini.normalize_settings(self.params['settings'], self.params['state'])
        except ini.IniError as exc:
            raise ModuleError('settings: %s' % exc)

        exists = os.path.exists(path)
        if exists and not os.path.isfile(path):
            raise ModuleError('%s is not a regular file' % path)
        creating = not exists and self.params['state'] == 'present'
        if creating and not self.params['create']:
            raise ModuleError('%s does not exist (set create: true to create it)' % path)
        if creating and not os.path.isdir(os.path.dirname(path) or '.'):
            raise ModuleError('cannot create %s: directory %s does not exist' % (path, os.path.dirname(path)))

        try:
            plan = ini.plan(self._read(path) if exists else '', ops)
        except ini.IniError as exc:
            raise ModuleError('%s: %s' % (path, exc))

        result = dict(path=path, changes=ini.mask_changes(plan.changes), changed=plan.changed or creating)
        if result['changed'] and not self.check_mode:
            if exists and self.params['backup']:
                result['backup_file'] = self.module.backup_local(path)
            self._write(path, plan.after)
        if exists or (creating and not self.check_mode):
            # In check mode a file still to be created has no attributes to compare.
            file_args = self.module.load_file_common_arguments(self.params)
            result['changed'] = self.module.set_fs_attributes_if_different(file_args, result['changed'])
        if self.params['record'] and not self.check_mode and (exists or creating):
            self._record(path, plan.after)
        if self.module._diff:
            result['diff'] = dict(
                before=ini.mask_text(plan.before), after=ini.mask_text(plan.after),
                before_header='%s (content)' % path if exists else '%s (absent)' % path,
                after_header='%s (content)' % path,
            )
        return result

    def _record(self, path, text):
        """The record of ``text`` for ``path`` (see the record option); rewritten only when it differs."""
        record = self.params['record']
        content = json.dumps({'path': path, 'name': record['name'], 'key': record['key'],
                              'sha256': hashlib.sha256(to_bytes(text)).hexdigest()}, sort_keys=True)
        target = os.path.join(record['dir'], hashlib.sha256(to_bytes(path + '\n' + record['name'])).hexdigest() + '.json')
        if not os.path.isdir(record['dir']):
            os.makedirs(record['dir'], 0o700)
        if os.path.isfile(target):
            with open(target) as handle:
                if handle.read() == content:
                    return
        fd, tmp = tempfile.mkstemp(prefix='.record.', dir=record['dir'])
        with os.fdopen(fd, 'w') as handle:
            handle.write(content)
        os.chmod(tmp, 0o600)
        os.rename(tmp, target)

    @staticmethod
    def _read(path):
        with open(path, 'rb') as handle:
            data = handle.read()
        try:
            return to_text(data, errors='strict')
        except UnicodeDecodeError as exc:
            raise ModuleError('%s is not UTF-8 text: %s' % (path, exc))

    def _write(self, path, text):
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=os.path.dirname(path) or '.')
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(to_bytes(text))
            self.module.atomic_move(tmp, path, unsafe_writes=self.params['unsafe_writes'])
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def main():
    IniSettings().execute()


if __name__ == '__main__':
    main()
