#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: nova_cell
short_description: Manage nova cells v2 mappings (cell0, cells, host discovery) idempotently
description:
  - Wraps C(nova-manage cell_v2). Reads the cells with C(list_cells --verbose), compares, and only then runs
    C(map_cell0), C(create_cell), C(update_cell), C(delete_cell) or C(discover_hosts).
  - C(create_cell) is not idempotent (nova bug 1923899, it happily creates a second cell of the same name), so a
    cell is only created when no cell has O(name), and only updated when its transport URL or database connection
    differs from the one given.
  - After every write the cells are listed again and the result is checked, because C(update_cell) exits 0 when it
    ignores an invalid transport URL.
  - Passwords in transport URLs and database connections, of this cell and of every other cell nova lists, are
    compared as they are but masked in the result, the diff and every error message.
version_added: 0.1.0
author:
  - stackcraft developers (@stackcraft)
requirements:
  - nova-manage (Debian package C(nova-common)) on the target, configured for the API database
options:
  name:
    description:
      - Name of the cell. Cells are found by name; more than one cell with this name is an error.
      - Required unless O(cell0=true), or O(discover_hosts=true) with O(state=present), which then discovers
        hosts in all cells.
    type: str
  state:
    description:
      - V(present) creates or updates the cell; V(absent) deletes it (C(delete_cell)) if it exists.
      - Deleting a cell that still has hosts mapped is an error unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  cell0:
    description:
      - Manage cell0 (C(map_cell0)) instead of a named cell. O(database_connection) is then cell0's database;
        without it nova derives one from C([database] connection) with C(_cell0) appended to the database name.
    type: bool
    default: false
  transport_url:
    description:
      - Transport URL of the cell's message queue, for example C(rabbit://nova:secret@controller:5672/cell1).
      - When a new cell is created without it, nova uses C([DEFAULT] transport_url) of the configuration; an
        existing cell's is then left as it is.
    type: str
  database_connection:
    description:
      - Database connection URL of the cell (or of cell0), for example
        C(mysql+pymysql://nova:secret@controller/nova_cell1).
      - When a new cell is created without it, nova uses C([database] connection) of the configuration; an
        existing cell's is then left as it is.
    type: str
  discover_hosts:
    description:
      - Run C(discover_hosts) for the cell (or for all cells when O(name) is not given) after it is present.
        C(changed) is reported only when hosts were mapped.
    type: bool
    default: false
  by_service:
    description:
      - Discover hosts by their C(nova-compute) service records (C(--by-service)) instead of by compute nodes,
        for example for ironic. Only with O(discover_hosts=true).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), also delete the host mappings (and mappings of deleted instances) of the cell.
        A cell with living instances is never deleted.
    type: bool
    default: false
  config_file:
    description:
      - nova configuration file with the API database (C([api_database] connection)).
    type: path
    default: /etc/nova/nova.conf
  extra_config_files:
    description:
      - More configuration files, passed after O(config_file) (later ones win).
    type: list
    elements: path
    default: []
  nova_manage:
    description:
      - The nova-manage command (a name looked up in E(PATH) or an absolute path).
    type: str
    default: nova-manage
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: partial
    details:
      - Creating, updating, mapping cell0 and deleting are fully predicted from C(list_cells) and C(list_hosts).
      - O(discover_hosts) is not run in check mode and is reported as unknown (RV(discovered_hosts) is null and a
        warning says so), because whether there are unmapped hosts can only be known from the cell database.
  diff_mode:
    support: full
  platform:
    platforms: posix
notes:
  - C(update_cell) always gets both C(--transport-url) and C(--database_connection) (the current value for the one
    that is not changed), because without them nova silently replaces the cell's values with the ones of its configuration file.
  - Renaming, disabling and enabling cells is not handled.
seealso:
  - name: nova-manage cell_v2
    description: nova's documentation of the cell_v2 commands.
    link: https://docs.openstack.org/nova/zed/cli/nova-manage.html#cell-v2-commands
'''

EXAMPLES = r'''
- name: Cells | Map cell0
  stackcraft.openstack.nova_cell:
    cell0: true
    database_connection: "mysql+pymysql://nova:{{ nova_db_password }}@controller/nova_cell0"

- name: Cells | Create or update cell1
  stackcraft.openstack.nova_cell:
    name: cell1
    transport_url: "rabbit://nova:{{ nova_rabbit_password }}@controller:5672/"
    database_connection: "mysql+pymysql://nova:{{ nova_db_password }}@controller/nova"

- name: Cells | Map new compute hosts of cell1
  stackcraft.openstack.nova_cell:
    name: cell1
    discover_hosts: true

- name: Cells | Map new hosts in all cells, ironic style
  stackcraft.openstack.nova_cell:
    discover_hosts: true
    by_service: true

- name: Cells | Remove an empty cell
  stackcraft.openstack.nova_cell:
    name: cell2
    state: absent
'''

RETURN = r'''
cell_uuid:
  description: UUID of the cell; null when it is absent, or in check mode when it would be created.
  returned: always
  type: str
  sample: 64b5104e-50ba-400b-bf4c-45168a7b569b
cell:
  description: The cell as nova lists it after the task (before it, for O(state=absent)), passwords masked.
  returned: when the cell exists or was created
  type: dict
  sample:
    name: cell1
    uuid: 64b5104e-50ba-400b-bf4c-45168a7b569b
    transport_url: "rabbit://nova:********@controller:5672/"
    database_connection: "mysql+pymysql://nova:********@controller/nova"
    disabled: false
actions:
  description: The nova-manage cell_v2 commands run (or, in check mode, that would run), with what they change.
  returned: always
  type: list
  elements: str
  sample: ["update_cell cell1: transport_url"]
discovered_hosts:
  description: Hosts newly mapped by discover_hosts; null when discover_hosts did not run (or in check mode).
  returned: always
  type: list
  elements: str
  sample: [compute1]
mapped_hosts:
  description: Every host mapped to the cell after discover_hosts (newly or before).
  returned: when O(discover_hosts=true) ran for a named cell or cell0
  type: list
  elements: str
  sample: [compute1, compute2]
removed_hosts:
  description: Host mappings deleted with the cell (O(state=absent), O(force=true)).
  returned: when O(state=absent)
  type: list
  elements: str
'''

import re

from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError, StackcraftModule
from ansible_collections.stackcraft.openstack.plugins.module_utils.manage import (
    ManageCommand, is_url, parse_table)

CELL0_UUID = '00000000-0000-0000-0000-000000000000'
UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
# discover_hosts --verbose, nova/objects/host_mapping.py
NEW_HOST_RES = (
    re.compile(r"^Creating host mapping for compute host '(?P<host>[^']*)': "),
    re.compile(r'^Creating host mapping for service (?P<host>\S+)$'),
)

CREATE_RCS = {1: 'invalid or missing transport URL or database connection',
              2: 'transport URL or database connection already used by another cell'}
UPDATE_RCS = {1: 'cell not found', 2: 'the cell could not be saved',
              3: 'transport URL or database connection already used by another cell'}
DELETE_RCS = {1: 'cell not found', 2: 'hosts are mapped to the cell', 3: 'instances live in the cell',
              4: 'mappings of deleted instances remain: run nova-manage db archive_deleted_rows'}
DISCOVER_RCS = {2: 'duplicate host mapping: discover_hosts ran in parallel'}


class NovaCell(StackcraftModule):
    argument_spec = dict(
        name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        cell0=dict(type='bool', default=False),
        # no_log: AnsibleModule's own argument checks fail (and echo the
        # arguments) before run() can register the passwords in the URLs.
        transport_url=dict(type='str', no_log=True),
        database_connection=dict(type='str', no_log=True),
        discover_hosts=dict(type='bool', default=False),
        by_service=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        config_file=dict(type='path', default='/etc/nova/nova.conf'),
        extra_config_files=dict(type='list', elements='path', default=[]),
        nova_manage=dict(type='str', default='nova-manage'),
    )
    module_kwargs = dict(mutually_exclusive=[('cell0', 'transport_url')])

    def validate(self):
        p = self.params
        # Mask before any message can quote them.
        self.add_url_secrets(p['transport_url'])
        self.add_url_secrets(p['database_connection'])
        if p['name'] is not None and (not p['name'] or p['name'] != p['name'].strip()):
            raise ModuleError('name must be a non-empty cell name without leading or trailing spaces')
        if p['cell0']:
            if p['name'] not in (None, 'cell0'):
                raise ModuleError('name must not be given with cell0=true (cell0 is always named cell0), got %r' % p['name'])
            if p['state'] == 'absent':
                raise ModuleError('state=absent is not supported for cell0: nova needs it')
            if p['discover_hosts']:
                raise ModuleError('discover_hosts cannot be used with cell0=true: cell0 has no hosts')
        elif p['name'] == 'cell0':
            raise ModuleError('use cell0=true to manage cell0')
        elif p['name'] is None and not (p['discover_hosts'] and p['state'] == 'present'):
            raise ModuleError('name is required (unless cell0=true, or discover_hosts=true to discover in all cells)')
        if p['name'] is None and not p['cell0'] and (p['transport_url'] or p['database_connection']):
            raise ModuleError('transport_url and database_connection need a cell name')
        if p['transport_url'] is not None and not is_url(p['transport_url']):
            raise ModuleError('transport_url must be a URL such as rabbit://user:password@host:5672/vhost, got %r'
                              % p['transport_url'])
        if p['database_connection'] is not None and not is_url(p['database_connection']):
            raise ModuleError('database_connection must be a URL such as mysql+pymysql://user:password@host/db, got %r'
                              % p['database_connection'])
        if p['by_service'] and not p['discover_hosts']:
            raise ModuleError('by_service only applies with discover_hosts=true')
        if p['force'] and p['state'] != 'absent':
            raise ModuleError('force only applies with state=absent')
        if p['state'] == 'absent' and (p['transport_url'] or p['database_connection'] or p['discover_hosts']):
            raise ModuleError('transport_url, database_connection and discover_hosts do not apply with state=absent')

    # -- nova-manage ------------------------------------------------------

    def manage(self):
        exe = self.params['nova_manage']
        if '/' not in exe:
            exe = self.module.get_bin_path(exe, required=True)
        argv = [exe, '--config-file', self.params['config_file']]
        for name in self.params['extra_config_files']:
            argv += ['--config-file', name]
        return ManageCommand(self, argv)

    def list_cells(self):
        rc, out, err = self.manage().run(['cell_v2', 'list_cells', '--verbose'])
        rows = parse_table(out)
        if rows is None:
            raise ModuleError('nova-manage cell_v2 list_cells printed no table: %s' % out.strip()[-2000:])
        cells = []
        for row in rows:
            cell = dict(name=row.get('Name') or None, uuid=row.get('UUID'), transport_url=row.get('Transport URL'),
                        database_connection=row.get('Database Connection'), disabled=row.get('Disabled') == 'True')
            # --verbose shows the real passwords. Every user:password@ in a URL
            # is masked anyway; the ones of the managed cell are also masked as
            # plain strings (see run()). Other cells' passwords are not: a short
            # one would blank every matching substring of all output.
            cells.append(cell)
        return cells

    def list_hosts(self, cell_uuid):
        rc, out, err = self.manage().run(['cell_v2', 'list_hosts', '--cell_uuid', cell_uuid], explain={1: 'cell not found'})
        rows = parse_table(out)
        if rows is None:
            raise ModuleError('nova-manage cell_v2 list_hosts printed no table: %s' % out.strip()[-2000:])
        return sorted(row['Hostname'] for row in rows)

    def find(self, cells):
        if self.params['cell0']:
            found = [c for c in cells if c['uuid'] == CELL0_UUID]
        else:
            found = [c for c in cells if c['name'] == self.params['name']]
        if len(found) > 1:
            raise ModuleError('%d cells are named %s (%s): remove the extra ones with nova-manage cell_v2 delete_cell'
                              % (len(found), self.params['name'], ', '.join(c['uuid'] for c in found)))
        return found[0] if found else None

    def check_unique(self, cells, cell, transport_url, database_connection):
        """Refuse what nova refuses (exit 2/3), with a clear message, also in check mode."""
        for other in cells:
            if cell and other['uuid'] == cell['uuid']:
                continue
            for field, value in (('transport_url', transport_url), ('database_connection', database_connection)):
                if value and other[field] == value:
                    raise ModuleError('The %s given is already used by cell %s (%s); nova requires each cell to have its own'
                                      % (field, other['name'] or '(no name)', other['uuid']))

    # -- state present ----------------------------------------------------

    def present(self, result, cells, cell):
        p = self.params
        want = dict((k, p[k]) for k in ('transport_url', 'database_connection') if p[k])
        if cell is None:
            if p['cell0']:
                args = ['cell_v2', 'map_cell0']
                if p['database_connection']:
                    args += ['--database_connection', p['database_connection']]
                result['actions'].append('map_cell0')
            else:
                self.check_unique(cells, None, p['transport_url'], p['database_connection'])
                args = ['cell_v2', 'create_cell', '--name', p['name'], '--verbose']
                if p['transport_url']:
                    args += ['--transport-url', p['transport_url']]
                if p['database_connection']:
                    args += ['--database_connection', p['database_connection']]
                result['actions'].append('create_cell %s' % p['name'])
            if self.check_mode:
                expected = dict(name=p['name'] or 'cell0', uuid=CELL0_UUID if p['cell0'] else None,
                                transport_url=want.get('transport_url'), database_connection=want.get('database_connection'),
                                disabled=False)
                result['diff']['after'] = expected
                result['cell_uuid'] = expected['uuid']
                return
            self.manage().run(args, explain=CREATE_RCS)
            return self.verify(result, want)
        differ = sorted(k for k, v in want.items() if cell[k] != v)
        result['cell_uuid'] = cell['uuid']
        if not differ:
            return
        self.check_unique(cells, cell, want.get('transport_url'), want.get('database_connection'))
        result['actions'].append('update_cell %s: %s' % (cell['name'], ', '.join(differ)))
        after = dict(cell)
        after.update(want)
        if self.check_mode:
            result['diff']['after'] = after
            return
        # Both values always: update_cell replaces a missing one with the
        # value from nova.conf instead of keeping the cell's.
        self.manage().run(['cell_v2', 'update_cell', '--cell_uuid', cell['uuid'],
                           '--transport-url', after['transport_url'],
                           '--database_connection', after['database_connection']], explain=UPDATE_RCS)
        return self.verify(result, want)

    def verify(self, result, want):
        cells = self.list_cells()
        cell = self.find(cells)
        if cell is None:
            raise ModuleError('nova-manage reported success but no cell %s is listed' % (self.params['name'] or 'cell0'))
        wrong = sorted(k for k, v in want.items() if cell[k] != v)
        if wrong:
            # e.g. update_cell prints "Invalid transport URL" and exits 0.
            raise ModuleError('nova-manage reported success but the %s of cell %s is still %s'
                              % (', '.join(wrong), cell['name'], ', '.join(cell[k] for k in wrong)))
        result['cell_uuid'] = cell['uuid']
        result['cell'] = cell
        result['diff']['after'] = cell
        return cell

    def discover(self, result):
        p = self.params
        if self.check_mode:
            self.module.warn('discover_hosts was not run in check mode: which hosts are unmapped is only known to the '
                             'cell database, so whether it would change anything is unknown.')
            return
        args = ['cell_v2', 'discover_hosts', '--verbose']
        if p['name'] or p['cell0']:
            args += ['--cell_uuid', result['cell_uuid']]
        if p['by_service']:
            args.append('--by-service')
        rc, out, err = self.manage().run(args, explain=DISCOVER_RCS)
        hosts = []
        for line in out.splitlines():
            for regex in NEW_HOST_RES:
                match = regex.match(line.strip())
                if match:
                    hosts.append(match.group('host'))
        result['discovered_hosts'] = hosts
        if hosts:
            result['actions'].append('discover_hosts: mapped %s' % ', '.join(hosts))
        if result['cell_uuid']:
            result['mapped_hosts'] = self.list_hosts(result['cell_uuid'])

    # -- state absent -----------------------------------------------------

    def absent(self, result, cell):
        result['removed_hosts'] = []
        if cell is None:
            return
        hosts = self.list_hosts(cell['uuid'])
        if hosts and not self.params['force']:
            raise ModuleError('Cell %s (%s) still has hosts mapped: %s. Move or delete them, or set force=true to delete '
                              'their mappings with the cell.' % (cell['name'], cell['uuid'], ', '.join(hosts)))
        result['actions'].append('delete_cell %s%s' % (cell['name'], ' --force' if hosts else ''))
        result['removed_hosts'] = hosts
        result['diff']['after'] = None
        if self.check_mode:
            return
        args = ['cell_v2', 'delete_cell', '--cell_uuid', cell['uuid']]
        if self.params['force']:
            args.append('--force')
        self.manage().run(args, explain=DELETE_RCS)

    def run(self):
        self.validate()
        p = self.params
        result = dict(actions=[], cell_uuid=None, discovered_hosts=None, diff=dict(before=None, after=None))
        if p['name'] is None and not p['cell0']:
            self.discover(result)
        else:
            cells = self.list_cells()
            cell = self.find(cells)
            if cell is not None:
                self.add_url_secrets(cell['transport_url'])
                self.add_url_secrets(cell['database_connection'])
            result['diff'] = dict(before=cell, after=cell)
            if cell is not None:
                result['cell'] = cell
                result['cell_uuid'] = cell['uuid']
            if p['state'] == 'absent':
                self.absent(result, cell)
                result['cell_uuid'] = None
            else:
                self.present(result, cells, cell)
                if p['discover_hosts']:
                    if result['cell_uuid'] is None:
                        self.module.warn('discover_hosts skipped: the cell does not exist yet (check mode)')
                    else:
                        self.discover(result)
        result['changed'] = bool(result['actions'])
        if self.module._diff:
            self.mark_hidden_changes(result['diff'])
        else:
            result.pop('diff')
        return result

    def mark_hidden_changes(self, diff):
        """Say so where only a (masked) password differs, or the diff would look empty."""
        before, after = diff['before'], diff['after']
        if not (before and after):
            return
        after = diff['after'] = dict(after)
        for field in ('transport_url', 'database_connection'):
            old, new = before.get(field), after.get(field)
            if old != new and new and self.mask(old) == self.mask(new):
                after[field] = new + ' (password changed)'


def main():
    NovaCell().execute()


if __name__ == '__main__':
    main()
