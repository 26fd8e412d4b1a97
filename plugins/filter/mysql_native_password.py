# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The authentication string MariaDB's mysql_native_password stores for a
password, so a role can compare an account read by host_state without a
mysql_user call per account."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.module_utils.common.text.converters import to_bytes


def mysql_native_password(password):
    """``*`` and the upper-case hex SHA-1 of the SHA-1 of the password."""
    return '*' + hashlib.sha1(hashlib.sha1(to_bytes(password)).digest()).hexdigest().upper()


class FilterModule(object):
    def filters(self):
        return {'mysql_native_password': mysql_native_password}
