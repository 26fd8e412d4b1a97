# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The Docker driver's nova side: what spawn, reboot, power and destroy
ask of the engine and the plumbing, which ports nova waits for, the
resources and the binding host it reports."""
import contextlib
import types

import pytest

UUID = "0b8f4f5e-1111-2222-3333-444455556666"


class Engine(object):
    def __init__(self, state="missing"):
        self.calls, self.state_now = [], state

    def version(self):
        return "26.1.5+dfsg1"

    def ensure_image(self, image_id, fetch, workdir):
        fetch("/tmp/x.tar")
        self.calls.append(("ensure_image", image_id))
        return "nova-glance:" + image_id

    def create(self, *args):
        self.calls.append(("create",) + args)

    def start(self, name):
        self.calls.append(("start", name))
        self.state_now = "running"
        return 4242

    def stop(self, name, timeout):
        self.calls.append(("stop", name, timeout))

    def delete(self, name):
        self.calls.append(("delete", name))

    def state(self, name):
        return self.state_now, (4242 if self.state_now == "running" else None)

    def instances(self):
        return {"nova-" + UUID: UUID, "nova-other": None}

    def logs(self, name):
        return "console"


class Plumber(object):
    def __init__(self, links=(), fail=None):
        self.calls, self.links, self.fail = [], set(links), fail

    def plug(self, pid, plans):
        if self.fail:
            raise self.fail
        self.calls.append(("plug", pid, [(p["tap"], p["bridge"], p["ovs_bridge"], p["addresses"], p["gateway"])
                                         for p in plans]))

    def unplug(self, plans):
        self.calls.append(("unplug", [p["tap"] for p in plans]))

    def link_exists(self, name):
        return name in self.links


class VirtAPI(object):
    def __init__(self, timeout=None):
        self.waited, self.timeout = [], timeout

    @contextlib.contextmanager
    def wait_for_instance_event(self, instance, events, deadline=300, error_callback=None):
        self.waited.append(list(events))
        yield
        if self.timeout:
            raise self.timeout


def vif(port, active, kind="ovs", hybrid=True, bridge="br-int"):
    return {"id": port, "address": "fa:16:3e:00:00:0%s" % port[-1], "devname": ("tap" + port)[:14], "type": kind,
            "active": active, "details": {"ovs_hybrid_plug": hybrid},
            "network": {"bridge": bridge, "meta": {"mtu": 1450}, "subnets": [
                {"cidr": "10.0.0.0/24", "ips": [{"address": "10.0.0.1" + port[-1]}],
                 "gateway": {"address": "10.0.0.1"}},
                {"cidr": "fd00::/64", "ips": [{"address": "fd00::" + port[-1]}], "gateway": {"address": "fd00::1"}}]}}


INSTANCE = types.SimpleNamespace(uuid=UUID, hostname="vm1", flavor=types.SimpleNamespace(memory_mb=256, vcpus=1))
IMAGE = types.SimpleNamespace(id="img-1", container_format="docker")


def make(nova, state="missing", links=(), fail=None, timeout=None):
    module, calls = nova
    drv = module.DockerDriver(VirtAPI(timeout), engine=Engine(state), plumber=Plumber(links, fail),
                              resources=lambda path: {"vcpus": 2, "memory_mb": 4096, "memory_mb_used": 1000,
                                                      "local_gb": 20, "local_gb_used": 5,
                                                      "disk_available_least": 15})
    return module, calls, drv


def test_spawn_loads_creates_plugs_and_waits_for_the_inactive_ports(nova):
    module, calls, drv = make(nova)
    network_info = [vif("port-a1", False), vif("port-b2", True, hybrid=False)]
    drv.spawn("ctx", INSTANCE, IMAGE, [], "pw", {}, network_info)
    assert drv.virtapi.waited == [[("network-vif-plugged", "port-a1")]]
    assert calls[0] == ("fetch", "img-1", "/tmp/x.tar")
    assert ("os_vif.plug", "qbrport-a1") in calls and ("os_vif.plug", "br-int") in calls
    assert drv.engine.calls == [("ensure_image", "img-1"),
                                ("create", "nova-" + UUID, "nova-glance:img-1", "vm1", 256, 1, UUID),
                                ("start", "nova-" + UUID)]
    # Hybrid: the qbr bridge; plain Open vSwitch: br-int; IPv4 gateway of
    # the first port alone.
    assert drv.plumber.calls == [("plug", 4242, [
        ("tapport-a1", "qbrport-a1", None, ["10.0.0.11/24", "fd00::1/64"], "10.0.0.1"),
        ("tapport-b2", None, "br-int", ["10.0.0.12/24", "fd00::2/64"], None)])]


def test_spawn_stopped_waits_for_nothing_and_starts_nothing(nova):
    _module, _calls, drv = make(nova)
    drv.spawn("ctx", INSTANCE, IMAGE, [], "pw", {}, [vif("port-a1", False)], power_on=False)
    assert drv.virtapi.waited == [[]]
    assert [c[0] for c in drv.engine.calls] == ["ensure_image", "create"]
    assert drv.plumber.calls == []


def test_a_vm_image_is_refused_before_anything_is_made(nova):
    module, _calls, drv = make(nova)
    qcow = types.SimpleNamespace(id="img-2", container_format="bare", properties={})
    with pytest.raises(module.exception.ImageUnacceptable) as err:
        drv.spawn("ctx", INSTANCE, qcow, [], "pw", {}, [])
    assert "container_format 'bare', hypervisor_type None" in err.value.kwargs["reason"]
    assert drv.engine.calls == []


def test_lxd_takes_bare_images_marked_lxd_only(nova):
    module, _calls, _drv = make(nova)
    lxd = module.LxdDriver(VirtAPI(), engine=Engine(), plumber=Plumber())
    vm = types.SimpleNamespace(id="img-3", container_format="bare", properties={"img_hv_type": "qemu"})
    with pytest.raises(module.exception.ImageUnacceptable, match="with hypervisor_type lxd"):
        lxd.ensure_image("ctx", vm)
    tarball = types.SimpleNamespace(id="img-4", container_format="bare", properties={"img_hv_type": "lxd"})
    assert lxd.ensure_image("ctx", tarball) == "nova-glance:img-4"
    assert module.CONF.stackcraft_lxd.url == "/var/lib/lxd/unix.socket"


def test_a_failed_plug_leaves_nothing_and_says_why(nova):
    _module, calls, drv = make(nova, fail=RuntimeError("RTNETLINK answers: File exists"))
    with pytest.raises(RuntimeError, match="File exists"):
        drv.spawn("ctx", INSTANCE, IMAGE, [], "pw", {}, [vif("port-a1", False)])
    assert ("delete", "nova-" + UUID) in drv.engine.calls
    assert ("unplug", ["tapport-a1"]) in drv.plumber.calls
    assert ("os_vif.unplug", "qbrport-a1") in calls


class Timeout(BaseException):
    """eventlet's Timeout is a BaseException named Timeout."""


def test_no_vif_plugged_event_is_fatal_or_not_as_configured(nova):
    module, _calls, drv = make(nova, timeout=Timeout())
    with pytest.raises(module.exception.VirtualInterfaceCreateException):
        drv.spawn("ctx", INSTANCE, IMAGE, [], "pw", {}, [vif("port-a1", False)])
    assert ("delete", "nova-" + UUID) in drv.engine.calls
    module.CONF.vif_plugging_is_fatal = False
    _module, calls, drv = make(nova, timeout=Timeout())
    drv.spawn("ctx", INSTANCE, IMAGE, [], "pw", {}, [vif("port-a1", False)])
    assert ("delete", "nova-" + UUID) not in drv.engine.calls
    assert any(c[0] == "warning" and "network-vif-plugged" in c[1] for c in calls)


def test_power_reboot_and_destroy(nova):
    _module, _calls, drv = make(nova, state="running")
    network_info = [vif("port-a1", True, kind="bridge", bridge="brqnet1")]
    drv.reboot("ctx", INSTANCE, network_info, "SOFT")
    assert drv.engine.calls == [("stop", "nova-" + UUID, 10), ("start", "nova-" + UUID)]
    assert drv.plumber.calls[-1][0] == "plug" and drv.plumber.calls[-1][2][0][1] == "brqnet1"
    drv.power_off(INSTANCE, timeout=3)
    assert drv.engine.calls[-1] == ("stop", "nova-" + UUID, 3)
    drv.destroy("ctx", INSTANCE, network_info)
    assert drv.engine.calls[-1] == ("delete", "nova-" + UUID)
    assert drv.plumber.calls[-1] == ("unplug", ["tapport-a1"])


def test_plug_vifs_on_service_start_replugs_only_what_is_missing(nova):
    _module, _calls, drv = make(nova, state="running", links=["tapport-a1"])
    drv.plug_vifs(INSTANCE, [vif("port-a1", True), vif("port-b2", True)])
    assert drv.plumber.calls == [("plug", 4242, [
        ("tapport-b2", "qbrport-b2", None, ["10.0.0.12/24", "fd00::2/64"], None)])]
    _module, _calls, drv = make(nova, state="running", links=["tapport-a1"])
    drv.plug_vifs(INSTANCE, [vif("port-a1", True)])
    assert drv.plumber.calls == []


def test_state_resources_and_binding_host(nova):
    module, _calls, drv = make(nova, state="running")
    assert drv.get_info(INSTANCE).state == 1
    drv.engine.state_now = "stopped"
    assert drv.get_info(INSTANCE).state == 4
    drv.engine.state_now = "missing"
    with pytest.raises(module.exception.InstanceNotFound):
        drv.get_info(INSTANCE)
    assert drv.list_instance_uuids() == [UUID]
    assert drv.get_available_nodes() == ["node1-docker"]
    res = drv.get_available_resource("node1-docker")
    assert res["hypervisor_type"] == "docker" and res["hypervisor_version"] == 26001005
    assert res["supported_instances"][0][1:] == ("docker", "exe")
    assert res["hypervisor_hostname"] == "node1-docker" and res["vcpus"] == 2

    class Tree(object):
        def data(self, nodename):
            return types.SimpleNamespace(inventory={})

        def update_inventory(self, nodename, inventory):
            self.inventory = (nodename, inventory)

    tree = Tree()
    drv.update_provider_tree(tree, "node1-docker")
    assert tree.inventory[0] == "node1-docker"
    assert tree.inventory[1]["MEMORY_MB"] == {"total": 4096, "min_unit": 1, "max_unit": 4096, "step_size": 1,
                                              "allocation_ratio": 1.5, "reserved": 512}
    assert set(tree.inventory[1]) == {"VCPU", "MEMORY_MB", "DISK_GB"}
    module.CONF.stackcraft_docker.binding_host = "node1"
    assert drv.network_binding_host_id("ctx", INSTANCE) == "node1"
    assert drv.manages_network_binding_host_id() is True
    assert drv.capabilities["supports_image_type_raw"] is True
    uptime = drv.get_host_uptime()
    assert " up " in uptime and "load average" in uptime


def test_version_to_int(nova):
    module, _calls, _drv = make(nova)
    assert module.version_to_int("5.0.2") == 5000002
    assert module.version_to_int("20.10.24+dfsg1") == 20010024
    assert module.version_to_int("6.0") == 6000000
