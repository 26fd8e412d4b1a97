# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A server on a container hypervisor of nova_compute_driver, through nova.

Run as root on the compute host of the container service, where the
network's DHCP namespace is too (an all-in-one host): it builds the test
image with the engine itself, pings from the namespace and looks at the
engine's containers and the tap devices.

For each container service given (--service ENGINE:HOST:UNIT):
1. the hypervisor list: the container service's hypervisor is up, of the
   engine's type;
2. scheduling: a VM disk image (qcow2) forced onto the container host ends
   in ERROR "No valid host" (placement's image-type query);
3. a container server, not forced: an image built here (busybox, an init
   that prints a marker and waits), uploaded to glance as the engine's
   format with hypervisor_type=<engine>, must land on the container host,
   become ACTIVE, get its address from Neutron, answer ping from the DHCP
   namespace and show its marker in the console output; with each
   service's server up, the cloud's server list is printed;
4. reboot, stop (the container stopped) / start, and a restart of the
   container service: the server ACTIVE and answering ping again each time;
5. delete: no container, no tap device and no placement allocation left.

    containers.py --service docker:aio-docker:nova-compute-docker --service lxd:aio-lxd:nova-compute-lxd \
        --network flat

Prints what it saw and a JSON summary; exits 1 on failure.
"""

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Client, Error, add_cloud_arguments, load_cloud, network_named, upload_image, wait  # noqa: E402

MARKER = "stackcraft-container: ready"
# PID 1 of the container: a marker on the console, then waiting; a stop
# (SIGTERM from Docker, SIGPWR from LXD) ends it at once.
INIT = """#!/bin/sh
trap 'echo stackcraft-container: stopping; exit 0' TERM INT PWR
echo "%s on $(hostname)"
ip -4 -o addr show
while true; do sleep 3600 & wait $!; done
""" % MARKER


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.mode, info.size, info.mtime = mode, len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))


def rootfs_tar(prefix="", extra=None, busybox="/bin/busybox"):
    """A root file system tarball (under prefix): busybox (static) and its
    applets, the init as /sbin/init; extra: more files {name: bytes} at
    the tarball's top."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (extra or {}).items():
            add_file(tar, name, data)
        for name in ([prefix.rstrip("/")] if prefix else []) + [
                prefix + d for d in ("bin", "sbin", "tmp", "proc", "sys", "dev", "etc", "run")]:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name.endswith("tmp") else 0o755
            tar.addfile(info)
        tar.add(busybox, arcname=prefix + "bin/busybox")
        for applet in ("sh", "sleep", "ip", "echo", "hostname", "cat", "ls", "ps"):
            info = tarfile.TarInfo(prefix + "bin/" + applet)
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
        add_file(tar, prefix + "sbin/init", INIT.encode(), 0o755)
    return buf.getvalue()


class DockerSide:
    """The engine's side of the test: the image, the containers."""

    def __init__(self):
        import docker  # python3-docker, which the role installs

        self.docker = docker
        self.client = docker.from_env()

    def build_image(self, path, tag):
        """A `docker save` tarball at path of an image imported from a
        busybox rootfs; the image is removed from the engine again, so the
        driver must load it from glance."""
        repo = "stackcraft-test"
        self.client.api.import_image_from_data(rootfs_tar(), repository=repo, tag=tag,
                                               changes=['CMD ["/sbin/init"]'])
        image = self.client.images.get(f"{repo}:{tag}")
        with open(path, "wb") as f:
            for chunk in image.save(named=True):
                f.write(chunk)
        self.client.images.remove(image.id, force=True)

    def container_state(self, server_id):
        try:
            return self.client.containers.get("nova-" + server_id).status
        except self.docker.errors.NotFound:
            return None


class LxdSide:
    """LXD or Incus: the image is built here as a file (the driver imports
    it); the containers are read with the daemon's client (lxc or incus)."""

    def __init__(self, cli="lxc"):
        self.cli = cli

    @staticmethod
    def build_image(path, tag):
        """An LXD unified tarball: metadata.yaml and rootfs/."""
        metadata = ("architecture: %s\ncreation_date: %d\nproperties:\n  description: stackcraft test %s\n"
                    % (os.uname().machine, int(time.time()), tag)).encode()
        with open(path, "wb") as f:
            f.write(rootfs_tar("rootfs/", {"metadata.yaml": metadata}))

    def container_state(self, server_id):
        found = sh(self.cli, "query", "/1.0/instances/nova-" + server_id, check=False)
        if found.returncode != 0:
            if "not found" in (found.stderr + found.stdout).lower():
                return None
            raise Error(f"{self.cli} query: {found.stderr.strip()}")
        return json.loads(found.stdout)["status"].lower()


ENGINES = {"docker": DockerSide, "lxd": LxdSide}
IMAGE_FORMATS = {"docker": ("raw", "docker"), "lxd": ("raw", "bare")}


class Test:
    """The test of one container service (kind: its engine, host: nova's
    host name of the service, unit: its systemd unit)."""

    def __init__(self, args, client, kind, host, unit):
        self.args, self.c = args, client
        self.kind, self.host, self.unit = kind, host, unit
        self.engine = LxdSide(args.lxd_cli) if kind == "lxd" else DockerSide()
        self.tag = "containers-%s-%s" % (kind, uuid.uuid4().hex[:6])
        self.tmp = tempfile.mkdtemp(prefix=self.tag)
        self.made = {"images": [], "servers": []}
        self.result = {"engine": kind, "host": host, "ok": False}

    # --- resources -------------------------------------------------------
    def image(self, name, path, disk_format, container_format, **props):
        return upload_image(self.c, name, path, disk_format, container_format, created=self.made["images"].append,
                            **props)

    def setup(self):
        c, tag = self.c, self.tag
        self.network = network_named(c, self.args.network)
        self.netns = f"qdhcp-{self.network}"
        flavor = c.call("compute", "/v2.1/flavors", "POST", body={"flavor": {
            "name": tag, "ram": 128, "vcpus": 1, "disk": 1}})["flavor"]
        self.made["flavor"] = flavor["id"]
        sg = c.call("network", "/v2.0/security-groups", "POST", expect=(201,), body={
            "security_group": {"name": tag, "description": "container test"}})["security_group"]
        self.made["security_group"] = sg["id"]
        c.call("network", "/v2.0/security-group-rules", "POST", expect=(201,), body={"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4",
            "remote_ip_prefix": "0.0.0.0/0", "protocol": "icmp"}})

    def teardown(self):
        c = self.c
        for sid in self.made["servers"]:
            if c.status("compute", f"/v2.1/servers/{sid}") != 404:
                try:
                    c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204,))
                    wait(f"server {sid} gone", lambda s=sid: c.status("compute", f"/v2.1/servers/{s}") == 404, 300)
                except Error as err:
                    print(f"cleanup: {err}")
        for kind, service, path in (("security_group", "network", "/v2.0/security-groups/{}"),
                                    ("flavor", "compute", "/v2.1/flavors/{}")):
            if kind in self.made:
                try:
                    c.call(service, path.format(self.made[kind]), "DELETE", expect=(202, 204))
                except Error as err:
                    print(f"cleanup: {err}")
        for image in self.made["images"]:
            try:
                c.call("image", f"/v2/images/{image}", "DELETE", expect=(204,))
            except Error as err:
                print(f"cleanup: {err}")

    # --- servers ---------------------------------------------------------
    def boot(self, name, image, zone=None):
        server = self.c.call("compute", "/v2.1/servers", "POST", expect=(202,), body={"server": {
            "name": name, "imageRef": image, "flavorRef": self.made["flavor"],
            "networks": [{"uuid": self.network}], "security_groups": [{"name": self.tag}],
            **({"availability_zone": zone} if zone else {})}})["server"]
        self.made["servers"].append(server["id"])
        return server["id"]

    def server(self, sid):
        return self.c.call("compute", f"/v2.1/servers/{sid}")["server"]

    def wait_status(self, sid, want, timeout=None):
        def reached():
            srv = self.server(sid)
            if srv["status"] == "ERROR" and want != "ERROR":
                raise Error(f"server {sid} ERROR: {srv.get('fault', {}).get('message')}")
            return srv if srv["status"] == want and not srv.get("OS-EXT-STS:task_state") else None

        return wait(f"server {sid} {want}", reached, timeout or self.args.boot_timeout)

    def action(self, sid, body):
        self.c.call("compute", f"/v2.1/servers/{sid}/action", "POST", expect=(202,), body=body)

    def console(self, sid):
        return self.c.call("compute", f"/v2.1/servers/{sid}/action", "POST",
                           body={"os-getConsoleOutput": {}})["output"] or ""

    def ping(self, address, what):
        wait(f"{address} answering ping ({what})",
             lambda: sh("ip", "netns", "exec", self.netns, "ping", "-c", "1", "-W", "2", address,
                        check=False).returncode == 0, self.args.ping_timeout)
        print(f"{what}: {address} answers ping from {self.netns}")

    # --- the steps ---------------------------------------------------------
    def hypervisors(self, show=True):
        found = self.c.call("compute", "/v2.1/os-hypervisors/detail")["hypervisors"]
        table = {h["hypervisor_hostname"]: (h["hypervisor_type"], h["state"], h["status"]) for h in found}
        for name, (kind, state, status) in sorted(table.items()) if show else ():
            print(f"hypervisor list: {name} {kind} {state} {status}")
        self.result["hypervisors"] = {n: v[0] for n, v in table.items() if v[1] == "up"}
        if table.get(self.host, (None, None))[:2] != (self.kind, "up"):
            raise Error(f"hypervisor {self.host}: {table.get(self.host)}, want {self.kind} up")

    def vm_image_kept_off(self):
        disk = os.path.join(self.tmp, "vm.qcow2")
        sh("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M")
        image = self.image(self.tag + "-vm", disk, "qcow2", "bare")
        sid = self.boot(self.tag + "-vm", image, zone="nova:" + self.host)
        srv = self.wait_status(sid, "ERROR")
        fault = srv.get("fault", {}).get("message", "")
        print(f"qcow2 image forced onto {self.host}: ERROR {fault!r}")
        if "No valid host" not in fault:
            raise Error(f"a VM image on {self.host} failed otherwise: {fault!r}")
        self.result["vm_image"] = fault
        self.c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204,))
        wait(f"server {sid} gone", lambda: self.c.status("compute", f"/v2.1/servers/{sid}") == 404, 300)

    def container_server(self):
        args = self.args
        path = os.path.join(self.tmp, "image.tar")
        self.engine.build_image(path, self.tag)
        disk_format, container_format = IMAGE_FORMATS[self.kind]
        image = self.image(self.tag, path, disk_format, container_format, hypervisor_type=self.kind)
        sid = self.boot(self.tag, image)
        srv = self.wait_status(sid, "ACTIVE")
        host = srv.get("OS-EXT-SRV-ATTR:hypervisor_hostname")
        address = srv["addresses"][args.network][0]["addr"]
        print(f"server {srv['name']} {srv['status']} on {host}, address {address}")
        if host != self.host:
            raise Error(f"server {sid} was scheduled to {host}, not {self.host}")
        self.ping(address, "booted")

        def marker():
            text = self.console(sid)
            return text if MARKER in text else None

        out = wait("console marker", marker, args.ping_timeout, 3)
        print("console: " + " | ".join(line for line in out.splitlines() if line.strip())[:300])
        self.result.update(server=sid, address=address)
        return sid, address

    def lifecycle(self, sid, address):
        self.action(sid, {"reboot": {"type": "SOFT"}})
        self.wait_status(sid, "ACTIVE")
        self.ping(address, "rebooted")
        self.action(sid, {"os-stop": None})
        self.wait_status(sid, "SHUTOFF")
        state = self.engine.container_state(sid)
        print(f"stopped: container {state}")
        if state in (None, "running"):
            raise Error(f"server {sid} SHUTOFF but its container is {state}")
        self.action(sid, {"os-start": None})
        self.wait_status(sid, "ACTIVE")
        self.ping(address, "started")
        sh("systemctl", "restart", self.unit)
        sh("systemctl", "is-active", "--quiet", self.unit)
        srv = self.server(sid)
        if srv["status"] != "ACTIVE":
            raise Error(f"server {sid} {srv['status']} after a restart of {self.unit}")
        self.ping(address, f"{self.unit} restarted")
        self.result["lifecycle"] = "reboot, stop/start, service restart"

    def delete(self, sid):
        ports = self.c.call("network", f"/v2.0/ports?device_id={sid}")["ports"]
        taps = ["tap" + port["id"][:11] for port in ports]
        self.c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204,))
        wait(f"server {sid} gone", lambda: self.c.status("compute", f"/v2.1/servers/{sid}") == 404, 300)
        left = {
            "container": self.engine.container_state(sid),
            "taps": [tap for tap in taps if sh("ip", "link", "show", "dev", tap, check=False).returncode == 0],
            "allocations": self.c.call("placement", f"/allocations/{sid}").get("allocations"),
        }
        print(f"deleted: {json.dumps(left)}")
        if left["container"] or left["taps"] or left["allocations"]:
            raise Error(f"server {sid} deleted, but left {left}")
        self.result["deleted"] = left


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    add_cloud_arguments(parser)
    parser.add_argument("--service", action="append", required=True, metavar="ENGINE:HOST:UNIT",
                        help="a container service: its engine (docker, lxd), nova's host name of it, its unit")
    parser.add_argument("--network", default="flat")
    parser.add_argument("--lxd-cli", default="lxc", help="the LXD daemon's client: lxc, or incus for Incus")
    parser.add_argument("--boot-timeout", type=int, default=300)
    parser.add_argument("--ping-timeout", type=int, default=120)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    # A stopped test still removes what it made (finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    if not shutil.which("ping"):
        print(json.dumps({"ok": False, "error": "no ping on this host (iputils-ping)"}))
        return 1

    client, t0 = Client(load_cloud(args.clouds_yaml, args.cloud)), time.monotonic()
    tests = []
    for spec in args.service:
        kind, host, unit = (spec.split(":") + ["", ""])[:3]
        if kind not in ENGINES or not host or not unit:
            parser.error(f"--service {spec!r}: want ENGINE:HOST:UNIT, ENGINE one of {sorted(ENGINES)}")
        tests.append(Test(args, client, kind, host, unit))
    current, servers = tests[0], {}
    try:
        for current in tests:
            current.hypervisors(show=current is tests[0])
            current.setup()
            current.vm_image_kept_off()
            servers[current.kind] = current.container_server()
        # Every server of the cloud now: a container server of each engine,
        # and whatever else runs (the smoke test's VM, when kept).
        found = client.call("compute", "/v2.1/servers/detail?all_tenants=1")["servers"]
        for srv in sorted(found, key=lambda s: s["name"]):
            nets = {net: [a["addr"] for a in addrs] for net, addrs in srv["addresses"].items()}
            print(f"server list: {srv['name']} {srv['status']} on {srv.get('OS-EXT-SRV-ATTR:hypervisor_hostname')} {nets}")
        for current in tests:
            current.lifecycle(*servers[current.kind])
            current.delete(servers[current.kind][0])
            current.result.update(ok=True, seconds=round(time.monotonic() - t0))
    except (Error, subprocess.CalledProcessError) as err:
        current.result["error"] = str(err) + (f": {err.stderr}" if getattr(err, "stderr", None) else "")
    finally:
        for test in tests:
            test.teardown()
    for test in tests:
        print(json.dumps(test.result))
    return 0 if all(test.result["ok"] for test in tests) else 1


if __name__ == "__main__":
    sys.exit(main())
