# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a password matches a RabbitMQ password hash (as exported by
``rabbitmqctl export_definitions``), so a role can leave a user alone
without a ``rabbitmqctl`` call per user."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import hmac

from ansible.module_utils.common.text.converters import to_bytes

# rabbit_password_hashing_<name>: base64(salt + H(salt + password)), a
# 4-byte salt.
_ALGORITHMS = {
    'rabbit_password_hashing_sha256': hashlib.sha256,
    'rabbit_password_hashing_sha512': hashlib.sha512,
    'rabbit_password_hashing_md5': hashlib.md5,
}


def rabbitmq_password_matches(password_hash, password, algorithm='rabbit_password_hashing_sha256'):
    if algorithm not in _ALGORITHMS:
        # A plain error: Ansible reports it as the filter's; its own error
        # classes would pull the controller into module unit tests.
        raise ValueError('rabbitmq_password_matches: unknown hashing algorithm %r' % (algorithm,))
    try:
        raw = base64.b64decode(to_bytes(password_hash or ''), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) <= 4:
        return False
    salt, digest = raw[:4], raw[4:]
    return hmac.compare_digest(_ALGORITHMS[algorithm](salt + to_bytes(password)).digest(), digest)


class FilterModule(object):
    def filters(self):
        return {'rabbitmq_password_matches': rabbitmq_password_matches}
