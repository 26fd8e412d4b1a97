# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The container's ports as commands: veth pair, bridge or Open vSwitch
port, the namespace end renamed, addressed and routed."""
import pytest

from stackcraft_virt import plumbing

PORT = "3f2a9c1e-77d4-4c1b-9a53-0c1d2e3f4a5b"
UUID = "0b8f4f5e-1111-2222-3333-444455556666"


class Runner(object):
    """Records argv; `ip -o link show` answers from `links`; `fail` makes a
    command fail."""

    def __init__(self, links=(), fail=None):
        self.argv, self.links, self.fail = [], set(links), fail

    def __call__(self, argv):
        self.argv.append(list(argv))
        if self.fail and self.fail in " ".join(argv):
            return 2, "", "RTNETLINK answers: File exists"
        if argv[:4] == ["ip", "-o", "link", "show"]:
            return (0, "1: x", "") if argv[-1] in self.links else (1, "", 'Device "x" does not exist.')
        return 0, "", ""


def bridge_plan(**kwargs):
    args = dict(addresses=["10.0.0.5/24"], gateway="10.0.0.1", mtu=1450, bridge="qbr3f2a9c1e-77")
    args.update(kwargs)
    return plumbing.plan(PORT, "fa:16:3e:00:00:01", "tap3f2a9c1e-77", 0, UUID, **args)


def test_plan_names_fit_the_kernel_and_need_one_attachment():
    plan = bridge_plan()
    assert plan["peer"] == "nsp3f2a9c1e77d4" and len(plan["peer"]) == 15
    assert plan["ifname"] == "eth0"
    with pytest.raises(plumbing.PlumbingError, match="exactly one of bridge and ovs_bridge"):
        bridge_plan(ovs_bridge="br-int")
    with pytest.raises(plumbing.PlumbingError, match="exactly one of bridge and ovs_bridge"):
        bridge_plan(bridge=None)
    with pytest.raises(plumbing.PlumbingError, match="longer than 15"):
        plumbing.plan(PORT, "fa:16:3e:00:00:01", "tap3f2a9c1e-77d4-4c", 0, UUID, [], bridge="br")
    with pytest.raises(plumbing.PlumbingError, match="needs its id"):
        plumbing.plan("", "fa:16:3e:00:00:01", "tap", 0, UUID, [], bridge="br")


def test_plug_into_a_bridge():
    runner = Runner()
    plumbing.Plumber(runner).plug(4242, [bridge_plan()])
    netns = ["nsenter", "--target", "4242", "--net", "ip"]
    assert runner.argv == [
        netns + ["link", "set", "lo", "up"],
        ["ip", "-o", "link", "show", "dev", "tap3f2a9c1e-77"],
        ["ip", "link", "add", "tap3f2a9c1e-77", "type", "veth", "peer", "name", "nsp3f2a9c1e77d4"],
        ["ip", "link", "set", "tap3f2a9c1e-77", "mtu", "1450"],
        ["ip", "link", "set", "nsp3f2a9c1e77d4", "mtu", "1450"],
        ["ip", "link", "set", "tap3f2a9c1e-77", "master", "qbr3f2a9c1e-77"],
        ["ip", "link", "set", "tap3f2a9c1e-77", "up"],
        ["ip", "link", "set", "nsp3f2a9c1e77d4", "netns", "4242"],
        netns + ["link", "set", "nsp3f2a9c1e77d4", "name", "eth0"],
        netns + ["link", "set", "eth0", "address", "fa:16:3e:00:00:01"],
        netns + ["link", "set", "eth0", "up"],
        netns + ["address", "replace", "10.0.0.5/24", "dev", "eth0"],
        netns + ["route", "replace", "default", "via", "10.0.0.1", "dev", "eth0"],
    ]


def test_plug_into_open_vswitch_with_the_agents_external_ids_and_replace_a_stale_tap():
    runner = Runner(links=["tap3f2a9c1e-77"])
    plan = bridge_plan(bridge=None, ovs_bridge="br-int", gateway=None, mtu=None)
    plumbing.Plumber(runner).plug("77", [plan])
    flat = [" ".join(argv) for argv in runner.argv]
    assert "ovs-vsctl --if-exists del-port br-int tap3f2a9c1e-77" in flat
    assert "ip link del tap3f2a9c1e-77" in flat
    assert ("ovs-vsctl -- --may-exist add-port br-int tap3f2a9c1e-77 -- set Interface tap3f2a9c1e-77 "
            "external-ids:iface-id=%s external-ids:iface-status=active external-ids:attached-mac=fa:16:3e:00:00:01 "
            "external-ids:vm-uuid=%s" % (PORT, UUID)) in flat
    assert not any("mtu" in line or "route" in line or "master" in line for line in flat)
    # The stale tap goes before the new pair is made.
    assert flat.index("ip link del tap3f2a9c1e-77") < flat.index(
        "ip link add tap3f2a9c1e-77 type veth peer name nsp3f2a9c1e77d4")


def test_unplug_what_is_there_and_nothing_else():
    runner = Runner()
    plumbing.Plumber(runner).unplug([bridge_plan()])
    assert runner.argv == [["ip", "-o", "link", "show", "dev", "tap3f2a9c1e-77"]]


def test_no_process_or_a_failing_command_is_an_error():
    with pytest.raises(plumbing.PlumbingError, match="no running process"):
        plumbing.Plumber(Runner()).plug(None, [bridge_plan()])
    with pytest.raises(plumbing.PlumbingError, match="ip link add .* exit 2: RTNETLINK answers: File exists"):
        plumbing.Plumber(Runner(fail="link add")).plug(1, [bridge_plan()])


def test_root_runner_goes_through_the_helper_unless_root(monkeypatch):
    seen = []
    monkeypatch.setattr(plumbing, "run", lambda argv: seen.append(argv) or (0, "", ""))
    plumbing.root_runner("sudo nova-rootwrap /etc/nova/rootwrap.conf", euid=1000)(["ip", "link"])
    plumbing.root_runner("sudo nova-rootwrap /etc/nova/rootwrap.conf", euid=0)(["ip", "link"])
    assert seen == [["sudo", "nova-rootwrap", "/etc/nova/rootwrap.conf", "ip", "link"], ["ip", "link"]]
