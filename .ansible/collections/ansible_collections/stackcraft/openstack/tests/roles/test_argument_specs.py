# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""Bad input to the roles fails in argument validation, before anything runs.

Each case of bad_input.yml applies a role (or an entry point) to localhost
with wrong vars through a real ansible-playbook run and checks, from the JSON
callback's per-task results, that the run failed, that the failing task is
the role's argument validation, that its message names the bad option, and
that no other task of the role ran and nothing changed.

Run from the repository root with the collection on ANSIBLE_COLLECTIONS_PATH:
    pytest tests/roles
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CASES = yaml.safe_load((HERE / "bad_input.yml").read_text())
# Every role of the collection: one without cases fails
# test_every_role_has_enough_bad_cases.
ROLES = tuple(sorted(path.parent.parent.name
                     for path in (HERE.parent.parent / "roles").glob("*/meta/argument_specs.yml")))
VALIDATION_TASK = "Validating arguments against arg spec '%s'"
INCLUDES = {"ansible.builtin.include_role", "include_role", "ansible.builtin.include_tasks", "include_tasks"}


def _bad_cases():
    return [pytest.param(role, case, id="%s-%s" % (role, case["id"])) for role in ROLES for case in CASES[role]]


def _run_playbook(tmp_path, play):
    """Run one play against localhost; return (rc, parsed JSON report, raw output).

    Always in check mode: argument validation runs the same there, and should
    validation ever be skipped (as it is for `tasks_from: x.yml`), the role's
    tasks that then run cannot change this machine.
    """
    (tmp_path / "inventory").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    (tmp_path / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    env = dict(os.environ)
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    env.update({
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_HOME": str(tmp_path / "home"),
    })
    proc = subprocess.run(
        [shutil.which("ansible-playbook") or "ansible-playbook", "--check", "-i", str(tmp_path / "inventory"),
         str(tmp_path / "play.yml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    start = proc.stdout.find("{")
    report = json.loads(proc.stdout[start:]) if start >= 0 else None
    return proc.returncode, report, output


def _role_play(role, case):
    fqcn = "stackcraft.openstack." + role
    play = {"name": "bad input " + case["id"], "hosts": "localhost", "gather_facts": False}
    if case.get("tasks_from"):
        play["tasks"] = [{
            "name": "Include the entry point",
            "ansible.builtin.include_role": {"name": fqcn, "tasks_from": case["tasks_from"]},
            "vars": case["vars"],
        }]
    else:
        play["roles"] = [{"role": fqcn, "vars": case["vars"]}]
    return play


@pytest.mark.parametrize("role,case", _bad_cases())
def test_bad_input_fails_in_validation(tmp_path, role, case):
    rc, report, output = _run_playbook(tmp_path, _role_play(role, case))

    assert rc != 0, output
    assert report is not None, output
    results = []
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                results.append((task["task"]["name"], result))
    ran = [(name, result) for name, result in results if result.get("action") not in INCLUDES]

    # Exactly one task ran: the entry point's argument validation, and it failed.
    entry_point = case.get("tasks_from", "main")
    assert len(ran) == 1, [entry[0] for entry in ran]
    name, result = ran[0]
    assert name.split(" : ", 1)[-1].startswith(VALIDATION_TASK % entry_point), name
    assert result.get("failed") is True, result
    for word in case["expect"]:
        assert word in result["msg"], result["msg"]

    stats = report["stats"]["localhost"]
    assert stats["failures"] == 1, stats
    assert stats["changed"] == 0, stats


@pytest.mark.parametrize("role", ROLES)
def test_good_input_passes_the_same_validation(tmp_path, role):
    spec = yaml.safe_load((HERE.parent.parent / "roles" / role / "meta" / "argument_specs.yml").read_text())
    good = CASES["good"][role]
    assert set(good) == set(spec["argument_specs"]), "every entry point needs good input"
    tasks = [{
        "name": "Validate %s %s" % (role, entry),
        "ansible.builtin.validate_argument_spec": {
            "argument_spec": spec["argument_specs"][entry]["options"],
            "provided_arguments": provided,
        },
    } for entry, provided in good.items()]
    play = {"name": "good input " + role, "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    rc, report, output = _run_playbook(tmp_path, play)
    assert rc == 0, output
    assert report["stats"]["localhost"]["failures"] == 0, output
    assert report["stats"]["localhost"]["ok"] == len(tasks), output


def test_every_role_has_enough_bad_cases():
    for role in ROLES:
        assert len(CASES[role]) >= 5, role
        for case in CASES[role]:
            assert case["expect"], case


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_option(role):
    """The role README carries the option tables generated from the spec: none may go missing."""
    role_dir = HERE.parent.parent / "roles" / role
    spec = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    readme = (role_dir / "README.md").read_text()
    for entry, entry_spec in spec.items():
        assert "Entry point `%s`" % entry in readme
        for name, option in entry_spec["options"].items():
            assert "| `%s` |" % name in readme, name
            for sub in option.get("options") or {}:
                assert "| `%s[].%s` |" % (name, sub) in readme, (name, sub)
