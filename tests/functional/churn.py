# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Create and delete servers in a row on a cloud, the way users do.

Run on the network host (root: it reads the DHCP namespace, the tap
devices and the agents' logs). Boots COUNT servers, PARALLEL at a time,
every CONFIG_DRIVE_EVERY-th one with a config drive, from the smoke test's
guest image; every PORT_UPDATE_EVERY-th one's port is updated (a new
allowed MAC) and the L2 agent must apply that within
AGENT_TIMEOUT seconds (the taps must be on this host: an all-in-one or a
network host that is also the compute host). Each server must become ACTIVE, show the guest's ready marker
(and, with a config drive, that the drive was read), answer ping and SSH
from the DHCP namespace; after its delete, its ports and tap devices must
be gone. Meanwhile no ERROR may appear in the log files given with --log.

    churn.py --image guest.qcow2 --network flat [--count 10] [--parallel 2]

Prints a line per server and a JSON summary; exits 1 on any failure.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Client, Error, add_cloud_arguments, load_cloud, network_named, upload_image, wait  # noqa: E402

LINUXBRIDGE_AGENT = "/usr/bin/neutron-linuxbridge-agent"
# The L2 agent's log is whichever of the two the release has.
DEFAULT_LOGS = [
    "/var/log/nova/nova-compute.log",
    "/var/log/neutron/neutron-linuxbridge-agent.log",
    "/var/log/neutron/neutron-openvswitch-agent.log",
    "/var/log/neutron/neutron-dhcp-agent.log",
]


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


class Churn:
    def __init__(self, client, args):
        self.c = client
        self.args = args
        self.tag = "churn-" + uuid.uuid4().hex[:6]
        self.tmp = tempfile.mkdtemp(prefix=self.tag)
        self.made = {}

    # --- resources shared by every server of the run ----------------------
    def setup(self):
        c, tag = self.c, self.tag
        self.network = network_named(c, self.args.network)
        self.netns = f"qdhcp-{self.network}"
        upload_image(c, tag, self.args.image, "qcow2", "bare", created=lambda image: self.made.update(image=image))
        flavor = c.call("compute", "/v2.1/flavors", "POST", body={"flavor": {
            "name": tag, "ram": 256, "vcpus": 1, "disk": 1}})["flavor"]
        self.made["flavor"] = flavor["id"]
        key = os.path.join(self.tmp, "id_ed25519")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", tag, "-f", key)
        with open(key + ".pub") as f:
            c.call("compute", "/v2.1/os-keypairs", "POST", body={"keypair": {"name": tag, "public_key": f.read().strip()}})
        self.made["keypair"] = tag
        sg = c.call("network", "/v2.0/security-groups", "POST", expect=(201,), body={
            "security_group": {"name": tag, "description": "churn test"}})["security_group"]
        self.made["security_group"] = sg["id"]
        for rule in ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}, {"protocol": "icmp"}):
            c.call("network", "/v2.0/security-group-rules", "POST", expect=(201,), body={"security_group_rule": {
                "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4",
                "remote_ip_prefix": "0.0.0.0/0", **rule}})

    def teardown(self):
        c = self.c
        for kind, service, path in (("security_group", "network", "/v2.0/security-groups/{}"),
                                    ("keypair", "compute", "/v2.1/os-keypairs/{}"),
                                    ("flavor", "compute", "/v2.1/flavors/{}"),
                                    ("image", "image", "/v2/images/{}")):
            if kind in self.made:
                try:
                    c.call(service, path.format(self.made[kind]), "DELETE", expect=(202, 204))
                except Error as err:
                    print(f"cleanup: {err}")

    # --- one batch of servers ----------------------------------------------
    def boot(self, name, config_drive, zone=None):
        """A server; zone nova:HOST places it on HOST (admin only)."""
        server = self.c.call("compute", "/v2.1/servers", "POST", expect=(202,), body={"server": {
            "name": name, "imageRef": self.made["image"], "flavorRef": self.made["flavor"],
            "networks": [{"uuid": self.network}], "key_name": self.made["keypair"],
            "security_groups": [{"name": self.tag}], "config_drive": config_drive,
            **({"availability_zone": zone} if zone else {})}})["server"]
        return server["id"]

    def server(self, sid):
        return self.c.call("compute", f"/v2.1/servers/{sid}")["server"]

    def console(self, sid):
        return self.c.call("compute", f"/v2.1/servers/{sid}/action", "POST",
                           body={"os-getConsoleOutput": {}})["output"] or ""

    def check(self, sid, config_drive):
        def active():
            srv = self.server(sid)
            if srv["status"] == "ERROR":
                raise Error(f"server {sid} ERROR: {srv.get('fault', {}).get('message')}")
            return srv if srv["status"] == "ACTIVE" else None

        srv = wait(f"server {sid} ACTIVE", active, self.args.boot_timeout)
        address = srv["addresses"][self.args.network][0]["addr"]

        def marker():
            text = self.console(sid)
            return text if "stackcraft-guest: ready" in text or "stackcraft-guest: FAILED" in text else None

        out = wait(f"server {sid} console marker", marker, self.args.ready_timeout, 5)
        want = ["stackcraft-guest: ready", "stackcraft-guest: ssh key installed"]
        if config_drive:
            want.append("stackcraft-guest: config drive")
        missing = [m for m in want if m not in out]
        if missing:
            raise Error(f"server {sid}: console lacks {missing}: {out[-600:]}")
        sh("ip", "netns", "exec", self.netns, "ping", "-c", "2", "-W", "5", address)
        key = os.path.join(self.tmp, "id_ed25519")
        ssh = ["ip", "netns", "exec", self.netns, "ssh", "-i", key, "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "BatchMode=yes",
               f"root@{address}", "echo churn-ok"]
        for attempt in range(6):
            result = sh(*ssh, check=False)
            if result.returncode == 0 and "churn-ok" in result.stdout:
                break
            time.sleep(5)
        else:
            raise Error(f"server {sid}: no SSH at {address}: {result.stderr.strip()[-300:]}")
        ports = self.c.call("network", f"/v2.0/ports?device_id={sid}")["ports"]
        return address, [p["id"] for p in ports]

    def update_port(self, port_id, serial):
        """Give the port one more allowed MAC: the agent must rewrite the MAC
        rules of its tap. The linuxbridge agent (Debian 12) keeps them in
        neutronMAC-tap<id> in ebtables' nat table, which is where Debian 12's
        ebtables-nft used to make it loop; the Open vSwitch agent (Debian 13)
        in its iptables spoofing chain (--mac-source)."""
        mac = "fa:16:3e:5c:00:%02x" % (serial % 256)
        self.c.call("network", f"/v2.0/ports/{port_id}", "PUT", body={"port": {
            "allowed_address_pairs": [{"ip_address": "192.0.2.%d" % (serial % 250 + 1), "mac_address": mac}]}})
        if os.path.exists(LINUXBRIDGE_AGENT):
            listing = ("ebtables", "-t", "nat", "-L", "neutronMAC-tap" + port_id[:11])
        else:
            listing = ("iptables-save", "-t", "filter")
        wait(f"the agent to allow {mac} on tap{port_id[:11]}", lambda: mac_listed(mac, sh(
            *listing, check=False).stdout.lower()), self.args.agent_timeout, 1)
        return mac

    def delete(self, sid, ports):
        self.c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204,))
        wait(f"server {sid} gone", lambda: self.c.status("compute", f"/v2.1/servers/{sid}") == 404,
             self.args.boot_timeout)
        wait(f"ports of {sid} gone", lambda: not self.c.call(
            "network", f"/v2.0/ports?device_id={sid}")["ports"], 120)
        # The tap device is removed by libvirt; the agent then forgets it.
        taps = ["tap" + p[:11] for p in ports]
        wait(f"taps {taps} gone", lambda: all(
            sh("ip", "link", "show", t, check=False).returncode != 0 for t in taps), 60, 1)
        return taps


def mac_listed(mac, listing):
    """Whether a lower-cased listing holds mac (ebtables prints fa:16:3e:5c:0:3 for fa:16:3e:5c:00:03)."""
    want = int(mac.replace(":", ""), 16)
    return any(int("".join(part.zfill(2) for part in token.split(":")), 16) == want
               for token in re.findall(r"\b[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}\b", listing))


# ERROR lines that are no fault: nova's report client logs a placement
# generation conflict (409 placement.concurrent_update) at ERROR and then
# retries the inventory update with the provider refreshed. They are
# counted and shown, not failed on.
TOLERATED = ("placement.concurrent_update",)


def log_offsets(paths):
    return {p: os.path.getsize(p) for p in paths if os.path.exists(p)}


def new_errors(offsets):
    """(errors, tolerated): the ERROR lines the logs gained since offsets."""
    errors, tolerated = [], []
    for path, offset in offsets.items():
        with open(path, errors="replace") as f:
            f.seek(offset)
            for line in f:
                if " ERROR " in line:
                    text = f"{os.path.basename(path)}: {line.rstrip()[:300]}"
                    (tolerated if any(t in line for t in TOLERATED) else errors).append(text)
    return errors, tolerated


def server_arguments(parser):
    """The options of every test that boots servers with Churn."""
    add_cloud_arguments(parser)
    parser.add_argument("--image", required=True, help="the test guest's qcow2 disk")
    parser.add_argument("--network", default="flat")
    parser.add_argument("--boot-timeout", type=int, default=600)
    parser.add_argument("--ready-timeout", type=int, default=300)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    server_arguments(parser)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--config-drive-every", type=int, default=4,
                        help="every Nth server gets a config drive (0: none)")
    parser.add_argument("--port-update-every", type=int, default=3,
                        help="every Nth server's port gets an allowed address pair (0: none)")
    parser.add_argument("--agent-timeout", type=int, default=60,
                        help="seconds for the L2 agent to apply a port update")
    parser.add_argument("--log", action="append", help="log files that must gain no ERROR line")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows through ssh/Ansible as it happens
    if args.count < 1 or args.parallel < 1:
        parser.error("--count and --parallel must be at least 1")

    offsets = log_offsets(args.log or DEFAULT_LOGS)
    if not offsets:
        parser.error("none of the log files exists")
    churn = Churn(Client(load_cloud(args.clouds_yaml, args.cloud)), args)
    done, failure, t0, updated = [], None, time.monotonic(), 0
    try:
        churn.setup()
        n = 0
        while n < args.count and failure is None:
            batch = []
            for _slot in range(min(args.parallel, args.count - n)):
                n += 1
                cd = args.config_drive_every > 0 and n % args.config_drive_every == 0
                batch.append((f"{churn.tag}-{n}", cd, churn.boot(f"{churn.tag}-{n}", cd), time.monotonic()))
            for name, cd, sid, started in batch:
                try:
                    address, ports = churn.check(sid, cd)
                    up = time.monotonic() - started
                    index = int(name.rsplit("-", 1)[1])
                    if args.port_update_every > 0 and index % args.port_update_every == 0:
                        mac = churn.update_port(ports[0], index)
                        print(f"{name}: port updated, the agent allowed {mac}")
                        updated += 1
                    taps = churn.delete(sid, ports)
                    print(f"{name}: ACTIVE at {address}{' (config drive)' if cd else ''}, ping+ssh ok "
                          f"after {up:.0f} s; deleted, ports and {', '.join(taps)} gone")
                    done.append({"name": name, "config_drive": cd, "seconds_to_ssh": round(up)})
                except Error as err:
                    failure = failure or str(err)
                    print(f"{name}: FAILED: {err}")
                    try:
                        churn.c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204, 404))
                        # gone before the teardown deletes its security group
                        wait(f"server {sid} gone", lambda s=sid: churn.c.status("compute", f"/v2.1/servers/{s}") == 404,
                             args.boot_timeout)
                    except Error as cleanup_err:
                        print(f"cleanup: {cleanup_err}")
    except Error as err:
        failure = str(err)
    finally:
        churn.teardown()
    errors, tolerated = new_errors(offsets)
    print(json.dumps({"servers_ok": len(done), "count": args.count, "parallel": args.parallel,
                      "config_drive_servers": sum(d["config_drive"] for d in done),
                      "port_updates": updated,
                      "seconds": round(time.monotonic() - t0), "failure": failure,
                      "log_errors": len(errors), "first_log_errors": errors[:5],
                      "tolerated_log_errors": len(tolerated),
                      "logs": sorted(offsets)}))
    return 1 if failure or errors or len(done) != args.count else 0


if __name__ == "__main__":
    sys.exit(main())
