# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""playbooks/preflight.yml (run by site.yml before any service role) stops a
deploy whose database or broker cannot be reached, and names which.

Real runs of the playbook against localhost, with the database and the broker
pointed at loopback ports that either listen (a socket this test opens) or
do not (a port just closed).
"""
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PLAYBOOK = Path(__file__).resolve().parent.parent.parent / "playbooks" / "preflight.yml"


@pytest.fixture(name="listening")
def fixture_listening():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def run_preflight(tmp_path, env, db_port, mq_port):
    (tmp_path / "inventory").write_text(
        "[identity]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    extra = {"openstack_database_address": "127.0.0.1", "openstack_messaging_address": "127.0.0.1",
             "mariadb_port": db_port, "rabbitmq_port": mq_port, "stackcraft_preflight_timeout": 2}
    proc = subprocess.run(
        [shutil.which("ansible-playbook") or "ansible-playbook", "-i", str(tmp_path / "inventory"),
         "-e", json.dumps(extra), str(PLAYBOOK)],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(proc.stdout[proc.stdout.find("{"):])
    messages = [result.get("msg", "") for play in report["plays"] for task in play["tasks"]
                for result in task["hosts"].values() if task["task"]["name"] == "Preflight | Require both"]
    return proc.returncode, messages, proc.stdout + proc.stderr


def test_both_reachable_passes(tmp_path, ansible_env, listening):
    rc, messages, output = run_preflight(tmp_path, ansible_env, listening, listening)
    assert rc == 0, output
    assert messages == ["All assertions passed"], output


def test_unreachable_database_is_named(tmp_path, ansible_env, listening, closed):
    rc, messages, output = run_preflight(tmp_path, ansible_env, closed, listening)
    assert rc != 0, output
    assert "database (MariaDB) at 127.0.0.1:%d" % closed in messages[0], output
    assert "RabbitMQ" not in messages[0], output


def test_unreachable_broker_is_named(tmp_path, ansible_env, listening, closed):
    rc, messages, output = run_preflight(tmp_path, ansible_env, listening, closed)
    assert rc != 0, output
    assert "message broker (RabbitMQ) at 127.0.0.1:%d" % closed in messages[0], output
    assert "MariaDB" not in messages[0], output


def test_both_unreachable_are_named_in_one_run(tmp_path, ansible_env, closed):
    rc, messages, output = run_preflight(tmp_path, ansible_env, closed, closed)
    assert rc != 0, output
    assert "MariaDB" in messages[0] and "RabbitMQ" in messages[0], output
