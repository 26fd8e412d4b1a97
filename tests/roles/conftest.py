# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""Fixtures shared by the playbook tests in tests/roles."""
import os
import socket

import pytest


@pytest.fixture(name="closed")
def fixture_closed():
    """A loopback TCP port nobody listens on (bound, read, released)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture(name="ansible_env")
def fixture_ansible_env(tmp_path):
    """env(**extra): the environment for an ansible-playbook run with a JSON
    report on stdout, Ansible's state kept in tmp_path, and none of the
    caller's callback or vault settings."""
    def env(**extra):
        out = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
                   ANSIBLE_HOME=str(tmp_path / "home"))
        for name in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST"):
            out.pop(name, None)
        out.update(extra)
        return out
    return env
