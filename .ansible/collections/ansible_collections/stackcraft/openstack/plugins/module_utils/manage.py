# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Helpers for modules that drive the OpenStack ``*-manage`` commands.

keystone-manage and nova-manage print their results (and most of their
errors) on stdout, often as PrettyTable tables, and signal failure by exit
code.  This module runs them through StackcraftModule.run_command (so every
message is masked), turns unexpected exit codes into ModuleError with the
useful part of both streams, parses their tables, and registers the
passwords embedded in URLs as secrets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import urlsplit

_SCHEME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*://')


def is_url(value, schemes=None):
    """True when ``value`` looks like scheme://... (optionally a given scheme)."""
    if not value or not _SCHEME_RE.match(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    scheme = parts.scheme.split('+', 1)[0].lower()
    return schemes is None or scheme in schemes


def parse_table(text):
    """Parse the first PrettyTable in ``text`` into a list of dicts.

    Column boundaries are taken from the ``+----+----+`` border, not by
    splitting on ``|``, so a value containing ``|`` is still read whole.
    Lines before the table (warnings, notices) are ignored.  Returns [] when
    the text holds a table without rows, and None when it holds no table.
    """
    lines = text.splitlines()
    start = None
    for idx, line in enumerate(lines):
        if re.match(r'^\+(-+\+)+\s*$', line.rstrip()):
            start = idx
            break
    if start is None:
        return None
    border = lines[start].rstrip()
    cuts = [pos for pos, char in enumerate(border) if char == '+']
    spans = list(zip(cuts[:-1], cuts[1:]))

    def cells(line):
        return [line[a + 1:b].strip() for a, b in spans]

    header = None
    rows = []
    borders = 0
    for line in lines[start + 1:]:
        if line.startswith('+'):
            borders += 1
            # border, header, border, rows..., border: the table ends here.
            if borders == 2:
                break
            continue
        if not line.startswith('|'):
            break
        if header is None:
            header = cells(line)
        else:
            rows.append(dict(zip(header, cells(line))))
    return rows


class ManageCommand(object):
    """Runs one ``*-manage`` binary with fixed leading options.

    ``base_argv`` is e.g. ['nova-manage', '--config-file', '/etc/nova/nova.conf'].
    """

    def __init__(self, stackmodule, base_argv, environ=None):
        self.stackmodule = stackmodule
        self.base_argv = list(base_argv)
        self.environ = dict(environ or {})

    def run(self, args, ok_rcs=(0,), explain=None, environ=None, data=None):
        """Run base_argv + args; return (rc, stdout, stderr).

        An exit code outside ``ok_rcs`` raises ModuleError whose message
        holds the (masked) command, the exit code, ``explain[rc]`` when
        given, and the last lines of stdout and stderr: nova-manage prints
        its own error messages on stdout, Python warnings go to stderr.
        """
        argv = self.base_argv + list(args)
        env = dict(self.environ)
        env.update(environ or {})
        kwargs = {'environ_update': env} if env else {}
        if data is not None:
            kwargs['data'] = data
        return self.stackmodule.run_command(argv, ok_rcs=ok_rcs, explain=explain, **kwargs)
