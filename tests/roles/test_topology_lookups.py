# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The lookups stackcraft.openstack.peer, stackcraft.openstack.cell and
stackcraft.openstack.regions as the
roles call them, in a real playbook run (connection local) over an
inventory with a child cell and a second region."""
import json
import subprocess
import sys

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: %s
    openstack_management_address: "{{ ansible_host | default('192.0.2.1') }}"
    # As inventories/aio has it: a value that reads hostvars.
    openstack_internal_address: "{{ hostvars[groups['identity'][0]]['openstack_management_address'] }}"
  children:
    identity: {hosts: {controller: {ansible_host: 10.0.0.11, openstack_public_address: cloud.example.org,
                                    keystone_port: 5001}}}
    database: {hosts: {controller: {}, region2: {}}}
    network: {hosts: {network1: {}, region2: {}}}
    compute: {hosts: {compute1: {}, compute2: {}, region2: {}}}
    cell_cell2: {hosts: {network1: {}, compute2: {}}}
    region_two:
      vars: {openstack_region_name: "{{ 'Region' ~ 'Two' }}"}
      hosts: {region2: {ansible_host: 10.0.0.15}}
""" % sys.executable

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        found:
          database: "{{ lookup('stackcraft.openstack.peer', 'database') }}"
          database_name: "{{ lookup('stackcraft.openstack.peer', 'database', want='name') }}"
          identity: "{{ lookup('stackcraft.openstack.peer', 'identity') }}"
          image: "{{ lookup('stackcraft.openstack.peer', 'image', want='name') }}"
          networks: "{{ query('stackcraft.openstack.peer', 'network', want='all') }}"
          keystone_public: "{{ lookup('stackcraft.openstack.peer', 'identity', want='public_address') }}"
          keystone_internal: "{{ lookup('stackcraft.openstack.peer', 'identity', want='internal_address') }}"
          keystone_region: "{{ lookup('stackcraft.openstack.peer', 'identity', want='region') }}"
          keystone_url: "{{ lookup('stackcraft.openstack.peer', 'identity', want='internal_url') }}"
          own_region: "{{ lookup('stackcraft.openstack.peer', 'database', want='region') }}"
          databases_of_all: "{{ query('stackcraft.openstack.peer', 'database', want='name', hosts=groups['all']) }}"
          cell: "{{ lookup('stackcraft.openstack.cell') }}"
          regions: "{{ query('stackcraft.openstack.regions') }}"
          own_regions: "{{ query('stackcraft.openstack.regions', hosts=[inventory_hostname]) }}"
          play_regions: "{{ query('stackcraft.openstack.regions', hosts=['region2', 'compute1', 'controller']) }}"
    # A templated openstack_tls, as an inventory may give it.
    - ansible.builtin.set_fact:
        tls_url: "{{ lookup('stackcraft.openstack.peer', 'identity', want='public_url') }}"
      vars:
        openstack_tls: "{{ 'ye' ~ 's' }}"
    - name: A bad group name
      ansible.builtin.debug:
        msg: "{{ lookup('stackcraft.openstack.peer', '') }}"
      ignore_errors: true
      register: bad
      run_once: true
    - name: A URL of a group without an API
      ansible.builtin.debug:
        msg: "{{ lookup('stackcraft.openstack.peer', 'database', want='internal_url') }}"
      ignore_errors: true
      register: bad_url
      run_once: true
"""


def test_peer_and_cell(tmp_path, ansible_env):
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    proc = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          env=ansible_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    facts = {host: result["ansible_facts"]["found"]
             for host, result in report["plays"][0]["tasks"][0]["hosts"].items()}
    # What every host finds of the shared keystone, whatever its region.
    shared = {"identity": "10.0.0.11", "keystone_public": "cloud.example.org", "keystone_internal": "10.0.0.11",
              "keystone_region": "RegionOne", "keystone_url": "http://10.0.0.11:5001",
              "databases_of_all": ["controller", "region2"],
              "regions": ["RegionOne", "RegionTwo"], "play_regions": ["RegionTwo", "RegionOne"]}
    no_cell = {"name": "", "controllers": [], "controller": ""}
    assert facts["compute1"] == dict(
        shared, database="10.0.0.11", database_name="controller", image="compute1", networks=["network1"],
        cell=dict(no_cell, multi=True), own_region="RegionOne", own_regions=["RegionOne"])
    assert facts["compute2"]["cell"] == {"name": "cell2", "controllers": ["network1"], "controller": "network1",
                                         "multi": True}
    # The second region: its own database and network host, the shared
    # keystone, and none of region one's cells.
    assert facts["region2"] == dict(
        shared, database="10.0.0.15", database_name="region2", image="region2", networks=["region2"],
        cell=dict(no_cell, multi=False), own_region="RegionTwo", own_regions=["RegionTwo"])
    tls = report["plays"][0]["tasks"][1]["hosts"]
    assert {result["ansible_facts"]["tls_url"] for result in tls.values()} == {"https://cloud.example.org:5001"}
    bad = report["plays"][0]["tasks"][2]["hosts"]
    assert any("a group name is a non-empty string" in json.dumps(result) for result in bad.values())
    bad_url = report["plays"][0]["tasks"][3]["hosts"]
    assert any("is for the API groups" in json.dumps(result) for result in bad_url.values())
