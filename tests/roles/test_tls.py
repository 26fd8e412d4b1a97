# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""playbooks/tls.yml (site.yml runs it before any host changes): with
openstack_tls it makes a CA and a certificate per host on the controller,
keys 0600, certificates for the host's addresses signed by that CA, and
changes nothing on a second run; without it, nothing; a half-given set of
the user's own files stops it before anything is written. Real runs with
connection local; the certificates are checked with the cryptography
library Ansible's community.crypto uses.
"""
import ipaddress
import json
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parent.parent.parent
PLAYBOOK = ROOT / "playbooks" / "tls.yml"
LOCAL = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable


def run_tls(tmp_path, env, hostvars, extra=None):
    """hostvars: {host: 'k=v ...'} added to the local connection; extra: -e JSON."""
    inventory = tmp_path / "inventory"
    inventory.mkdir(exist_ok=True)
    lines = ["[all]"] + ["%s %s %s" % (host, LOCAL, vars_) for host, vars_ in hostvars.items()]
    (inventory / "hosts").write_text("\n".join(lines) + "\n")
    argv = [shutil.which("ansible-playbook") or "ansible-playbook", "-i", str(inventory / "hosts"), str(PLAYBOOK)]
    if extra:
        argv += ["-e", json.dumps(extra)]
    proc = subprocess.run(argv, cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(proc.stdout[proc.stdout.find("{"):])
    failures = [(task["task"]["name"], host, result.get("msg", ""))
                for play in report["plays"] for task in play["tasks"]
                for host, result in task["hosts"].items() if result.get("failed")]
    return proc.returncode, report["stats"], failures, inventory / ".tls", proc.stdout + proc.stderr


HOSTS = {"ctl": "ansible_host=192.0.2.10 openstack_management_address=192.0.2.10",
         "cmp": "ansible_host=192.0.2.11 openstack_management_address=192.0.2.11"}
TLS = {"openstack_tls": True, "openstack_public_address": "192.0.2.10"}


def test_ca_and_host_certificates_made_then_kept(tmp_path, ansible_env):
    rc, stats, failures, tls, output = run_tls(tmp_path, ansible_env, HOSTS, TLS)
    assert rc == 0 and not failures, output
    ca = x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for host, address in (("ctl", "192.0.2.10"), ("cmp", "192.0.2.11")):
        for key in (tls / "ca.key", tls / (host + ".key")):
            assert key.stat().st_mode & 0o777 == 0o600, key
        cert = x509.load_pem_x509_certificate((tls / (host + ".crt")).read_bytes())
        assert cert.issuer == ca.subject
        # signed by the CA's key (raises when not)
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        addresses = names.get_values_for_type(x509.IPAddress)
        assert ipaddress.ip_address(address) in addresses, (host, addresses)
        assert ipaddress.ip_address("192.0.2.10") in addresses  # the public address
        assert host in names.get_values_for_type(x509.DNSName)
    before = {p.name: p.read_bytes() for p in tls.iterdir()}
    rc, stats, failures, tls, output = run_tls(tmp_path, ansible_env, HOSTS, TLS)
    assert rc == 0 and not failures, output
    assert all(s["changed"] == 0 for s in stats.values()), stats
    assert {p.name: p.read_bytes() for p in tls.iterdir()} == before


def test_nothing_without_tls(tmp_path, ansible_env):
    rc, stats, failures, tls, output = run_tls(tmp_path, ansible_env, HOSTS)
    assert rc == 0 and not failures, output
    assert not tls.exists()
    assert all(s["changed"] == 0 for s in stats.values()), stats


def test_half_given_files_refused_before_any_change(tmp_path, ansible_env):
    # a host certificate without its key, then a CA without the hosts' files
    for extra in ({"stackcraft_tls_certificate_file": str(tmp_path / "x.crt")},
                  {"stackcraft_tls_ca_certificate_file": str(tmp_path / "ca.crt")}):
        rc, stats, failures, tls, output = run_tls(tmp_path, ansible_env, HOSTS, {**TLS, **extra})
        assert rc != 0, output
        assert failures and all(name == "TLS | Check the input" for name, _host, _msg in failures), failures
        assert "give all three" in failures[0][2]
        assert not tls.exists()


def test_users_own_files_used_as_given(tmp_path, ansible_env):
    # a CA and host certificates made elsewhere (by a first run in another
    # inventory), then named: nothing is generated next to this inventory
    own = tmp_path / "own"
    own.mkdir()
    rc, _stats, failures, made, output = run_tls(own, ansible_env, HOSTS, TLS)
    assert rc == 0 and not failures, output
    hostvars = {host: "%s stackcraft_tls_certificate_file=%s stackcraft_tls_private_key_file=%s"
                % (vars_, made / (host + ".crt"), made / (host + ".key")) for host, vars_ in HOSTS.items()}
    rc, stats, failures, tls, output = run_tls(tmp_path, ansible_env, hostvars,
                                               {**TLS, "stackcraft_tls_ca_certificate_file": str(made / "ca.crt")})
    assert rc == 0 and not failures, output
    assert not tls.exists()
    assert all(s["changed"] == 0 for s in stats.values()), stats
    loaded = [host for play in json.loads(output[output.find("{"):output.rfind("}") + 1])["plays"]
              for task in play["tasks"] if task["task"]["name"] == "TLS | Give the hosts the CA, their certificate and key"
              for host, result in task["hosts"].items() if not result.get("skipped")]
    assert sorted(loaded) == ["cmp", "ctl"], output
