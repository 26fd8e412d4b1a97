# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The container drivers' package (roles/nova_compute_driver/files) on the
path, and for the driver module, stand-ins for the parts of nova, os-vif
and oslo it uses, shaped as nova 31 has them (their real behaviour is
tested on machines, not here)."""
import os
import sys
import types

import pytest

FILES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                     "roles", "nova_compute_driver", "files"))
if FILES not in sys.path:
    sys.path.insert(0, FILES)


class Opts(object):
    """oslo.config's CONF, as far as the driver reads it."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def register_opts(self, opts, group):
        setattr(self, group, Opts(**{opt.name: opt.default for opt in opts}))


class Opt(object):
    def __init__(self, name, default=None, **kwargs):
        self.name, self.default, self.kwargs = name, default, kwargs


class NovaError(Exception):
    def __init__(self, **kwargs):
        super(NovaError, self).__init__(kwargs)
        self.kwargs = kwargs


class ComputeDriver(object):
    capabilities = {"has_imagecache": False, "supports_image_type_raw": False, "supports_image_type_qcow2": False}

    def __init__(self, virtapi):
        self.virtapi = virtapi

    @staticmethod
    def _get_allocation_ratios(inventory):
        return {"VCPU": 16.0, "MEMORY_MB": 1.5, "DISK_GB": 1.0}

    @staticmethod
    def _get_reserved_host_disk_gb_from_config():
        return 0


class InstanceInfo(object):
    def __init__(self, state):
        self.state = state


class VIFBridge(object):
    def __init__(self, bridge_name):
        self.bridge_name = bridge_name


class VIFOpenVSwitch(VIFBridge):
    pass


def to_osvif(vif):
    """nova_to_osvif_vif: OVS with the hybrid firewall and linuxbridge give
    a bridge (qbr/brq), OVS without it an Open vSwitch port."""
    if vif["type"] == "ovs" and not vif.get("details", {}).get("ovs_hybrid_plug"):
        return VIFOpenVSwitch(vif["network"]["bridge"])
    if vif["type"] == "ovs":
        return VIFBridge("qbr" + vif["id"][:11])
    return VIFBridge(vif["network"]["bridge"])


def modules(calls):
    conf = Opts(host="node1-docker", instances_path="/tmp", vif_plugging_timeout=300, vif_plugging_is_fatal=True,
                reserved_host_cpus=0, reserved_host_memory_mb=512)
    exc = types.SimpleNamespace(
        HypervisorUnavailable=type("HypervisorUnavailable", (NovaError,), {}),
        InstanceNotFound=type("InstanceNotFound", (NovaError,), {}),
        ImageUnacceptable=type("ImageUnacceptable", (NovaError,), {}),
        VirtualInterfaceCreateException=type("VirtualInterfaceCreateException", (NovaError,), {}))
    found = {
        "nova": types.ModuleType("nova"),
        "nova.conf": types.SimpleNamespace(CONF=conf),
        "nova.exception": exc,
        "nova.compute": types.ModuleType("nova.compute"),
        "nova.compute.power_state": types.SimpleNamespace(NOSTATE=0, RUNNING=1, PAUSED=3, SHUTDOWN=4),
        "nova.network": types.ModuleType("nova.network"),
        "nova.network.os_vif_util": types.SimpleNamespace(
            nova_to_osvif_vif=to_osvif, nova_to_osvif_instance=lambda instance: ("osvif-instance", instance.uuid)),
        "nova.virt": types.ModuleType("nova.virt"),
        "nova.virt.driver": types.SimpleNamespace(ComputeDriver=ComputeDriver),
        "nova.virt.hardware": types.SimpleNamespace(InstanceInfo=InstanceInfo),
        "nova.virt.images": types.SimpleNamespace(
            fetch=lambda context, image_id, path: calls.append(("fetch", image_id, path))),
        "os_vif": types.SimpleNamespace(
            plug=lambda vif, instance: calls.append(("os_vif.plug", vif.bridge_name)),
            unplug=lambda vif, instance: calls.append(("os_vif.unplug", vif.bridge_name))),
        "oslo_config": types.ModuleType("oslo_config"),
        "oslo_config.cfg": types.SimpleNamespace(StrOpt=Opt, IntOpt=Opt),
        "oslo_log": types.ModuleType("oslo_log"),
        "oslo_log.log": types.SimpleNamespace(getLogger=lambda name: types.SimpleNamespace(
            info=lambda *a, **k: None, warning=lambda *a, **k: calls.append(("warning", a[0])),
            error=lambda *a, **k: calls.append(("error", a[0])))),
    }
    found["nova"].conf, found["nova"].exception = found["nova.conf"], exc
    found["nova.compute"].power_state = found["nova.compute.power_state"]
    found["nova.network"].os_vif_util = found["nova.network.os_vif_util"]
    for name in ("driver", "hardware", "images"):
        setattr(found["nova.virt"], name, found["nova.virt." + name])
    found["oslo_config"].cfg = found["oslo_config.cfg"]
    found["oslo_log"].log = found["oslo_log.log"]
    return found


@pytest.fixture(name="fetcher")
def fixture_fetcher():
    """fetcher(data) -> fetch(path) writing data to path; fetch.paths lists
    the paths it wrote."""
    def make(data):
        def fetch(path):
            fetch.paths.append(path)
            with open(path, "wb") as out:
                out.write(data)
        fetch.paths = []
        return fetch
    return make


@pytest.fixture(name="nova")
def fixture_nova(monkeypatch):
    """(driver module, calls): the driver imported against the stand-ins;
    calls records fetch, os-vif and log calls in order."""
    calls = []
    for name, module in modules(calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "stackcraft_virt.driver", raising=False)
    import stackcraft_virt.driver as driver_module  # pylint: disable=import-outside-toplevel
    yield driver_module, calls
    sys.modules.pop("stackcraft_virt.driver", None)
