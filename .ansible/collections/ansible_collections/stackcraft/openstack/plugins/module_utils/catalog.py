# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Reconciliation of a whole keystone catalog given as data.

Three steps, kept apart so each can be tested alone:

1. ``IdentityBackend.list()`` reads each needed category once through
   openstacksdk's identity proxy; ``build_current()`` turns those records
   into items keyed by *names* (a project is ``(domain name, project name)``,
   an endpoint ``(service name, service type, region, interface)``...).
2. ``build_desired()`` keys the module's parameters the same way and
   ``plan()`` compares both in memory: it returns the list of operations
   (creates and updates in dependency order, then deletes in reverse order)
   without touching the cloud.  Check mode stops here.
3. ``apply()`` runs the operations, turning names into ids as it goes (ids
   of objects created earlier in the same run included).

Only identity calls present in both Debian 12's openstacksdk 0.101 and
current openstacksdk releases are used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK, ModuleError

# Creation order; deletes run in the reverse order.
CATEGORIES = ('regions', 'domains', 'projects', 'roles', 'groups', 'services', 'endpoints', 'users', 'role_assignments')

# Attributes compared per category (None in the parameters = not managed).
ATTRS = {
    'regions': ('description', 'parent'),
    'domains': ('description', 'enabled'),
    'projects': ('description', 'enabled'),
    'roles': ('description',),
    'groups': ('description',),
    'services': ('description', 'enabled'),
    'endpoints': ('url', 'enabled'),
    'users': ('description', 'email', 'enabled', 'default_project'),
    'role_assignments': (),
}

# Text attributes for which keystone's "not set" and "" mean the same.
TEXT_ATTRS = ('description', 'email')

# Categories whose listing is needed to name the items of a category.
NEEDS = {
    'regions': (),
    'domains': (),
    'projects': ('domains',),
    'roles': (),
    'groups': ('domains',),
    'services': (),
    'endpoints': ('services', 'regions'),
    'users': ('domains', 'projects'),
    'role_assignments': ('roles', 'users', 'groups', 'projects', 'domains'),
}

# Categories whose items can depend (hard dependency) on an item of the key.
DEPENDENTS = {
    'regions': ('regions', 'endpoints'),
    'domains': ('projects', 'groups', 'users', 'role_assignments'),
    'projects': ('role_assignments',),
    'roles': ('role_assignments',),
    'groups': ('role_assignments',),
    'services': ('endpoints',),
    'endpoints': (),
    'users': ('role_assignments',),
    'role_assignments': (),
}

# What `keystone-manage bootstrap` creates; prune never removes these (nor
# what the connecting user needs) unless they are listed with state=absent.
BOOTSTRAP_ROLES = ('admin', 'member', 'reader')
BOOTSTRAP_DOMAIN_ID = 'default'
BOOTSTRAP_ADMIN = 'admin'


class Unknown(object):
    """Key part for an object no listing names (a domain-specific role, a
    duplicate service...): equal only to the same id, never to a name."""

    __slots__ = ('id',)

    def __init__(self, obj_id):
        self.id = obj_id

    def __eq__(self, other):
        return isinstance(other, Unknown) and other.id == self.id

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(('Unknown', self.id))

    def __repr__(self):
        return '<id %s>' % self.id

    __str__ = __repr__


def label(category, key):
    """Human readable name of a key, used in diffs, ``changes`` and ``ids``."""
    extra = ''
    if len(key) > _KEY_LENGTH[category]:
        # A duplicate of another object's key: tell them apart by id.
        extra = ' [%s]' % key[-1]
    if category == 'endpoints':
        text = '%s/%s/%s' % (key[0], key[3], key[2] if key[2] is not None else '')
    elif category == 'services':
        text = '%s/%s' % (key[0], key[1])
    elif category == 'role_assignments':
        role, actor_type, actor_domain, actor, scope_type, scope_domain, scope, inherited = key
        if scope_type == 'project':
            target = 'project %s/%s' % (scope_domain, scope)
        else:
            target = '%s %s' % (scope_type, scope)
        text = '%s %s/%s: %s on %s%s' % (actor_type, actor_domain, actor, role, target, ' (inherited)' if inherited else '')
    else:
        text = '/'.join('%s' % (part,) for part in key[:_KEY_LENGTH[category]])
    return text + extra


_KEY_LENGTH = dict(regions=1, domains=1, projects=2, roles=1, groups=2, services=2, endpoints=4, users=2, role_assignments=8)


def _same(attr, want, have):
    if attr in TEXT_ATTRS:
        return (want or '') == (have or '')
    return want == have


class Item(object):
    """One catalog object, current or desired, keyed by names."""

    def __init__(self, category, key, attrs=None, obj_id=None, deps=(), soft_deps=()):
        self.category = category
        self.key = key
        self.attrs = attrs or {}
        self.id = obj_id
        # (category, key) pairs this object cannot exist without.
        self.deps = tuple(deps)
        # References that are not dependencies (a user's default project).
        self.soft_deps = tuple(soft_deps)
        # Desired items only.
        self.state = 'present'
        self.password = None
        self.update_password = 'on_create'

    @property
    def ref(self):
        return (self.category, self.key)

    def __repr__(self):
        return 'Item(%s %r)' % (self.category, self.key)


# --------------------------------------------------------------------------
# Current state
# --------------------------------------------------------------------------

def build_current(raw):
    """Key the listed records by names.

    ``raw`` maps a category to the list of plain dicts that
    ``IdentityBackend.list`` returned (a category that was not listed is
    absent).  Returns ``{category: {key: Item}}``.  When keystone holds
    duplicates of one key (two identical services, say), the one with the
    smallest id keeps the key and the others get their id appended to it:
    they then count as "not listed", so prune removes them.
    """
    current = dict((category, {}) for category in raw)
    names = {}  # category -> {id: key}

    def add(category, key, obj_id, attrs, deps=(), soft_deps=()):
        if key in current[category]:
            key = key + (Unknown(obj_id),)
        current[category][key] = Item(category, key, attrs, obj_id, deps, soft_deps)
        names.setdefault(category, {})[obj_id] = key
        return key

    def name_of(category, obj_id, size):
        """The key of a listed object, or a key of Unknown parts."""
        key = names.get(category, {}).get(obj_id)
        if key is None:
            return (None,) * (size - 1) + (Unknown(obj_id),)
        return key

    def by_id(category):
        return sorted(raw.get(category, ()), key=lambda rec: rec['id'])

    for rec in by_id('regions'):
        parent = rec.get('parent_region_id')
        add('regions', (rec['id'],), rec['id'], dict(description=rec.get('description'), parent=parent),
            [('regions', (parent,))] if parent else [])

    for rec in by_id('domains'):
        add('domains', (rec['name'],), rec['id'], dict(description=rec.get('description'), enabled=_enabled(rec)))

    for category in ('projects', 'groups'):
        for rec in by_id(category):
            domain = name_of('domains', rec['domain_id'], 1)
            attrs = dict(description=rec.get('description'))
            if category == 'projects':
                attrs['enabled'] = _enabled(rec)
            add(category, (domain[0], rec['name']), rec['id'], attrs, [('domains', domain)])

    for rec in by_id('roles'):
        # Domain-specific roles are not managed: they stay unnamed.
        if not rec.get('domain_id'):
            add('roles', (rec['name'],), rec['id'], dict(description=rec.get('description')))

    for rec in by_id('services'):
        add('services', (rec.get('name'), rec['type']), rec['id'], dict(description=rec.get('description'), enabled=_enabled(rec)))

    for rec in by_id('endpoints'):
        service = name_of('services', rec['service_id'], 2)
        region = rec.get('region_id')
        key = (service[0], service[1], region, rec['interface'])
        if isinstance(service[-1], Unknown):
            # The endpoint of a duplicate or unknown service is never "listed".
            key = key + (Unknown(rec['id']),)
        deps = [('services', service)] + ([('regions', (region,))] if region else [])
        add('endpoints', key, rec['id'], dict(url=rec['url'], enabled=_enabled(rec)), deps)

    for rec in by_id('users'):
        domain = name_of('domains', rec['domain_id'], 1)
        project = None
        if rec.get('default_project_id'):
            project = name_of('projects', rec['default_project_id'], 2)
        add('users', (domain[0], rec['name']), rec['id'], dict(
            description=rec.get('description'), email=rec.get('email'), enabled=_enabled(rec),
            default_project=project), [('domains', domain)], [('projects', project)] if project else [])

    for rec in raw.get('role_assignments', ()):
        role = name_of('roles', rec['role_id'], 1)
        actor_type = 'user' if rec.get('user_id') else 'group'
        actor = name_of(actor_type + 's', rec.get('user_id') or rec.get('group_id'), 2)
        deps = [('roles', role), (actor_type + 's', actor)]
        if rec.get('project_id'):
            scope_type = 'project'
            scope = name_of('projects', rec['project_id'], 2)
            deps.append(('projects', scope))
        elif rec.get('domain_id'):
            scope_type = 'domain'
            domain = name_of('domains', rec['domain_id'], 1)
            scope = (None, domain[0])
            deps.append(('domains', domain))
        else:
            scope_type = 'system'
            scope = (None, rec.get('system') or 'all')
        key = (role[0], actor_type, actor[0], actor[1], scope_type, scope[0], scope[1], bool(rec.get('inherited')))
        item = Item('role_assignments', key, {}, None, deps)
        # An assignment has no id: keep the ids needed to remove it.
        item.raw = rec
        current['role_assignments'][key] = item
    return current


class _Done(object):
    """A call run at once, with the interface of a future."""

    def __init__(self, func, args):
        self._error = None
        self._value = None
        try:
            self._value = func(*args)
        except Exception as exc:  # re-raised by result(), like a future
            self._error = exc

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value


def _enabled(rec):
    # Keystone's default for anything it does not report.
    return True if rec.get('enabled') is None else bool(rec['enabled'])


# --------------------------------------------------------------------------
# Desired state
# --------------------------------------------------------------------------

def build_desired(params):
    """Key the module parameters by names: ``{category: [Item]}`` in order."""
    default_domain = params.get('default_domain') or 'Default'
    default_region = params.get('default_region')
    desired = dict((category, []) for category in CATEGORIES)

    def add(category, key, attrs, spec, deps=(), soft_deps=()):
        item = Item(category, key, attrs, None, deps, soft_deps)
        item.state = spec.get('state') or 'present'
        desired[category].append(item)
        return item

    for spec in params.get('regions') or ():
        parent = spec.get('parent')
        add('regions', (spec['name'],), dict(description=spec.get('description'), parent=parent), spec,
            [('regions', (parent,))] if parent else [])

    for spec in params.get('domains') or ():
        add('domains', (spec['name'],), dict(description=spec.get('description'), enabled=spec.get('enabled')), spec)

    for spec in params.get('projects') or ():
        domain = spec.get('domain') or default_domain
        add('projects', (domain, spec['name']), dict(description=spec.get('description'), enabled=spec.get('enabled')),
            spec, [('domains', (domain,))])

    for spec in params.get('roles') or ():
        add('roles', (spec['name'],), dict(description=spec.get('description')), spec)

    for spec in params.get('groups') or ():
        domain = spec.get('domain') or default_domain
        add('groups', (domain, spec['name']), dict(description=spec.get('description')), spec, [('domains', (domain,))])

    for spec in params.get('services') or ():
        add('services', (spec['name'], spec['type']), dict(description=spec.get('description'), enabled=spec.get('enabled')), spec)

    # Endpoints name their service by name (and type when the name alone is
    # ambiguous); the type is filled in once the current services are known.
    for spec in params.get('endpoints') or ():
        region = spec.get('region') or default_region
        key = (spec['service'], spec.get('service_type'), region, spec['interface'])
        deps = [('services', (spec['service'], spec.get('service_type')))]
        if region:
            deps.append(('regions', (region,)))
        add('endpoints', key, dict(url=spec.get('url'), enabled=spec.get('enabled')), spec, deps)

    for spec in params.get('users') or ():
        domain = spec.get('domain') or default_domain
        project = None
        soft = []
        if spec.get('default_project'):
            project = (spec.get('default_project_domain') or domain, spec['default_project'])
            soft.append(('projects', project))
        item = add('users', (domain, spec['name']), dict(
            description=spec.get('description'), email=spec.get('email'), enabled=spec.get('enabled'),
            default_project=project), spec, [('domains', (domain,))], soft)
        item.password = spec.get('password')
        item.update_password = spec.get('update_password') or 'on_create'

    for spec in params.get('role_assignments') or ():
        if spec.get('user'):
            actor_type, actor = 'user', (spec.get('user_domain') or default_domain, spec['user'])
        else:
            actor_type, actor = 'group', (spec.get('group_domain') or default_domain, spec['group'])
        deps = [('roles', (spec['role'],)), (actor_type + 's', actor)]
        if spec.get('project'):
            scope_type, scope = 'project', (spec.get('project_domain') or default_domain, spec['project'])
            deps.append(('projects', scope))
        elif spec.get('domain'):
            scope_type, scope = 'domain', (None, spec['domain'])
            deps.append(('domains', (spec['domain'],)))
        else:
            scope_type, scope = 'system', (None, spec.get('system') or 'all')
        key = (spec['role'], actor_type, actor[0], actor[1], scope_type, scope[0], scope[1], False)
        add('role_assignments', key, {}, spec, deps)
    return desired


def needed_categories(params):
    """Categories to list: those given, pruned, referenced or cascaded into."""
    wanted = set(name for name in CATEGORIES if params.get(name))
    wanted.update(params.get('prune') or ())
    deleting = set(name for name in CATEGORIES
                   if name in (params.get('prune') or ()) or any(s.get('state') == 'absent' for s in params.get(name) or ()))
    # Deleting something deletes what depends on it: those must be known.
    todo = list(deleting)
    while todo:
        for dependent in DEPENDENTS[todo.pop()]:
            if dependent not in wanted:
                wanted.add(dependent)
                todo.append(dependent)
    todo = list(wanted)
    while todo:
        category = todo.pop()
        for need in NEEDS[category]:
            # Group names matter to assignments only when a group is named
            # or assignments may be deleted (the result then names them).
            if (category, need) == ('role_assignments', 'groups') and 'role_assignments' not in deleting and not any(
                    spec.get('group') for spec in params.get('role_assignments') or ()):
                continue
            if need not in wanted:
                wanted.add(need)
                todo.append(need)
    return [name for name in CATEGORIES if name in wanted]


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------

class Plan(object):
    """The operations to run and their description for results and diffs."""

    def __init__(self):
        self.ops = []  # dicts: action, category, key, item, changes

    @property
    def changed(self):
        return bool(self.ops)

    def add(self, action, item, changes=None):
        self.ops.append(dict(action=action, category=item.category, key=item.key, item=item, changes=changes or {}))

    def changes(self):
        """Per category: created / updated (with field changes) / deleted."""
        result = dict((category, dict(created=[], updated={}, deleted=[])) for category in CATEGORIES)
        for op in self.ops:
            entry = result[op['category']]
            name = label(op['category'], op['key'])
            if op['action'] == 'create':
                entry['created'].append(name)
            elif op['action'] == 'update':
                entry['updated'][name] = dict((attr, dict(before=_show(op['category'], attr, change[0]),
                                                          after=_show(op['category'], attr, change[1])))
                                              for attr, change in op['changes'].items())
            else:
                entry['deleted'].append(name)
        return result

    def diff(self):
        """Ansible diff: the objects that change, before and after."""
        before, after = {}, {}
        for op in self.ops:
            category, item = op['category'], op['item']
            name = label(category, op['key'])
            attrs = dict((attr, _show(category, attr, value)) for attr, value in item.attrs.items() if value is not None)
            if op['action'] == 'create':
                if item.password:
                    attrs['password'] = MASK
                after.setdefault(category, {})[name] = attrs
            elif op['action'] == 'delete':
                before.setdefault(category, {})[name] = attrs
            else:
                old = before.setdefault(category, {}).setdefault(name, {})
                new = after.setdefault(category, {}).setdefault(name, {})
                for attr, (was, will) in op['changes'].items():
                    old[attr] = _show(category, attr, was)
                    new[attr] = _show(category, attr, will)
        return dict(before=before, after=after)


def _show(category, attr, value):
    if attr == 'password':
        return value
    if attr == 'default_project' and isinstance(value, tuple):
        return label('projects', value)
    return value


def _resolve_services(desired, current):
    """Give each endpoint its service type (the name alone may be enough)."""
    known = {}
    for key in list(current.get('services', {})) + [i.key for i in desired['services'] if i.state == 'present']:
        if len(key) == 2:
            known.setdefault(key[0], set()).add(key[1])
    for item in desired['endpoints']:
        name, stype = item.key[0], item.key[1]
        if stype is None:
            types = known.get(name, set())
            if len(types) != 1:
                raise ModuleError('endpoint %s: %s' % (
                    label('endpoints', item.key),
                    'no service named %s is listed or exists' % name if not types else
                    'several services are named %s (%s): give service_type' % (name, ', '.join(sorted(types)))))
            stype = list(types)[0]
        item.key = (name, stype) + item.key[2:]
        item.deps = tuple(('services', (name, stype)) if cat == 'services' else (cat, key) for cat, key in item.deps)


def plan(desired, current, prune=(), protected=(), password_ok=None):
    """Compare desired and current state and return a Plan.

    ``protected`` are (category, key) refs that prune must keep;
    ``password_ok(user_id, password)`` tells whether a password is already
    the user's (used for update_password=always).
    """
    _resolve_services(desired, current)
    result = Plan()
    wanted = {}
    for category in CATEGORIES:
        for item in desired[category]:
            if item.ref in wanted:
                raise ModuleError('%s %s is listed twice' % (category, label(category, item.key)))
            wanted[item.ref] = item

    def exists(ref):
        return ref[1] in current.get(ref[0], {})

    # Every reference of a wanted object must be wanted or exist already.
    for item in wanted.values():
        if item.state != 'present':
            continue
        for ref in item.deps + item.soft_deps:
            target = wanted.get(ref)
            if target is not None and target.state == 'absent':
                raise ModuleError('%s %s refers to %s %s, which is listed with state=absent' % (
                    item.category, label(item.category, item.key), ref[0], label(ref[0], ref[1])))
            if target is None and not exists(ref):
                raise ModuleError('%s %s refers to %s %s, which neither exists nor is listed' % (
                    item.category, label(item.category, item.key), ref[0], label(ref[0], ref[1])))

    # What must stay: wanted objects, protected ones, and all they need.
    keep = set(ref for ref, item in wanted.items() if item.state == 'present')
    keep.update(ref for ref in protected if exists(ref))
    todo = list(keep)
    while todo:
        ref = todo.pop()
        item = wanted.get(ref) if ref in wanted and wanted[ref].state == 'present' else current.get(ref[0], {}).get(ref[1])
        if item is None:
            continue
        for dep in item.deps + (item.soft_deps if ref in wanted else ()):
            if dep not in keep:
                keep.add(dep)
                todo.append(dep)

    # Creates and updates, in dependency order.
    for category in _ordered(CATEGORIES, desired):
        for item in _parents_first(category, desired[category]):
            if item.state != 'present':
                continue
            have = current.get(category, {}).get(item.key)
            if have is None:
                result.add('create', item)
                continue
            changes = {}
            for attr in ATTRS[category]:
                want = item.attrs.get(attr)
                if want is not None and not _same(attr, want, have.attrs.get(attr)):
                    changes[attr] = (have.attrs.get(attr), want)
            if category == 'users' and item.password and item.update_password == 'always':
                # A disabled user cannot authenticate, so its password cannot
                # be checked: it is set (and reported changed) every time.
                if not have.attrs.get('enabled') or password_ok is None or not password_ok(have.id, item.password):
                    changes['password'] = (MASK, MASK + ' (new)')
            item.id = have.id
            if changes:
                result.add('update', item, changes)

    # Deletes: listed as absent, or pruned; then whatever depends on those.
    deleting = {}
    for item in wanted.values():
        if item.state == 'absent' and exists(item.ref):
            deleting[item.ref] = current[item.category][item.key]
    for category in prune:
        for key, have in current.get(category, {}).items():
            if (category, key) not in wanted and (category, key) not in keep:
                deleting[(category, key)] = have
    todo = list(deleting)
    while todo:
        ref = todo.pop()
        for dependent in DEPENDENTS[ref[0]]:
            for key, have in current.get(dependent, {}).items():
                if ref in have.deps and have.ref not in deleting:
                    if have.ref in keep:
                        raise ModuleError('cannot delete %s %s: %s %s needs it' % (
                            ref[0], label(ref[0], ref[1]), dependent, label(dependent, key)))
                    deleting[have.ref] = have
                    todo.append(have.ref)
    for category in reversed(CATEGORIES):
        items = [have for ref, have in deleting.items() if ref[0] == category]
        items = sorted(items, key=lambda i: label(category, i.key))
        if category == 'regions':
            items = list(reversed(_parents_first(category, items)))
        for have in items:
            result.add('delete', have)
    return result


def password_checks(desired, current):
    """``[(user_id, password)]`` that plan() will ask ``password_ok`` about."""
    checks = []
    for item in desired['users']:
        have = current.get('users', {}).get(item.key)
        if (item.state == 'present' and item.password and item.update_password == 'always'
                and have is not None and have.attrs.get('enabled')):
            checks.append((have.id, item.password))
    return checks


def _ordered(categories, desired):
    return [category for category in categories if desired.get(category)]


def _parents_first(category, items):
    """Regions: parents before children (creates); reversed for deletes."""
    if category != 'regions':
        return list(items)
    by_key = dict((item.key, item) for item in items)
    ordered, seen = [], set()

    def visit(item, path):
        if item.key in seen:
            return
        if item.key in path:
            raise ModuleError('regions %s: parent regions form a loop' % item.key[0])
        parent = item.attrs.get('parent')
        if parent and (parent,) in by_key:
            visit(by_key[(parent,)], path | set([item.key]))
        seen.add(item.key)
        ordered.append(item)

    for item in items:
        visit(item, set())
    return ordered


def protected_refs(current, user_id=None, project_id=None):
    """What prune keeps: the bootstrap objects and what the caller needs."""
    refs = set()
    for key, item in current.get('domains', {}).items():
        if item.id == BOOTSTRAP_DOMAIN_ID:
            refs.add(('domains', key))
    default = [key[0] for key, item in current.get('domains', {}).items() if item.id == BOOTSTRAP_DOMAIN_ID]
    for name in BOOTSTRAP_ROLES:
        refs.add(('roles', (name,)))
    for domain in default:
        refs.add(('projects', (domain, BOOTSTRAP_ADMIN)))
        refs.add(('users', (domain, BOOTSTRAP_ADMIN)))
    for category, obj_id in (('users', user_id), ('projects', project_id)):
        for key, item in current.get(category, {}).items():
            if obj_id and item.id == obj_id:
                refs.add((category, key))
    protected_users = set(key for cat, key in refs if cat == 'users')
    for key, item in current.get('role_assignments', {}).items():
        if key[1] == 'user' and (key[2], key[3]) in protected_users:
            refs.add(('role_assignments', key))
    # The identity service and its endpoints: the catalog this very module
    # (and every client) finds keystone through.
    for key in current.get('services', {}):
        if key[1] == 'identity':
            refs.add(('services', key))
    for key, item in current.get('endpoints', {}).items():
        if any(dep in refs for dep in item.deps):
            refs.add(('endpoints', key))
    return refs


# --------------------------------------------------------------------------
# Applying
# --------------------------------------------------------------------------

def apply(plan_, current, backend):
    """Run the plan's operations; return ``{category: {key: id}}`` of all known objects.

    Consecutive operations of one kind on one category do not depend on each
    other (regions aside: a parent comes before its children), so they go
    to the backend as one batch, which may run them concurrently.
    """
    ids = dict((category, dict((key, item.id) for key, item in current.get(category, {}).items()))
               for category in CATEGORIES)

    def id_of(category, key):
        if key is None:
            return None
        if isinstance(key[-1], Unknown):
            return key[-1].id
        return ids[category][key]

    for batch in _batches(plan_.ops):
        action, category = batch[0]['action'], batch[0]['category']
        if action == 'delete':
            # Dependents come first in the plan, so nothing relies on
            # keystone's own cascades.
            calls = [(backend.delete, (category, op['item'])) for op in batch]
        elif action == 'create':
            calls = [(backend.create, (category, _fields(category, op['key'], op['item'], None, id_of))) for op in batch]
        else:
            calls = [(backend.update, (category, op['item'].id, _fields(category, op['key'], op['item'], op['changes'], id_of)))
                     for op in batch]
        results = backend.run_all(calls, ['%s %s %s' % (action, category, label(category, op['key'])) for op in batch])
        if action == 'create':
            for op, new_id in zip(batch, results):
                ids[category][op['key']] = new_id
                op['item'].id = new_id
    return ids


def _batches(ops):
    batches = []
    for op in ops:
        if (batches and op['category'] != 'regions' and batches[-1][0]['action'] == op['action']
                and batches[-1][0]['category'] == op['category']):
            batches[-1].append(op)
        else:
            batches.append([op])
    return batches


def _fields(category, key, item, changes, id_of):
    """API fields for a create (changes=None) or for an update."""
    attrs = item.attrs if changes is None else dict((attr, item.attrs.get(attr)) for attr in changes)
    fields = {}
    for attr, value in attrs.items():
        if value is None and changes is None:
            continue
        if attr == 'parent':
            fields['parent_region_id'] = value
        elif attr == 'default_project':
            fields['default_project_id'] = id_of('projects', value)
        elif attr == 'enabled':
            fields['is_enabled'] = value
        elif attr != 'password':
            fields[attr] = value
    if changes is not None:
        if 'password' in changes:
            fields['password'] = item.password
        return fields
    if category == 'regions':
        fields['id'] = key[0]
    elif category in ('domains', 'roles'):
        fields['name'] = key[0]
    elif category in ('projects', 'groups', 'users'):
        fields['domain_id'] = id_of('domains', (key[0],))
        fields['name'] = key[1]
        if category == 'users' and item.password:
            fields['password'] = item.password
    elif category == 'services':
        fields['name'], fields['type'] = key
    elif category == 'endpoints':
        fields['service_id'] = id_of('services', (key[0], key[1]))
        fields['region_id'] = key[2]
        fields['interface'] = key[3]
    elif category == 'role_assignments':
        role, actor_type, actor_domain, actor, scope_type, scope_domain, scope, inherited = key
        fields = dict(role=id_of('roles', (role,)), actor_type=actor_type,
                      actor=id_of(actor_type + 's', (actor_domain, actor)), scope_type=scope_type)
        if scope_type == 'project':
            fields['scope'] = id_of('projects', (scope_domain, scope))
        elif scope_type == 'domain':
            fields['scope'] = id_of('domains', (scope,))
        else:
            fields['scope'] = scope
    return fields


def result_ids(desired, ids):
    """The ``ids`` result: ids of the objects listed with state=present.

    Domain-scoped objects are nested by domain name
    (``ids.users.Default.nova``); an object that check mode would create has
    no id yet (None).
    """
    result = dict((category, {}) for category in CATEGORIES if category != 'role_assignments')
    for category in result:
        for item in desired[category]:
            if item.state != 'present':
                continue
            obj_id = ids.get(category, {}).get(item.key, item.id)
            if category in ('projects', 'groups', 'users'):
                result[category].setdefault(item.key[0], {})[item.key[1]] = obj_id
            elif category == 'services':
                result[category][item.key[0]] = obj_id
            elif category == 'endpoints':
                result[category][label(category, item.key)] = obj_id
            else:
                result[category][item.key[0]] = obj_id
    return result


# --------------------------------------------------------------------------
# openstacksdk edge
# --------------------------------------------------------------------------

class IdentityBackend(object):
    """The identity calls, on one openstacksdk connection.

    Records come back as plain dicts with the fields ``build_current`` reads.
    """

    def __init__(self, conn, concurrency=1):
        self.conn = conn
        self.identity = conn.identity
        self.concurrency = max(1, concurrency)
        self.calls = 0
        self._lock = threading.Lock()

    def _count(self):
        with self._lock:
            self.calls += 1

    def run_all(self, calls, names=None):
        """Run ``(function, args)`` calls, up to ``concurrency`` at once;
        return their results in order.  The first failure becomes a
        ModuleError naming the operation (the others still complete)."""
        names = names or [''] * len(calls)
        if self.concurrency == 1 or len(calls) < 2:
            futures = [_Done(func, args) for func, args in calls]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(calls))) as pool:
                futures = [pool.submit(func, *args) for func, args in calls]
        results = []
        for name, future in zip(names, futures):
            try:
                results.append(future.result())
            except ModuleError:
                raise
            except Exception as exc:
                raise ModuleError('%s failed: %s' % (name, exc) if name else '%s' % exc)
        return results

    def list_all(self, categories):
        """``{category: records}``, the listings made concurrently."""
        return dict(zip(categories, self.run_all([(self.list, (category,)) for category in categories],
                                                 ['list ' + category for category in categories])))

    def check_passwords(self, checks):
        """``{user_id: bool}`` for ``[(user_id, password)]``, concurrently."""
        return dict(zip([user_id for user_id, dummy in checks],
                        self.run_all([(self.password_ok, check) for check in checks],
                                     ['check the password of user %s' % user_id for user_id, dummy in checks])))

    def list(self, category):
        self._count()
        if category == 'role_assignments':
            return [self._assignment(a) for a in self.identity.role_assignments()]
        lister = getattr(self.identity, category)
        return [self._record(category, obj) for obj in lister()]

    @staticmethod
    def _record(category, obj):
        rec = dict(id=obj.id)
        for field in dict(
            regions=('description', 'parent_region_id'),
            domains=('name', 'description', 'is_enabled'),
            projects=('name', 'domain_id', 'description', 'is_enabled'),
            roles=('name', 'description', 'domain_id'),
            groups=('name', 'domain_id', 'description'),
            services=('name', 'type', 'description', 'is_enabled'),
            endpoints=('service_id', 'region_id', 'interface', 'url', 'is_enabled'),
            users=('name', 'domain_id', 'description', 'email', 'is_enabled', 'default_project_id'),
        )[category]:
            rec['enabled' if field == 'is_enabled' else field] = getattr(obj, field, None)
        return rec

    @staticmethod
    def _assignment(obj):
        scope = obj.scope or {}
        rec = dict(
            role_id=(obj.role or {}).get('id'),
            user_id=(obj.user or {}).get('id'),
            group_id=(obj.group or {}).get('id'),
            project_id=(scope.get('project') or {}).get('id'),
            domain_id=(scope.get('domain') or {}).get('id'),
            system='all' if scope.get('system') else None,
            inherited=bool(scope.get('OS-INHERIT:inherited_to')),
        )
        return rec

    def create(self, category, fields):
        self._count()
        if category == 'role_assignments':
            self._assign('assign', fields)
            return None
        creator = getattr(self.identity, 'create_' + category[:-1])
        return creator(**fields).id

    def update(self, category, obj_id, fields):
        self._count()
        getattr(self.identity, 'update_' + category[:-1])(obj_id, **fields)

    def delete(self, category, item):
        if category == 'role_assignments':
            self._count()
            rec = item.raw
            fields = dict(role=rec['role_id'], actor_type='user' if rec.get('user_id') else 'group',
                          actor=rec.get('user_id') or rec.get('group_id'))
            if rec.get('project_id'):
                fields.update(scope_type='project', scope=rec['project_id'])
            elif rec.get('domain_id'):
                fields.update(scope_type='domain', scope=rec['domain_id'])
            else:
                fields.update(scope_type='system', scope=rec.get('system') or 'all')
            self._assign('unassign', fields)
            return
        if category == 'domains' and item.attrs.get('enabled'):
            # Keystone refuses to delete an enabled domain.
            self._count()
            self.identity.update_domain(item.id, is_enabled=False)
        self._count()
        getattr(self.identity, 'delete_' + category[:-1])(item.id, ignore_missing=False)

    def _assign(self, verb, fields):
        actor_type, scope_type = fields['actor_type'], fields['scope_type']
        if scope_type == 'system':
            name = '%s_system_role_%s_%s' % (verb, 'to' if verb == 'assign' else 'from', actor_type)
            getattr(self.identity, name)(fields['actor'], fields['role'], fields['scope'])
        else:
            name = '%s_%s_role_%s_%s' % (verb, scope_type, 'to' if verb == 'assign' else 'from', actor_type)
            getattr(self.identity, name)(fields['scope'], fields['actor'], fields['role'])

    def password_ok(self, user_id, password):
        """Does ``password`` authenticate the user?  Asks keystone for an
        unscoped token with it, on a request that carries no token of ours."""
        self._count()
        body = {'auth': {'identity': {'methods': ['password'],
                                      'password': {'user': {'id': user_id, 'password': password}}}}}
        response = self.identity.post('/auth/tokens', json=body, authenticated=False, raise_exc=False)
        if response.status_code in (200, 201):
            return True
        if response.status_code == 401:
            return False
        raise ModuleError('checking the password of user %s: keystone answered HTTP %s' % (user_id, response.status_code))

    def caller(self):
        """ids of the user and project the connection is authenticated as."""
        return self.conn.current_user_id, self.conn.current_project_id
