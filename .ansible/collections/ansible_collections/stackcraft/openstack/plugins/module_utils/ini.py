# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Pure logic of the ini_settings module: parse, plan, render, mask.

Nothing here touches the file system.  ``plan(text, ops)`` takes the current
file content and the normalised settings and returns the new content plus a
list of what changed; the module only reads, writes and sets attributes.

iniparse parses the file: it decides what is a section header, an option, a
continuation line, a comment or a blank line, and it reports unparseable
lines with their numbers.  Its editing API is not used, because it keeps one
value per key (oslo.config multi-valued options are repeated ``key = value``
lines), appends new keys at the end of a section instead of next to Debian's
commented-out default, and lower-cases names.  Instead the parsed lines are
flattened into a list, edits are attached to those lines (replace, insert
after) and the file is rendered again; untouched lines are written back
byte for byte.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import re
import traceback

from ansible.module_utils.six import string_types
from ansible_collections.stackcraft.openstack.plugins.module_utils.base import MASK, mask_url_password, url_passwords

try:
    from iniparse import ini as _ini
except ImportError:
    HAS_INIPARSE = False
    INIPARSE_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_INIPARSE = True
    INIPARSE_IMPORT_ERROR = None

DEFAULT_SECTION = 'DEFAULT'

# Keys whose values never appear in output: passwords, keys, tokens and the
# URLs/connection strings that embed credentials.
_SECRET_KEY_RE = re.compile(r'password|passwd|secret|credential|transport_url|(?:^|_)(?:token|key|connection)$', re.IGNORECASE)

# "#key = default" as written by oslo-config-generator (tier 0) or by hand
# with one space, "# key = value" (tier 1).  Longer indents are examples
# inside option descriptions, not commented-out options.
_COMMENTED_OPTION_RE = re.compile(r'^[#;](?P<space> ?)(?P<key>[A-Za-z0-9_.-]+)\s*[=:]')

# An option line as iniparse (and oslo.config) split it: the key runs to the
# first '=' or ':'.  The value keeps any ';' so that it compares as oslo reads it.
_OPTION_RE = re.compile(r'^(?P<key>[^:=\s\[][^:=]*?)(?P<sep>\s*[:=]\s*)(?P<value>.*)$')


PRESENT = 'present'
ABSENT = 'absent'


class IniError(ValueError):
    """Bad input or an unparseable file; the message says what and where."""


def is_secret_key(key):
    """True for option names whose values are secrets."""
    return bool(_SECRET_KEY_RE.search(key or ''))


def mask_value(key, value):
    """The value as it may appear in output."""
    if value is None:
        return None
    if is_secret_key(key):
        return MASK
    return mask_url_password(value)


def secret_values(settings):
    """Every secret in ``settings``: string values of secret-looking keys
    and passwords inside URLs.  Tolerates malformed settings, so that secrets
    can be hidden before the settings are validated."""
    found = []
    for options in (settings.values() if isinstance(settings, dict) else []):
        for key, value in (options.items() if isinstance(options, dict) else []):
            for item in (value if isinstance(value, (list, tuple)) else [value]):
                if not isinstance(item, string_types):
                    continue
                if is_secret_key(str(key)):
                    found.append(item)
                found.extend(url_passwords(item))
    return [value for value in found if value]


# --------------------------------------------------------------------------
# Input: settings -> operations
# --------------------------------------------------------------------------

def format_value(value):
    """One oslo.config value as text: booleans as true/false."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, string_types):
        return value
    raise IniError('values must be strings, numbers, booleans, lists of those or null, got %s' % type(value).__name__)


def _check_name(name, what, section=None):
    if isinstance(name, bool) or not isinstance(name, string_types + (int,)):
        raise IniError('%s names must be strings, got %r' % (what, name))
    name = str(name)
    where = '' if section is None else ' in section [%s]' % section
    if not name:
        raise IniError('empty %s name%s' % (what, where))
    if '\n' in name or '\r' in name:
        raise IniError('%s name %r%s contains a newline' % (what, name, where))
    if name != name.strip():
        raise IniError('%s name %r%s has leading or trailing whitespace' % (what, name, where))
    if what == 'section' and ']' in name:
        raise IniError("section name %r contains ']'" % name)
    if what == 'key' and (re.search('[=:]', name) or name[0] in '[#;'):
        raise IniError("key name %r%s cannot be written to an ini file (it contains '=' or ':' or starts with '[', '#' or ';')" % (name, where))
    return name


def _values(section, key, value):
    """The list of text values for one key (a scalar is a list of one)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    result = []
    for item in items:
        if item is None or isinstance(item, (list, tuple, dict)):
            raise IniError('[%s] %s: list items must be strings, numbers or booleans' % (section, key))
        text = format_value(item)
        if '\n' in text or '\r' in text:
            raise IniError('[%s] %s: value contains a newline' % (section, key))
        if text != text.strip():
            # oslo.config strips values: such a value would never read back
            # equal and every run would report a change.
            raise IniError('[%s] %s: value has leading or trailing whitespace' % (section, key))
        result.append(text)
    return result


def normalize_settings(settings, state=PRESENT):
    """Validate ``settings`` and turn it into a list of operations.

    Operations, in the order given: ``('set', section, key, [values])``,
    ``('remove', section, key, None or [values])``,
    ``('remove_section', section)`` and ``('ensure_section', section)``.
    Everything is checked before anything is planned, so a bad entry never
    leaves a half-applied file.
    """
    if state not in (PRESENT, ABSENT):
        raise IniError('state must be present or absent')
    if not isinstance(settings, dict):
        raise IniError('settings must be a dict of sections')
    ops = []
    for section, options in settings.items():
        section = _check_name(section, 'section')
        if options is None:
            ops.append(('remove_section', section))
            continue
        if not isinstance(options, dict):
            raise IniError('settings for section [%s] must be a dict of key: value (or null to remove the section)' % section)
        if not options and state == PRESENT:
            ops.append(('ensure_section', section))
        for key, value in options.items():
            key = _check_name(key, 'key', section)
            if value is None:
                ops.append(('remove', section, key, None))
                continue
            values = _values(section, key, value)
            if state == ABSENT:
                ops.append(('remove', section, key, values))
            elif values:
                ops.append(('set', section, key, values))
            else:
                # An empty list: the multi-valued option has no value at all.
                ops.append(('remove', section, key, None))
    return ops


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

class Line(object):
    """One logical line of the file and the edits planned on it.

    ``raw`` holds the original text lines (an option with continuation
    lines has several).  ``replace`` is None (keep) or the lines that take
    its place; ``before``/``after`` are lines inserted around it.
    """

    __slots__ = ('kind', 'raw', 'section', 'key', 'value', 'extra', 'replace', 'before', 'after')

    def __init__(self, kind, raw, section, key=None, value=None, extra=None):
        self.kind = kind          # 'header', 'option' or 'other'
        self.raw = raw
        self.section = section
        self.key = key
        self.value = value
        self.extra = extra or []  # comment/blank lines iniparse kept inside an option
        self.replace = None
        self.before = []
        self.after = []

    def render(self):
        return self.before + (self.raw if self.replace is None else self.replace) + self.after


def _parser():
    if not HAS_INIPARSE:
        raise IniError('the iniparse Python library is required')

    class StrictComment(_ini.CommentLine):
        # iniparse also takes lines starting with "rem" as comments, which
        # would hide options such as remove_unused_base_images = true.
        regex = re.compile(r'^(?P<csep>[;#])(?P<comment>.*)$')

    class Parser(_ini.INIConfig):
        _line_types = [_ini.EmptyLine, StrictComment, _ini.SectionLine, _ini.OptionLine, _ini.ContinuationLine]

    return Parser


def _describe_line(lineno, line):
    line = line.rstrip('\r\n')
    if is_secret_key(line):
        return 'line %d (content hidden, it may hold a secret)' % lineno
    if len(line) > 60:
        line = line[:57] + '...'
    return 'line %d: %r' % (lineno, mask_url_password(line))


def parse(text):
    """Parse ``text`` into a list of Line objects.

    Joining every Line's raw lines with newlines gives ``text`` back, less
    its final newline.
    """
    parser = _parser()
    try:
        config = parser(io.StringIO(text), optionxformvalue=None)
    except _ini.MissingSectionHeaderError as exc:
        raise IniError('cannot parse %s: an option outside any [section]' % _describe_line(exc.lineno, exc.line))
    except _ini.ParsingError as exc:
        errors = getattr(exc, 'errors', [])
        shown = ', '.join(_describe_line(lineno, line) for lineno, line in errors[:5])
        more = ' and %d more' % (len(errors) - 5) if len(errors) > 5 else ''
        raise IniError('cannot parse %s%s (neither a [section], a key = value, a comment nor a continuation line)' % (shown, more))

    lines = []
    section = None
    for item in config._data.contents:
        if not isinstance(item, _ini.LineContainer):
            lines.append(Line('other', [str(item)], section))
            continue
        section = item.contents[0].name
        lines.append(Line('header', [str(item.contents[0])], section))
        for sub in item.contents[1:]:
            if isinstance(sub, _ini.LineContainer):
                lines.append(_option_line(sub, section))
            else:
                lines.append(Line('other', [str(sub)], section))
    # iniparse represents a final newline as a last empty line.
    if text.endswith('\n') and lines:
        lines.pop()
    return lines


def _option_line(container, section):
    raw = [str(x) for x in container.contents]
    match = _OPTION_RE.match(raw[0].strip())
    value = match.group('value')
    extra = []
    for part in container.contents[1:]:
        if isinstance(part, _ini.ContinuationLine):
            value += '\n' + part.value
        else:
            extra.append(str(part))
    return Line('option', raw, section, key=match.group('key'), value=value, extra=extra)


class _Section(object):
    __slots__ = ('headers', 'options', 'commented', 'last_option')

    def __init__(self):
        self.headers = []
        self.options = {}
        self.commented = {}
        self.last_option = None


def _index(lines):
    sections = {}
    for line in lines:
        if line.section is None:
            continue
        sect = sections.setdefault(line.section, _Section())
        if line.kind == 'header':
            sect.headers.append(line)
        elif line.kind == 'option':
            sect.options.setdefault(line.key, []).append(line)
            sect.last_option = line
        else:
            match = _COMMENTED_OPTION_RE.match(line.raw[0])
            if match:
                tier = len(match.group('space'))
                known = sect.commented.get(match.group('key'))
                # Prefer "#key =" over "# key ="; among equals take the last,
                # so a list default written as several lines stays together.
                if known is None or tier <= known[0]:
                    sect.commented[match.group('key')] = (tier, line)
    return sections


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------

class Plan(object):
    """The result of plan(): new text and the list of changes."""

    def __init__(self, before, after, changes):
        self.before = before
        self.after = after
        self.changes = changes

    @property
    def changed(self):
        return self.before != self.after


def _option_text(key, value, template=None):
    """``key = value``; replacing a line keeps that line's key/separator style."""
    if template is not None:
        match = _OPTION_RE.match(template.strip())
        prefix = template[:len(template) - len(template.lstrip())] + match.group('key') + match.group('sep')
    else:
        prefix = key + ' = '
    return (prefix + value).rstrip() if not value else prefix + value


def _change(section, key, action, old, new):
    return dict(section=section, key=key, action=action, old=old, new=new)


class _Planner(object):

    def __init__(self, lines):
        self.lines = lines
        self.sections = _index(lines)
        self.first_header = next((line for line in lines if line.kind == 'header'), None)
        self.new_sections = []   # [(name, [lines])] appended at the end
        self.changes = []

    def _new_section(self, name):
        for known, body in self.new_sections:
            if known == name:
                return body
        body = []
        self.new_sections.append((name, body))
        return body

    def ensure_section(self, section):
        if section not in self.sections:
            self._new_section(section)
            self.changes.append(_change(section, None, 'add_section', [], []))

    def set(self, section, key, values):
        sect = self.sections.get(section)
        existing = sect.options.get(key, []) if sect else []
        old = [line.value for line in existing]
        if old == values:
            return
        action = 'change' if existing else 'add'
        if sect is None:
            self._new_section(section).extend(_option_text(key, v) for v in values)
        elif existing:
            # Pair old and new values in order (a one-value change is a
            # one-line edit); extra new values follow the last paired line,
            # surplus old lines go.
            paired = min(len(existing), len(values))
            for line, value in zip(existing[:paired - 1], values[:paired - 1]):
                if line.value != value:
                    line.replace = [_option_text(key, value, line.raw[0])] + line.extra
            last = existing[paired - 1]
            if last.value != values[paired - 1] or len(values) > paired:
                last.replace = [_option_text(key, v, last.raw[0]) for v in values[paired - 1:]] + last.extra
            for line in existing[paired:]:
                line.replace = list(line.extra)
        else:
            anchor = sect.commented.get(key, (None, None))[1] or sect.last_option or sect.headers[-1]
            anchor.after.extend(_option_text(key, v) for v in values)
        self.changes.append(_change(section, key, action, old, list(values)))

    def remove(self, section, key, values):
        sect = self.sections.get(section)
        existing = sect.options.get(key, []) if sect else []
        doomed = [line for line in existing if values is None or line.value in values]
        if not doomed:
            return
        for line in doomed:
            line.replace = list(line.extra)
        old = [line.value for line in existing]
        new = [line.value for line in existing if line not in doomed]
        self.changes.append(_change(section, key, 'remove', old, new))

    def remove_section(self, section):
        if section not in self.sections:
            return
        for line in self.lines:
            if line.section == section:
                line.replace = []
        self.changes.append(_change(section, None, 'remove_section', [], []))

    def render(self):
        """The new text; it always ends with a newline."""
        out = []
        for name, body in self.new_sections:
            if name == DEFAULT_SECTION and self.first_header is not None:
                # oslo.config files start with [DEFAULT]: a new one goes first.
                self.first_header.before.extend(['[%s]' % name] + body + [''])
                self.new_sections.remove((name, body))
                break
        for line in self.lines:
            out.extend(line.render())
        for name, body in self.new_sections:
            if out and out[-1].strip():
                out.append('')
            out.append('[%s]' % name)
            out.extend(body)
        text = '\n'.join(out)
        return text + '\n' if out else text


def plan(text, ops):
    """Apply ``ops`` (from normalize_settings) to ``text``; return a Plan."""
    bom = ''
    if text.startswith(u'\ufeff'):
        bom, text = text[:1], text[1:]
    lines = parse(text)
    planner = _Planner(lines)
    for op in ops:
        getattr(planner, op[0])(*op[1:])
    if not planner.changes:
        return Plan(bom + text, bom + text, [])
    return Plan(bom + text, bom + planner.render(), planner.changes)


# --------------------------------------------------------------------------
# Output masking
# --------------------------------------------------------------------------

def mask_changes(changes):
    """The change list with secret values masked."""
    masked = []
    for change in changes:
        change = dict(change)
        for field in ('old', 'new'):
            change[field] = [mask_value(change['key'], v) for v in change[field]]
        masked.append(change)
    return masked


def mask_text(text):
    """File content fit for a diff: values of secret keys (also in comments)
    and passwords inside URLs replaced by the mask."""
    out = []
    for line in text.split('\n'):
        body = line.lstrip('#; ')
        match = _OPTION_RE.match(body)
        if match and is_secret_key(match.group('key')) and match.group('value').strip():
            line = line[:len(line) - len(body)] + match.group('key') + match.group('sep') + MASK
        else:
            line = mask_url_password(line)
        out.append(line)
    return '\n'.join(out)
