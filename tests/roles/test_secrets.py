# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""playbooks/secrets.yml: the deployment's secrets file, plain or encrypted
with ansible-vault. Real runs of the playbook against localhost.

A plain file gets missing values added and keeps the others; an encrypted
file stays encrypted (same vault id) when values are added with the vault
password from a password file Ansible is configured with, and without such
a file the run stops before any change, naming the missing secrets.
"""
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

PLAYBOOK = Path(__file__).resolve().parent.parent.parent / "playbooks" / "secrets.yml"
NAMES = 14


def run_secrets(tmp_path, env, args=()):
    inventory = tmp_path / "inventory"
    inventory.mkdir(exist_ok=True)
    (inventory / "hosts").write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    proc = subprocess.run(
        [shutil.which("ansible-playbook") or "ansible-playbook", "-i", str(inventory / "hosts"), *args, str(PLAYBOOK)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(proc.stdout[proc.stdout.find("{"):]) if "{" in proc.stdout else {}
    messages = [result.get("msg", "") for play in report.get("plays", []) for task in play["tasks"]
                for result in task["hosts"].values() if result.get("failed")]
    return proc.returncode, messages, proc.stdout + proc.stderr


def vault(tmp_path, env, *args, stdin=None):
    proc = subprocess.run([shutil.which("ansible-vault") or "ansible-vault", *args], cwd=tmp_path,
                          env=env, input=stdin, capture_output=True, text=True, timeout=60, check=True)
    return proc.stdout


def secrets_file(tmp_path):
    return tmp_path / "inventory" / ".secrets.yml"


def test_plain_file_created_then_kept(tmp_path, ansible_env):
    rc, _msgs, output = run_secrets(tmp_path, ansible_env())
    assert rc == 0, output
    path = secrets_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = yaml.safe_load(path.read_text())
    assert len(values) == NAMES
    assert all(len(v) == 32 and v.isalnum() for v in values.values())
    before = path.read_bytes()
    rc, _msgs, output = run_secrets(tmp_path, ansible_env())
    assert rc == 0, output
    assert path.read_bytes() == before


def test_plain_file_gets_only_the_missing_value(tmp_path, ansible_env):
    run_secrets(tmp_path, ansible_env())
    path = secrets_file(tmp_path)
    values = yaml.safe_load(path.read_text())
    del values["nova_keystone_password"]
    path.write_text(yaml.safe_dump(values))
    rc, _msgs, output = run_secrets(tmp_path, ansible_env())
    assert rc == 0, output
    after = yaml.safe_load(path.read_text())
    assert set(after) == set(values) | {"nova_keystone_password"}
    assert all(after[name] == value for name, value in values.items())


def _encrypted_without_one(tmp_path, ansible_env, vault_id="stackcraft"):
    run_secrets(tmp_path, ansible_env())
    path = secrets_file(tmp_path)
    values = yaml.safe_load(path.read_text())
    del values["neutron_metadata_secret"]
    password = tmp_path / "vault-pass"
    password.write_text("correct horse battery staple\n")
    password.chmod(0o600)
    path.write_text(yaml.safe_dump(values))
    vault(tmp_path, ansible_env(), "encrypt", "--vault-id", "%s@%s" % (vault_id, password), str(path))
    assert path.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;%s\n" % vault_id)
    return path, password, values


def test_encrypted_file_stays_encrypted_when_a_value_is_added(tmp_path, ansible_env):
    path, password, values = _encrypted_without_one(tmp_path, ansible_env)
    rc, _msgs, output = run_secrets(tmp_path, ansible_env(ANSIBLE_VAULT_PASSWORD_FILE=str(password)))
    assert rc == 0, output
    text = path.read_text()
    assert text.startswith("$ANSIBLE_VAULT;1.2;AES256;stackcraft\n"), text[:60]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    after = yaml.safe_load(vault(tmp_path, ansible_env(), "view", "--vault-password-file", str(password), str(path)))
    assert set(after) == set(values) | {"neutron_metadata_secret"}
    assert all(after[name] == value for name, value in values.items())
    # complete now: a rerun leaves the bytes alone
    before = path.read_bytes()
    rc, _msgs, output = run_secrets(tmp_path, ansible_env(ANSIBLE_VAULT_PASSWORD_FILE=str(password)))
    assert rc == 0, output
    assert path.read_bytes() == before


def test_encrypted_file_without_a_password_file_is_refused_unchanged(tmp_path, ansible_env):
    path, password, _values = _encrypted_without_one(tmp_path, ansible_env)
    before = path.read_bytes()
    # The password reaches Ansible for reading, but not as a configured file.
    rc, messages, output = run_secrets(tmp_path, ansible_env(), args=("--vault-password-file", str(password)))
    assert rc != 0, output
    assert any("encrypted with ansible-vault" in m and "neutron_metadata_secret" in m and "Nothing was changed" in m
               for m in messages), output
    assert path.read_bytes() == before
    assert "correct horse" not in output


def test_encrypted_complete_file_is_read_without_a_change(tmp_path, ansible_env):
    run_secrets(tmp_path, ansible_env())
    path = secrets_file(tmp_path)
    password = tmp_path / "vault-pass"
    password.write_text("another secret\n")
    vault(tmp_path, ansible_env(), "encrypt", "--vault-password-file", str(password), str(path))
    before = path.read_bytes()
    rc, _msgs, output = run_secrets(tmp_path, ansible_env(), args=("--vault-password-file", str(password)))
    assert rc == 0, output
    assert path.read_bytes() == before
