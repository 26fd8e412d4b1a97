# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""A container's network, plugged the way libvirt plugs a VM's: the host
end of a veth pair carries the name nova gives the port's tap device, so
Neutron's agent sees an instance port. It goes into the bridge os-vif
made (linuxbridge's brq bridge, or the qbr bridge of Open vSwitch's
iptables_hybrid firewall), or is an Open vSwitch port with the external
IDs the agent looks for. The other end moves into the container's
network namespace as eth<N>, with the port's MAC, MTU and fixed IPs and,
on the first port, the subnet's gateway as default route (no DHCP client
needed in the image; DHCP still answers one that asks).

No nova imports here: the driver turns nova's network_info into plans
(dicts, see plan_keys) and hands them over.
"""

import os
import subprocess

# What a plan holds: tap (host end, nova's devname), peer (its temporary
# name), ifname (in the container), mac, mtu (or None), bridge (a Linux
# bridge to join, or None), ovs_bridge (an Open vSwitch bridge to join, or
# None), port_id, instance_uuid, addresses (["10.0.0.5/24", ...]),
# gateway (or None).
PLAN_KEYS = ("tap", "peer", "ifname", "mac", "mtu", "bridge", "ovs_bridge", "port_id", "instance_uuid",
             "addresses", "gateway")
IFNAME_MAX = 15


class PlumbingError(Exception):
    """A command of the plumbing failed; the message holds its output."""


def run(argv):
    """Run a command, return (rc, stdout, stderr)."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def root_runner(root_helper, euid=None):
    """A runner for a service that is not root (nova-compute runs as nova):
    each command through root_helper (nova's rootwrap, whose filters the
    role installs), or as it is when already root."""
    prefix = root_helper.split() if root_helper else []
    if (os.geteuid() if euid is None else euid) == 0:
        prefix = []
    return lambda argv: run(prefix + list(argv))


def plan(port_id, mac, devname, index, instance_uuid, addresses, gateway=None, mtu=None, bridge=None,
         ovs_bridge=None):
    """One port's plan, checked: names within the kernel's 15 characters,
    exactly one of bridge and ovs_bridge."""
    if not port_id or not mac or not devname:
        raise PlumbingError("a port needs its id, MAC and tap device name, got %r, %r, %r" % (port_id, mac, devname))
    if bool(bridge) == bool(ovs_bridge):
        raise PlumbingError("port %s: exactly one of bridge and ovs_bridge, got %r and %r" % (port_id, bridge, ovs_bridge))
    peer = ("nsp" + port_id.replace("-", ""))[:IFNAME_MAX]
    for name in (devname, peer):
        if len(name) > IFNAME_MAX:
            raise PlumbingError("interface name %r is longer than %d characters" % (name, IFNAME_MAX))
    return {"tap": devname, "peer": peer, "ifname": "eth%d" % index, "mac": mac, "mtu": mtu, "bridge": bridge,
            "ovs_bridge": ovs_bridge, "port_id": port_id, "instance_uuid": instance_uuid,
            "addresses": list(addresses), "gateway": gateway}


class Plumber(object):
    """Plugs and unplugs plans; runner(argv) -> (rc, stdout, stderr)."""

    def __init__(self, runner=run):
        self.runner = runner

    def _run(self, argv, ok_rcs=(0,)):
        rc, out, err = self.runner(argv)
        if rc not in ok_rcs:
            raise PlumbingError("%s: exit %s: %s" % (" ".join(argv), rc, (err or out).strip()))
        return rc, out

    def _netns(self, pid, *ip_args):
        return self._run(["nsenter", "--target", str(pid), "--net", "ip"] + list(ip_args))

    def link_exists(self, name):
        rc = self._run(["ip", "-o", "link", "show", "dev", name], ok_rcs=(0, 1))[0]
        return rc == 0

    def plug(self, pid, plans):
        """Plug every plan into the network namespace of process pid (the
        container's init). A tap left from an earlier start of the same
        instance is replaced: its namespace, and so its peer, is gone."""
        if pid is None or int(pid) <= 0:
            raise PlumbingError("the container has no running process to plug into (pid %r)" % (pid,))
        self._netns(pid, "link", "set", "lo", "up")
        for item in plans:
            self.unplug([item])
            self._run(["ip", "link", "add", item["tap"], "type", "veth", "peer", "name", item["peer"]])
            if item["mtu"]:
                self._run(["ip", "link", "set", item["tap"], "mtu", str(item["mtu"])])
                self._run(["ip", "link", "set", item["peer"], "mtu", str(item["mtu"])])
            if item["bridge"]:
                self._run(["ip", "link", "set", item["tap"], "master", item["bridge"]])
            else:
                self._run(["ovs-vsctl", "--", "--may-exist", "add-port", item["ovs_bridge"], item["tap"],
                           "--", "set", "Interface", item["tap"],
                           "external-ids:iface-id=%s" % item["port_id"],
                           "external-ids:iface-status=active",
                           "external-ids:attached-mac=%s" % item["mac"],
                           "external-ids:vm-uuid=%s" % item["instance_uuid"]])
            self._run(["ip", "link", "set", item["tap"], "up"])
            self._run(["ip", "link", "set", item["peer"], "netns", str(pid)])
            self._netns(pid, "link", "set", item["peer"], "name", item["ifname"])
            self._netns(pid, "link", "set", item["ifname"], "address", item["mac"])
            self._netns(pid, "link", "set", item["ifname"], "up")
            for address in item["addresses"]:
                self._netns(pid, "address", "replace", address, "dev", item["ifname"])
            if item["gateway"]:
                self._netns(pid, "route", "replace", "default", "via", item["gateway"], "dev", item["ifname"])

    def unplug(self, plans):
        """Remove the host ends (the peers go with them); missing ones are
        fine."""
        for item in plans:
            if item["ovs_bridge"]:
                self._run(["ovs-vsctl", "--if-exists", "del-port", item["ovs_bridge"], item["tap"]])
            if self.link_exists(item["tap"]):
                self._run(["ip", "link", "del", item["tap"]])
