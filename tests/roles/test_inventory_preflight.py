# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""playbooks/preflight_inventory.yml (site.yml runs it before any host
changes) refuses an inventory of the wrong shape, an unreachable host, a
secret without a value, a release not supported and a mix of releases,
naming each. Real runs against local hosts: every
host name below is the controller itself (connection local), except the
unreachable one, which is SSH to a loopback port nobody listens on.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
PLAYBOOK = ROOT / "playbooks" / "preflight_inventory.yml"
DEPLOYMENT = yaml.safe_load((ROOT / "playbooks" / "vars" / "deployment.yml").read_text())
GROUPS = [group["name"] for group in DEPLOYMENT["stackcraft_service_groups"]]
LOCAL = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable


def aio_groups(host="aio"):
    return {name: [host] for name in GROUPS}


def run_preflight(tmp_path, env, groups, hostvars=None, secrets=None):
    """groups: {group: [hosts]}; hostvars: {host: 'k=v ...'} (default: local)."""
    hosts = sorted({h for members in groups.values() for h in members} | set(hostvars or {}))
    lines = ["[all]"] + ["%s %s" % (h, (hostvars or {}).get(h, LOCAL)) for h in hosts]
    for group, members in groups.items():
        lines += ["", "[%s]" % group] + list(members)
    (tmp_path / "hosts").write_text("\n".join(lines) + "\n")
    if secrets is None:
        secrets = {name: "s3cret-value-for-" + name for name in DEPLOYMENT["stackcraft_secret_names"]}
    (tmp_path / "secrets.json").write_text(json.dumps(secrets))
    proc = subprocess.run(
        [shutil.which("ansible-playbook") or "ansible-playbook", "-i", str(tmp_path / "hosts"),
         "-e", "@" + str(tmp_path / "secrets.json"), str(PLAYBOOK)],
        cwd=tmp_path, env=env(ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_TIMEOUT="5"), capture_output=True, text=True, timeout=180, check=False)
    report = json.loads(proc.stdout[proc.stdout.find("{"):])
    failures = [(task["task"]["name"], host, result.get("msg", ""))
                for play in report["plays"] for task in play["tasks"]
                for host, result in task["hosts"].items() if result.get("failed")]
    return proc.returncode, failures, proc.stdout + proc.stderr


def test_all_in_one_passes(tmp_path, ansible_env):
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups())
    assert rc == 0, output
    assert failures == [], output


def test_multinode_shape_passes(tmp_path, ansible_env):
    groups = {name: ["ctl"] for name in GROUPS}
    groups.update(compute=["cmp1", "cmp2"], network=["ctl", "cmp1", "cmp2"])
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups)
    assert rc == 0, output


def test_floating_ips_without_public_interface_are_named(tmp_path, ansible_env):
    floating = LOCAL + " nova_network_floating_range=203.0.113.0/24"
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups(), hostvars={"aio": floating})
    assert rc != 0, output
    assert failures[0][0].startswith("Preflight | Check that every network host names its public interface"), failures
    assert "nova_network_public_interface" in failures[0][2] and "aio" in failures[0][2], failures
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups(),
                                         hostvars={"aio": floating + " nova_network_public_interface=eth2"})
    assert rc == 0, output


def test_vlan_mode_without_vlan_interface_is_named(tmp_path, ansible_env):
    groups = {name: ["ctl"] for name in GROUPS}
    groups.update(compute=["cmp1", "cmp2"], network=["ctl"])
    vlan = LOCAL + " nova_network_mode=vlan"
    hostvars = {"ctl": vlan + " nova_network_vlan_interface=eth1", "cmp1": vlan + " nova_network_vlan_interface=eth1",
                "cmp2": vlan}
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars=hostvars)
    assert rc != 0, output
    assert failures[0][0].startswith("Preflight | Check that every network and compute host names its VLAN"), failures
    assert "cmp2" in failures[0][2] and "cmp1" not in failures[0][2], failures
    hostvars["cmp2"] = vlan + " nova_network_vlan_interface=eth1"
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars=hostvars)
    assert rc == 0, output


def test_host_in_no_group_is_named(tmp_path, ansible_env):
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups(), hostvars={"stray": LOCAL})
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Check the groups", failures
    assert "in no service group" in failures[0][2] and "stray" in failures[0][2], failures


def test_two_regions_pass_with_their_own_services_and_a_shared_keystone(tmp_path, ansible_env):
    groups = {name: ["ctl", "r2"] for name in GROUPS}
    groups.update(identity=["ctl"], dashboard=["ctl"])
    region_two = LOCAL + " openstack_region_name=RegionTwo"
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars={"r2": region_two})
    assert rc == 0, output
    # Region two without its own database, and a second keystone.
    groups.update(database=["ctl"], identity=["ctl", "r2"])
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars={"r2": region_two})
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Check the groups", failures
    assert "group database in RegionTwo needs at least 1 host(s), it has 0" in failures[0][2], failures
    assert "group identity may hold 1 host(s)" in failures[0][2], failures
    assert "RegionOne" not in failures[0][2].replace("in RegionTwo", ""), failures


def test_cells_in_region_one_and_an_all_in_one_region_two_pass(tmp_path, ansible_env):
    # The multinode scenario's shape: region one with a child cell, region
    # two one host; an empty region name is the default region.
    groups = {name: ["ctl", "r2"] for name in GROUPS}
    groups.update(identity=["ctl"], dashboard=["ctl"], compute=["cmp1", "cmp2", "r2"], network=["net", "r2"],
                  cell_cell2=["net", "cmp2"])
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups,
                                         hostvars={"r2": LOCAL + " openstack_region_name=RegionTwo",
                                                   "net": LOCAL + " openstack_region_name=''"})
    assert rc == 0, output
    assert failures == [], output


def test_cell_across_regions_is_named(tmp_path, ansible_env):
    groups = {name: ["ctl", "r2"] for name in GROUPS}
    groups.update(identity=["ctl"], dashboard=["ctl"], compute=["ctl", "r2", "cmp3"], cell_cell2=["net2", "cmp3"],
                  network=["ctl", "r2", "net2"])
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups,
                                         hostvars={"r2": LOCAL + " openstack_region_name=RegionTwo",
                                                   "net2": LOCAL + " openstack_region_name=RegionTwo"})
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Check the cells", failures
    assert "cell_cell2 spans several regions" in failures[0][2], failures


@pytest.mark.parametrize("group", ["database", "messaging", "identity", "image", "placement", "compute_controller"])
def test_two_hosts_where_one_is_allowed(tmp_path, ansible_env, group):
    groups = aio_groups()
    groups[group] = ["aio", "aio2"]
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups)
    assert rc != 0, output
    assert "group %s may hold 1 host(s)" % group in failures[0][2], failures
    assert "aio, aio2" in failures[0][2], failures


def test_host_only_in_a_misspelt_group_is_named(tmp_path, ansible_env):
    groups = aio_groups()
    groups["computes"] = ["cmp9"]
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups)
    assert rc != 0, output
    assert "in no service group" in failures[0][2] and "cmp9" in failures[0][2], failures


@pytest.mark.parametrize("group", ["identity", "compute"])
def test_empty_group_is_named(tmp_path, ansible_env, group):
    groups = aio_groups()
    groups[group] = []
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups)
    assert rc != 0, output
    assert "group %s needs at least 1 host(s), it has 0" % group in failures[0][2], failures


def cells_groups(**cells):
    """The multinode shape (ctl: API level, net: network node, cmp1/cmp2) plus cell_<name> groups."""
    groups = {name: ["ctl"] for name in GROUPS}
    groups.update(compute=["cmp1", "cmp2"], network=["net"])
    groups.update({"cell_" + name: hosts for name, hosts in cells.items()})
    return groups


def test_child_cell_with_its_controller_passes(tmp_path, ansible_env):
    rc, failures, output = run_preflight(tmp_path, ansible_env, cells_groups(cell2=["net", "cmp2"]))
    assert rc == 0, output


@pytest.mark.parametrize("cells, message", [
    ({"cell2": ["cmp2"]}, "group cell_cell2 needs a host that is not a compute host"),
    ({"cell2": ["net"]}, "group cell_cell2 has no compute host"),
    ({"cell2": ["ctl", "cmp2"]}, "group cell_cell2 holds the compute_controller host"),
    ({"cell1": ["net", "cmp2"]}, "group cell_cell1: a cell name is"),
    ({"Cell-2": ["net", "cmp2"]}, "group cell_Cell-2: a cell name is"),
    ({"cell2": ["net", "cmp2"], "cell3": ["net", "cmp1"]}, "net is in more than one cell: cell_cell2, cell_cell3"),
])
def test_cells_of_the_wrong_shape_are_named(tmp_path, ansible_env, cells, message):
    rc, failures, output = run_preflight(tmp_path, ansible_env, cells_groups(**cells))
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Check the cells", failures
    assert message in failures[0][2], failures


def test_unreachable_identity_host_stops_the_run(tmp_path, ansible_env, closed):
    groups = {name: ["aio"] for name in GROUPS}
    groups["identity"] = ["keystone1"]
    unreachable = "ansible_host=127.0.0.1 ansible_port=%d ansible_user=nobody" % closed
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars={"keystone1": unreachable})
    assert rc != 0, output
    named = [f for f in failures if f[0] == "Preflight | Require every host"]
    assert named, failures
    assert "Not reachable: keystone1 (" in named[0][2] and "Nothing was changed" in named[0][2], failures
    assert "aio (" not in named[0][2], failures


def test_missing_secret_is_named(tmp_path, ansible_env):
    secrets = {name: "s3cret-value-for-" + name for name in DEPLOYMENT["stackcraft_secret_names"]}
    del secrets["nova_keystone_password"]
    secrets["glance_database_password"] = ""
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups(), secrets=secrets)
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Check that every secret has a value", failures
    assert "glance_database_password" in failures[0][2] and "nova_keystone_password" in failures[0][2], failures
    assert "s3cret-value" not in output


def test_unsupported_release_names_the_supported_ones(tmp_path, ansible_env):
    # openstack_platform stands in for what the facts of an older host say.
    hostvars = {"aio": LOCAL + " openstack_platform=Debian-11"}
    rc, failures, output = run_preflight(tmp_path, ansible_env, aio_groups(), hostvars=hostvars)
    assert rc != 0, output
    assert failures[0][0].endswith("platform | Check that the release is supported"), failures
    assert "aio runs Debian-11" in failures[0][2], failures
    assert "Debian 12 bookworm (OpenStack Zed), Debian 13 trixie (OpenStack 2025.1 Epoxy)" in failures[0][2], failures


def test_mixed_releases_are_refused_unless_allowed(tmp_path, ansible_env):
    groups = {name: ["ctl"] for name in GROUPS}
    groups.update(compute=["cmp1", "cmp2"])
    hostvars = {"ctl": LOCAL + " openstack_platform=Debian-12", "cmp1": LOCAL + " openstack_platform=Debian-13",
                "cmp2": LOCAL + " openstack_platform=Debian-13"}
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars=hostvars)
    assert rc != 0, output
    assert failures[0][0] == "Preflight | Refuse a mix of releases", failures
    assert "Debian-12: ctl; Debian-13: cmp1, cmp2" in failures[0][2], failures
    for host in hostvars:
        hostvars[host] += " openstack_allow_mixed_platforms=true"
    rc, failures, output = run_preflight(tmp_path, ansible_env, groups, hostvars=hostvars)
    assert rc == 0, output
