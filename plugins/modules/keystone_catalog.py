#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: keystone_catalog
short_description: Reconcile a whole keystone catalog given as data
version_added: 0.1.0
description:
  - Makes regions, domains, projects, roles, groups, services, endpoints,
    users and role assignments in keystone match the lists given, in one
    openstacksdk connection.
  - Each category is listed once; the comparison happens in memory and only
    the differences are written, creates in dependency order (regions,
    domains, projects, roles, groups, services, endpoints, users, role
    assignments) and deletes in the reverse order.
  - Objects refer to each other by name (an endpoint to its service, a
    project to its domain, an assignment to its role, user or group and
    project or domain); a name must be listed in the same call or exist
    already.
  - Deleting an object (V(state=absent) on an item, or O(prune)) also deletes what
    cannot exist without it (the endpoints of a service, the assignments of
    a user...); those deletions are listed in the result too.
  - Works with openstacksdk 0.101 (Debian 12) and later.
author:
  - stackcraft developers (@stackcraft)
requirements:
  - openstacksdk >= 0.101
extends_documentation_fragment:
  - stackcraft.openstack.openstack
attributes:
  check_mode:
    support: full
    description: Computes and reports every change without writing any.
  diff_mode:
    support: full
    description: The objects that change, before and after; passwords appear only masked.
options:
  default_domain:
    description:
      - Domain name used where an item gives none (projects, groups, users and the names in role assignments).
    type: str
    default: Default
  default_region:
    description:
      - Region of the endpoints that give none. When unset, such endpoints have no region.
    type: str
  regions:
    description: Regions.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Region id.
        type: str
        required: true
        aliases: [id]
      description:
        description: Description; not managed when unset.
        type: str
      parent:
        description: Parent region id; not managed when unset.
        type: str
      state:
        description: Whether the region should exist.
        type: str
        default: present
        choices: [present, absent]
  domains:
    description: Domains. Deleting a domain disables it first, as keystone requires.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Domain name.
        type: str
        required: true
      description:
        description: Description; not managed when unset.
        type: str
      enabled:
        description: Whether the domain is enabled; not managed when unset (keystone creates it enabled).
        type: bool
      state:
        description: Whether the domain should exist.
        type: str
        default: present
        choices: [present, absent]
  projects:
    description: Projects.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Project name.
        type: str
        required: true
      domain:
        description: Domain name; O(default_domain) when unset.
        type: str
      description:
        description: Description; not managed when unset.
        type: str
      enabled:
        description: Whether the project is enabled; not managed when unset.
        type: bool
      state:
        description: Whether the project should exist.
        type: str
        default: present
        choices: [present, absent]
  roles:
    description: Global roles.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      description:
        description: Description; not managed when unset.
        type: str
      state:
        description: Whether the role should exist.
        type: str
        default: present
        choices: [present, absent]
  groups:
    description: Groups (their members are not managed here).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Group name.
        type: str
        required: true
      domain:
        description: Domain name; O(default_domain) when unset.
        type: str
      description:
        description: Description; not managed when unset.
        type: str
      state:
        description: Whether the group should exist.
        type: str
        default: present
        choices: [present, absent]
  services:
    description: Catalog services, identified by name and type.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Service name, for example C(nova).
        type: str
        required: true
      type:
        description: Service type, for example C(compute).
        type: str
        required: true
      description:
        description: Description; not managed when unset.
        type: str
      enabled:
        description: Whether the service is enabled; not managed when unset.
        type: bool
      state:
        description: Whether the service should exist.
        type: str
        default: present
        choices: [present, absent]
  endpoints:
    description:
      - Endpoints, identified by service, region and interface.
    type: list
    elements: dict
    default: []
    suboptions:
      service:
        description: Name of the service (listed in O(services) or existing).
        type: str
        required: true
      service_type:
        description: Type of the service; needed only when several services share the name.
        type: str
      interface:
        description: Endpoint interface.
        type: str
        required: true
        choices: [public, internal, admin]
      region:
        description: Region id; O(default_region) when unset.
        type: str
      url:
        description: Endpoint URL; required when O(endpoints[].state=present).
        type: str
      enabled:
        description: Whether the endpoint is enabled; not managed when unset.
        type: bool
      state:
        description: Whether the endpoint should exist.
        type: str
        default: present
        choices: [present, absent]
  users:
    description: Users.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      domain:
        description: Domain name; O(default_domain) when unset.
        type: str
      password:
        description:
          - Password. Never returned, logged or shown in diffs.
        type: str
      update_password:
        description:
          - V(on_create) sets the password only when the user is created.
          - V(always) also makes an existing user's password match. Whether it
            does already is checked by asking keystone for an unscoped token
            with that password, on a request that carries no credentials of
            the module's connection; the password is written (and the task
            reports a change) only when that fails. A disabled user cannot
            get a token, so its password is written on every run. Where
            keystone locks accounts after failed logins
            (C(lockout_failure_attempts)), each differing password counts as
            one failed login.
        type: str
        default: on_create
        choices: [on_create, always]
      default_project:
        description: Name of the default project; not managed when unset.
        type: str
      default_project_domain:
        description: Domain of O(users[].default_project); the user's domain when unset.
        type: str
      description:
        description: Description; not managed when unset.
        type: str
      email:
        description: E-mail address; not managed when unset.
        type: str
      enabled:
        description: Whether the user is enabled; not managed when unset.
        type: bool
      state:
        description: Whether the user should exist.
        type: str
        default: present
        choices: [present, absent]
  role_assignments:
    description:
      - Role assignments of a user or a group on a project, a domain or the system.
    type: list
    elements: dict
    default: []
    suboptions:
      role:
        description: Role name.
        type: str
        required: true
      user:
        description: User name. Exactly one of O(role_assignments[].user) and O(role_assignments[].group).
        type: str
      user_domain:
        description: Domain of the user; O(default_domain) when unset.
        type: str
      group:
        description: Group name.
        type: str
      group_domain:
        description: Domain of the group; O(default_domain) when unset.
        type: str
      project:
        description:
          - Project name. Exactly one of O(role_assignments[].project), O(role_assignments[].domain) and O(role_assignments[].system).
        type: str
      project_domain:
        description: Domain of the project; O(default_domain) when unset.
        type: str
      domain:
        description: Domain name, for a domain-scoped assignment.
        type: str
      system:
        description: System scope, for a system-scoped assignment.
        type: str
        choices: [all]
      state:
        description: Whether the assignment should exist.
        type: str
        default: present
        choices: [present, absent]
  prune:
    description:
      - Categories in which objects that exist but are not listed (with
        either state) are deleted.
      - "Prune never deletes what C(keystone-manage bootstrap) made or what the
        connection itself needs (unless listed with O(users[].state=absent)
        and so on): the C(Default) domain, the roles V(admin), V(member) and V(reader), the
        C(admin) project and user of the C(Default) domain, the user and
        project the module is authenticated as and their role assignments,
        services of type V(identity) and their endpoints, and whatever these
        need (their domains, roles, regions)."
      - Nor does it delete what a listed object needs.
    type: list
    elements: str
    default: []
    choices: [regions, domains, projects, roles, groups, services, endpoints, users, role_assignments]
  concurrency:
    description:
      - How many API requests may be in flight at once. The listings run
        together, and so do the writes of one kind in one category (all
        endpoint creates, say); categories still follow each other in
        dependency order. V(1) makes every request wait for the previous one.
    type: int
    default: 8
  database_config:
    description:
      - Keystone's configuration file on the target (C(/etc/keystone/keystone.conf)). When given, the catalog is first
        read from keystone's database through that file's C([database] connection) (PyMySQL), with passwords checked
        against their bcrypt hashes (C(python3-bcrypt)); when that proves nothing is to change, the module returns
        without opening an API session. Anything to change, or a database that cannot be read, goes the API way as
        without this option. Not used with O(prune).
    type: path
notes:
  - Services are identified by name and type, endpoints by service, region
    and interface. When keystone holds duplicates (an earlier tool created
    the same service twice), the oldest by id is used and the others count
    as not listed, so O(prune) removes them.
  - Domain-specific roles and inherited assignments are not managed; prune
    of role assignments deletes inherited ones that are not protected.
'''

EXAMPLES = r'''
- name: Register | Keystone catalog of an all-in-one cloud
  stackcraft.openstack.keystone_catalog:
    cloud: admin
    default_region: RegionOne
    regions:
      - name: RegionOne
    projects:
      - name: service
        description: Service project
    services:
      - {name: keystone, type: identity}
      - {name: nova, type: compute}
    endpoints:
      - {service: keystone, interface: public, url: "http://10.0.0.10:5000/v3"}
      - {service: keystone, interface: internal, url: "http://10.0.0.10:5000/v3"}
      - {service: keystone, interface: admin, url: "http://10.0.0.10:5000/v3"}
      - {service: nova, interface: public, url: "http://10.0.0.10:8774/v2.1"}
      - {service: nova, interface: internal, url: "http://10.0.0.10:8774/v2.1"}
      - {service: nova, interface: admin, url: "http://10.0.0.10:8774/v2.1"}
    users:
      - name: nova
        password: "{{ nova_keystone_password }}"
        update_password: always
    role_assignments:
      - {user: nova, project: service, role: admin}
    prune: [endpoints]
  no_log: true
  register: __keystone_catalog

- name: Register | Use an id
  ansible.builtin.debug:
    msg: "nova's service id is {{ __keystone_catalog.ids.services.nova }}"

- name: Register | Remove a service and its endpoints
  stackcraft.openstack.keystone_catalog:
    cloud: admin
    services:
      - {name: ec2, type: ec2, state: absent}
'''

RETURN = r'''
ids:
  description:
    - Ids of the objects listed with O(regions[].state=present) (and so on), by name.
      Projects, groups and users are nested by domain name.
      Endpoints are keyed C(service/interface/region).
      In check mode an object that would be created has no id (null).
  returned: always
  type: dict
  sample:
    regions: {RegionOne: RegionOne}
    domains: {}
    projects: {Default: {service: 6b5e0b7d1d3b4b6c9f8f3b0d4c2a1e90}}
    roles: {}
    groups: {}
    services: {nova: 2f1c0a9e5d8b4c7a8e6f5d4c3b2a1908}
    endpoints: {nova/public/RegionOne: 9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d}
    users: {Default: {nova: 0c1d2e3f4a5b4c6d7e8f9a0b1c2d3e4f}}
changes:
  description:
    - Per category, the names of the objects created and deleted and, for
      each updated object, its changed fields with the values before and after
      (a password change shows only masked values).
  returned: always
  type: dict
  sample:
    endpoints:
      created: []
      updated:
        nova/public/RegionOne:
          url: {before: "http://10.0.0.10:8774/v2.1", after: "https://api.example.org:8774/v2.1"}
      deleted: []
api_calls:
  description: Number of identity API requests the module made (listings, writes, password checks), authentication not counted.
  returned: always
  type: int
  sample: 9
read_from:
  description: Where the catalog was read, C(database) (O(database_config), nothing to change) or C(api).
  returned: always
  type: str
  sample: database
'''

from ansible_collections.stackcraft.openstack.plugins.module_utils.base import StackcraftModule
from ansible_collections.stackcraft.openstack.plugins.module_utils import catalog, catalog_db
from ansible_collections.stackcraft.openstack.plugins.module_utils.openstack import (
    AUTH_SECRET_KEYS,
    connect,
    openstack_argument_spec,
)

STATE = dict(type='str', default='present', choices=['present', 'absent'])


def _items(**options):
    options['state'] = STATE
    return options


def _list(options, **extra):
    spec = dict(type='list', elements='dict', default=[], options=options)
    spec.update(extra)
    return spec


class KeystoneCatalog(StackcraftModule):

    argument_spec = openstack_argument_spec(
        default_domain=dict(type='str', default='Default'),
        default_region=dict(type='str'),
        regions=_list(_items(
            name=dict(type='str', required=True, aliases=['id']),
            description=dict(type='str'),
            parent=dict(type='str'),
        )),
        domains=_list(_items(
            name=dict(type='str', required=True),
            description=dict(type='str'),
            enabled=dict(type='bool'),
        )),
        projects=_list(_items(
            name=dict(type='str', required=True),
            domain=dict(type='str'),
            description=dict(type='str'),
            enabled=dict(type='bool'),
        )),
        roles=_list(_items(
            name=dict(type='str', required=True),
            description=dict(type='str'),
        )),
        groups=_list(_items(
            name=dict(type='str', required=True),
            domain=dict(type='str'),
            description=dict(type='str'),
        )),
        services=_list(_items(
            name=dict(type='str', required=True),
            type=dict(type='str', required=True),
            description=dict(type='str'),
            enabled=dict(type='bool'),
        )),
        endpoints=_list(_items(
            service=dict(type='str', required=True),
            service_type=dict(type='str'),
            interface=dict(type='str', required=True, choices=['public', 'internal', 'admin']),
            region=dict(type='str'),
            url=dict(type='str'),
            enabled=dict(type='bool'),
        ), required_if=[('state', 'present', ['url'])]),
        users=_list(_items(
            name=dict(type='str', required=True),
            domain=dict(type='str'),
            password=dict(type='str', no_log=True),
            update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
            default_project=dict(type='str'),
            default_project_domain=dict(type='str'),
            description=dict(type='str'),
            email=dict(type='str'),
            enabled=dict(type='bool'),
        )),
        role_assignments=_list(_items(
            role=dict(type='str', required=True),
            user=dict(type='str'),
            user_domain=dict(type='str'),
            group=dict(type='str'),
            group_domain=dict(type='str'),
            project=dict(type='str'),
            project_domain=dict(type='str'),
            domain=dict(type='str'),
            system=dict(type='str', choices=['all']),
        ), mutually_exclusive=[('user', 'group'), ('project', 'domain', 'system')],
            required_one_of=[('user', 'group'), ('project', 'domain', 'system')]),
        prune=dict(type='list', elements='str', default=[], choices=list(catalog.CATEGORIES)),
        concurrency=dict(type='int', default=8),
        database_config=dict(type='path'),
    )
    secret_params = AUTH_SECRET_KEYS

    def unchanged_in_database(self):
        """The result of a run with nothing to change, when keystone's
        database proves that (see catalog_db), else None."""
        params = self.params
        if not params['database_config'] or params['prune']:
            return None
        reader = catalog_db.DatabaseReader.from_config(params['database_config'])
        if reader is None:
            return None
        desired = catalog.build_desired(params)
        try:
            current = catalog.build_current(reader.list_all(catalog.needed_categories(params)))
            passwords = reader.check_passwords(catalog.password_checks(desired, current))
            todo = catalog.plan(desired, current, (), (), lambda user_id, password: passwords[user_id])
        except Exception:  # pylint: disable=broad-except
            # Unreachable, another schema, a reference only the API knows:
            # the API decides.
            return None
        if todo.changed:
            return None
        ids = dict((category, dict((key, item.id) for key, item in current.get(category, {}).items()))
                   for category in catalog.CATEGORIES)
        return dict(changed=False, ids=catalog.result_ids(desired, ids), changes=todo.changes(), api_calls=0,
                    read_from='database')

    def run(self):
        result = self.unchanged_in_database()
        if result is not None:
            if self.module._diff:
                result['diff'] = {'before': {}, 'after': {}}
            return result
        params = self.params
        desired = catalog.build_desired(params)
        conn = connect(self.module)
        backend = catalog.IdentityBackend(conn, params['concurrency'])
        current = catalog.build_current(backend.list_all(catalog.needed_categories(params)))
        user_id, project_id = backend.caller()
        protected = catalog.protected_refs(current, user_id, project_id)
        passwords = backend.check_passwords(catalog.password_checks(desired, current))
        todo = catalog.plan(desired, current, params['prune'], protected, lambda user_id, password: passwords[user_id])

        ids = None
        if todo.changed and not self.check_mode:
            ids = catalog.apply(todo, current, backend)
        result = dict(
            changed=todo.changed,
            ids=catalog.result_ids(desired, ids or {}),
            changes=todo.changes(),
            api_calls=backend.calls,
            read_from='api',
        )
        if self.module._diff:
            result['diff'] = todo.diff()
        return result


def main():
    KeystoneCatalog().execute()


if __name__ == '__main__':
    main()
