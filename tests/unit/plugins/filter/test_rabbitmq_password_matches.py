# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""rabbitmq_password_matches against hashes made the way RabbitMQ makes them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

import pytest

from ansible_collections.stackcraft.openstack.plugins.filter.rabbitmq_password_matches import rabbitmq_password_matches

SALT = b'\x8a\x01\xfe\x10'


def rabbit_hash(password, digest=hashlib.sha256):
    return base64.b64encode(SALT + digest(SALT + password.encode('utf-8')).digest()).decode()


def test_sha256_default():
    assert rabbitmq_password_matches(rabbit_hash('s3cr/et'), 's3cr/et')
    assert not rabbitmq_password_matches(rabbit_hash('s3cr/et'), 's3cr/et ')


def test_other_algorithms_and_unicode():
    assert rabbitmq_password_matches(rabbit_hash('pässwort', hashlib.sha512), 'pässwort', 'rabbit_password_hashing_sha512')
    assert not rabbitmq_password_matches(rabbit_hash('pw', hashlib.sha512), 'pw')


def test_empty_or_broken_hash_never_matches():
    assert not rabbitmq_password_matches('', '')
    assert not rabbitmq_password_matches('not base64!', 'pw')
    assert not rabbitmq_password_matches(base64.b64encode(SALT).decode(), '')


def test_unknown_algorithm_is_an_error():
    with pytest.raises(ValueError):
        rabbitmq_password_matches(rabbit_hash('pw'), 'pw', 'rabbit_password_hashing_bcrypt')
