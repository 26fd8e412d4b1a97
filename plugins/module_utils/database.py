# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read-only access to a service's own database, shared by the modules that
read state there instead of through a slower API or ``*-manage`` program
(host_state, keystone_catalog): the connection URL from the service's
configuration file, and PyMySQL arguments for it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.six.moves.urllib.parse import parse_qs, unquote, urlsplit
from ansible_collections.stackcraft.openstack.plugins.module_utils.ini import IniError, parse

try:
    import pymysql
    HAS_PYMYSQL = True
except ImportError:
    pymysql = None
    HAS_PYMYSQL = False


def connect_args(url):
    """pymysql.connect() arguments for a SQLAlchemy mysql URL."""
    parts = urlsplit(url)
    if not parts.scheme.startswith('mysql'):
        raise ValueError('not a MySQL URL')
    args = {'user': unquote(parts.username or ''), 'password': unquote(parts.password or ''),
            'database': unquote(parts.path.lstrip('/')), 'connect_timeout': 5}
    query = parse_qs(parts.query)
    if 'unix_socket' in query:
        args['unix_socket'] = query['unix_socket'][0]
    else:
        args['host'] = parts.hostname or 'localhost'
        args['port'] = parts.port or 3306
    return args


def config_lines(path):
    """The parsed lines of an INI file, or None when it is missing or unreadable as INI."""
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        try:
            return parse(handle.read())
        except IniError:
            return None


def option_value(lines, section, option):
    """The last value of ``option`` in ``section`` of parsed ``lines``, or None."""
    values = [line.value.strip() for line in lines or ()
              if line.kind == 'option' and line.section == section and line.key == option]
    return values[-1] if values else None


def query(url, sql, args=None):
    """All rows of one read-only statement on the database of ``url``."""
    connection = pymysql.connect(**connect_args(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()
    finally:
        connection.close()


def query_dicts(url, statements):
    """``{name: [row as dict]}`` for ``{name: sql}``, on one connection."""
    connection = pymysql.connect(**connect_args(url))
    try:
        found = {}
        with connection.cursor() as cursor:
            for name, sql in statements.items():
                cursor.execute(sql)
                columns = [column[0] for column in cursor.description]
                found[name] = [dict(zip(columns, row)) for row in cursor.fetchall()]
        return found
    finally:
        connection.close()
