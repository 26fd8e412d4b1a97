# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""mysql_native_password: MariaDB's PASSWORD() of known passwords."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackcraft.openstack.plugins.filter.mysql_native_password import mysql_native_password


def test_known_hashes():
    # SELECT PASSWORD('password'), PASSWORD('Zm9v-ĝ') in MariaDB (UTF-8 client).
    assert mysql_native_password('password') == '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'
