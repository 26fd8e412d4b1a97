# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Shared base for the stackcraft.openstack modules.

A module subclasses StackcraftModule, declares ``argument_spec`` (and any
extra AnsibleModule keyword arguments in ``module_kwargs``), lists the
parameters that hold secrets in ``secret_params`` and implements ``run()``,
which returns the result dict.  Everything around it lives here once:
building the AnsibleModule, turning ModuleError into fail_json, and masking
every secret in results, diffs and error messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six import string_types
from ansible.module_utils.six.moves.urllib.parse import unquote

MASK = '********'

# scheme://user:password@host -- the password part of every user:pass@ in a
# (possibly comma separated, as in oslo.messaging transport URLs) URL.
_URL_PASSWORD_RE = re.compile(r'(?P<prefix>(?:://|,)[^:/@,\s]*:)(?P<password>[^@\s]*)(?P<at>@)')


class ModuleError(Exception):
    """An expected failure: becomes fail_json(msg=..., **details)."""

    def __init__(self, msg, **details):
        super(ModuleError, self).__init__(msg)
        self.msg = msg
        self.details = details


def mask_url_password(url):
    """Replace the password of every user:password@ in a URL with MASK."""
    if not isinstance(url, string_types):
        return url
    return _URL_PASSWORD_RE.sub(lambda m: m.group('prefix') + MASK + m.group('at'), url)


def url_passwords(url):
    """Passwords in ``url``, both as written and percent-decoded.

    Handles oslo.messaging's multi-host form
    ``rabbit://u1:p1@h1:5672,u2:p2@h2:5672/vhost``.
    """
    if not isinstance(url, string_types):
        return []
    found = []
    for match in _URL_PASSWORD_RE.finditer(url):
        password = match.group('password')
        for candidate in (password, unquote(password)):
            if candidate and candidate not in found:
                found.append(candidate)
    return found


def mask_secrets(value, secrets):
    """Return ``value`` with every secret string replaced by MASK.

    Walks dicts, lists and tuples; URL passwords are masked as well, so a
    database connection or transport URL never leaks even when its password
    was not passed as a separate secret.
    """
    secrets = sorted((s for s in secrets if isinstance(s, string_types) and s), key=len, reverse=True)

    def _mask(item):
        if isinstance(item, dict):
            return dict((k, _mask(v)) for k, v in item.items())
        if isinstance(item, (list, tuple)):
            return type(item)(_mask(v) for v in item)
        if isinstance(item, string_types):
            for secret in secrets:
                item = item.replace(secret, MASK)
            return mask_url_password(item)
        return item

    return _mask(value)


def collect_secrets(params, names):
    """Values of the parameters called ``names``, searched at any depth."""
    found = []

    def _walk(item):
        if isinstance(item, dict):
            for key, val in item.items():
                if key in names and isinstance(val, string_types) and val:
                    found.append(val)
                else:
                    _walk(val)
        elif isinstance(item, (list, tuple)):
            for val in item:
                _walk(val)

    _walk(params)
    return found


def tail(out, err, lines=12):
    """The last ``lines`` non-empty lines of stdout, then of stderr."""
    parts = []
    for stream in (out, err):
        kept = [line for line in (stream or '').splitlines() if line.strip()]
        if kept:
            parts.append('\n'.join(kept[-lines:]))
    return '\n'.join(parts)


class StackcraftModule(object):
    """Base class: subclasses set argument_spec and implement run()."""

    argument_spec = {}
    module_kwargs = {}
    # Parameter names (at any depth of the params) whose values are secrets.
    secret_params = ()

    def __init__(self, module=None):
        self.module = module or AnsibleModule(
            argument_spec=self.argument_spec,
            supports_check_mode=True,
            **self.module_kwargs
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._extra_secrets = []

    def add_secret(self, value):
        """Mask ``value`` in everything this module returns.

        no_log_values also covers the ``invocation`` block AnsibleModule
        builds from the raw parameters.
        """
        if isinstance(value, string_types) and value:
            self._extra_secrets.append(value)
            self.module.no_log_values.add(value)

    def add_url_secrets(self, url):
        """Mask the passwords embedded in ``url``."""
        for password in url_passwords(url):
            self.add_secret(password)

    @property
    def secrets(self):
        return collect_secrets(self.params, self.secret_params) + self._extra_secrets

    def mask(self, value):
        return mask_secrets(value, self.secrets)

    def run_command(self, argv, check_rc=True, ok_rcs=(0,), explain=None, **kwargs):
        """Run argv (no shell); return (rc, stdout, stderr).

        With ``check_rc``, an exit code outside ``ok_rcs`` raises ModuleError
        holding the masked command, the exit code, ``explain[rc]`` when given
        and the last lines of both streams: some tools (nova-manage) print
        their real error on stdout and only library warnings on stderr.
        """
        rc, out, err = self.module.run_command(argv, **kwargs)
        if check_rc and rc not in ok_rcs:
            meaning = (explain or {}).get(rc)
            detail = tail(out, err)
            msg = 'Command %s failed with rc=%d%s%s' % (
                ' '.join(argv), rc, ' (%s)' % meaning if meaning else '', ': %s' % detail if detail else '')
            raise ModuleError(self.mask(msg), rc=rc, stdout=self.mask(out), stderr=self.mask(err))
        return rc, out, err

    def run(self):
        raise NotImplementedError

    def execute(self):
        try:
            result = self.run()
        except ModuleError as exc:
            self.module.fail_json(msg=self.mask(exc.msg), **self.mask(exc.details))
        result = dict(result or {})
        result.setdefault('changed', False)
        self.module.exit_json(**self.mask(result))
