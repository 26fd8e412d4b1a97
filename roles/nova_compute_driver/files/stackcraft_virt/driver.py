# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""nova ComputeDriver for containers (nova 26 Zed to 31 2025.1).

One nova-compute service per engine on a compute host, with its own
`host` (its hypervisor's name in nova) next to the libvirt one. Neutron's
agent on that machine runs under the machine's name, so ports are bound
there (network_binding_host_id; the driver manages the binding host, so
nova does not rebind them to the service's own host name).

Spawn: the glance image loaded into the engine (once), the container
created with the flavor's memory and CPUs, os-vif plugs the port's bridge
side as for a VM, the container starts, and its namespace gets a veth end
per port (plumbing); nova waits for Neutron's network-vif-plugged as the
libvirt driver does. Reboot, power off/on: the engine's stop and start, a
new namespace re-plugged. Destroy: the container and the ports' devices
removed.
"""

import os
import platform
import socket
import subprocess

import nova.conf
import os_vif
from nova import exception
from nova.compute import power_state
from nova.network import os_vif_util
from nova.virt import driver
from nova.virt import hardware
from nova.virt import images
from oslo_config import cfg
from oslo_log import log as logging

from stackcraft_virt import plumbing
from stackcraft_virt.docker_engine import DockerEngine
from stackcraft_virt.engine import EngineError, NotFound
from stackcraft_virt.lxd_engine import LxdEngine

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


def engine_opts(url):
    """The options of one driver's section, [stackcraft_<engine>]."""
    return [
        cfg.StrOpt("url", default=url,
                   help="The engine's API: its local socket."),
        cfg.StrOpt("binding_host", default=socket.gethostname(),
                   help="Host Neutron binds ports to: where its agent runs (the machine's name), not this service's "
                        "own host."),
        cfg.IntOpt("stop_timeout", default=10, min=0,
                   help="Seconds a container has to stop before it is killed."),
        cfg.StrOpt("root_helper", default="sudo nova-rootwrap /etc/nova/rootwrap.conf",
                   help="How the service (user nova) runs ip, ovs-vsctl and nsenter as root."),
    ]


CONF.register_opts(engine_opts("unix:///run/docker.sock"), group="stackcraft_docker")
# LXD from Debian; Incus serves the same API on /var/lib/incus/unix.socket.
CONF.register_opts(engine_opts("/var/lib/lxd/unix.socket"), group="stackcraft_lxd")

POWER_STATES = {
    "running": power_state.RUNNING,
    "paused": power_state.PAUSED,
    "stopped": power_state.SHUTDOWN,
}


def version_to_int(version):
    """'26.1.5' (or '5.0.2-ubuntu') -> 26001005, nova's hypervisor_version."""
    parts = []
    for part in str(version).split(".")[:3]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        parts.append(int(digits or 0))
    parts += [0] * (3 - len(parts))
    return parts[0] * 1000000 + parts[1] * 1000 + parts[2]


def unset_is_none(obj, name):
    """A field of a nova object, None when unset (nova raises
    NotImplementedError for an unset field it cannot load)."""
    try:
        return getattr(obj, name)
    except (AttributeError, NotImplementedError):
        return None


def host_resources(path):
    """CPUs, memory and disk (of the file system holding path) of this
    machine, in nova's units."""
    memory = {}
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            key, value = line.split(":", 1)
            memory[key] = int(value.split()[0])
    disk = os.statvfs(path)
    total_gb = disk.f_frsize * disk.f_blocks // 1024 ** 3
    free_gb = disk.f_frsize * disk.f_bavail // 1024 ** 3
    return {
        "vcpus": os.cpu_count() or 1,
        "memory_mb": memory["MemTotal"] // 1024,
        "memory_mb_used": (memory["MemTotal"] - memory.get("MemAvailable", memory["MemFree"])) // 1024,
        "local_gb": total_gb,
        "local_gb_used": total_gb - free_gb,
        "disk_available_least": free_gb,
    }


class ContainerDriver(driver.ComputeDriver):
    """What every container engine shares; subclasses name the engine."""

    hypervisor_type = None
    # The glance images the engine runs: their container_format, and for
    # bare ones (which VM images are too) the image property
    # hypervisor_type (img_hv_type) naming the engine.
    image_container_format = None
    capabilities = dict(driver.ComputeDriver.capabilities, supports_image_type_raw=True)

    def __init__(self, virtapi, engine=None, plumber=None, resources=host_resources):
        super(ContainerDriver, self).__init__(virtapi)
        self._engine = engine
        self.plumber = plumber or plumbing.Plumber(plumbing.root_runner(self.opts.root_helper))
        self.resources = resources

    # The engine, its options ---------------------------------------------
    def connect(self):
        raise NotImplementedError()

    @property
    def engine(self):
        if self._engine is None:
            self._engine = self.connect()
        return self._engine

    @property
    def opts(self):
        return getattr(CONF, "stackcraft_" + self.hypervisor_type)

    @staticmethod
    def container_name(instance):
        return "nova-" + instance.uuid

    # Service -----------------------------------------------------------------
    def init_host(self, host):
        try:
            LOG.info("%s engine %s", self.hypervisor_type, self.engine.version())
        except EngineError as exc:
            raise exception.HypervisorUnavailable(host=host) from exc

    def get_available_nodes(self, refresh=False):
        return [CONF.host]

    def get_available_resource(self, nodename):
        found = self.resources(CONF.instances_path)
        arch = platform.machine()
        return dict(
            found, vcpus_used=0,
            hypervisor_type=self.hypervisor_type,
            hypervisor_version=version_to_int(self.engine.version()),
            hypervisor_hostname=nodename,
            cpu_info="{}",
            supported_instances=[(arch, self.hypervisor_type, "exe")],
            numa_topology=None,
        )

    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        found = self.resources(CONF.instances_path)
        ratios = self._get_allocation_ratios(provider_tree.data(nodename).inventory)
        inventory = {
            "VCPU": (found["vcpus"], CONF.reserved_host_cpus),
            "MEMORY_MB": (found["memory_mb"], CONF.reserved_host_memory_mb),
            "DISK_GB": (found["local_gb"], self._get_reserved_host_disk_gb_from_config()),
        }
        provider_tree.update_inventory(nodename, {
            rc: {"total": total, "min_unit": 1, "max_unit": total, "step_size": 1,
                 "allocation_ratio": ratios[rc], "reserved": reserved}
            for rc, (total, reserved) in inventory.items()})

    def get_host_uptime(self):
        """The host's uptime line, as the libvirt driver gives it (`openstack
        hypervisor show`, os-hypervisors/ID/uptime): the container hypervisor
        answers through its service like every other."""
        return subprocess.run(["uptime"], env=dict(os.environ, LANG="C"), capture_output=True, text=True,
                              check=True).stdout

    def network_binding_host_id(self, context, instance):
        return self.opts.binding_host

    def manages_network_binding_host_id(self):
        return True

    # Instances -----------------------------------------------------------------
    def list_instances(self):
        return sorted(self.engine.instances())

    def list_instance_uuids(self):
        return sorted(uuid for uuid in self.engine.instances().values() if uuid)

    def get_info(self, instance, use_cache=True):
        state, _pid = self.engine.state(self.container_name(instance))
        if state == "missing":
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        return hardware.InstanceInfo(state=POWER_STATES.get(state, power_state.NOSTATE))

    def get_console_output(self, context, instance):
        try:
            return self.engine.logs(self.container_name(instance))
        except NotFound:
            raise exception.InstanceNotFound(instance_id=instance.uuid)

    def spawn(self, context, instance, image_meta, injected_files, admin_password, allocations,
              network_info=None, block_device_info=None, power_on=True, accel_info=None):
        name = self.container_name(instance)
        ref = self.ensure_image(context, image_meta)
        self.engine.create(name, ref, instance.hostname, instance.flavor.memory_mb, instance.flavor.vcpus,
                           instance.uuid)
        network_info = network_info or []
        events = self.neutron_events(network_info) if power_on and CONF.vif_plugging_timeout else []
        try:
            with self.virtapi.wait_for_instance_event(instance, events, deadline=CONF.vif_plugging_timeout,
                                                      error_callback=self.neutron_failed):
                self.os_vif_plug(instance, network_info)
                if power_on:
                    self.start(instance, network_info)
        except Exception as exc:
            # eventlet's Timeout (no network-vif-plugged in time) is no
            # Exception subclass: caught below.
            LOG.error("spawn of %s failed: %s", name, exc, instance=instance)
            self.undo_spawn(context, instance, network_info)
            raise
        except BaseException as exc:
            if type(exc).__name__ != "Timeout":
                raise
            if CONF.vif_plugging_is_fatal:
                self.undo_spawn(context, instance, network_info)
                raise exception.VirtualInterfaceCreateException()
            LOG.warning("no network-vif-plugged for %s in %ss; going on", name, CONF.vif_plugging_timeout,
                        instance=instance)

    def undo_spawn(self, context, instance, network_info):
        """Leave nothing of a failed spawn; the spawn's error is the one
        nova reports."""
        try:
            self.destroy(context, instance, network_info)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            LOG.error("cleanup after the failed spawn: %s", exc, instance=instance)

    def ensure_image(self, context, image_meta):
        container_format = unset_is_none(image_meta, "container_format")
        properties = unset_is_none(image_meta, "properties")
        hv_type = properties.get("img_hv_type") if properties is not None else None
        wrong_hv = container_format == "bare" and hv_type != self.hypervisor_type
        if container_format != self.image_container_format or wrong_hv:
            raise exception.ImageUnacceptable(
                image_id=image_meta.id,
                reason="container_format %r, hypervisor_type %r: the %s driver runs images of container_format %s%s"
                       % (container_format, hv_type, self.hypervisor_type, self.image_container_format,
                          " with hypervisor_type " + self.hypervisor_type
                          if self.image_container_format == "bare" else ""))
        return self.engine.ensure_image(
            image_meta.id, lambda path: images.fetch(context, image_meta.id, path), CONF.instances_path)

    def start(self, instance, network_info):
        """Start the container and plug its (new) namespace."""
        pid = self.engine.start(self.container_name(instance))
        self.plumber.plug(pid, self.plans(instance, network_info))

    def destroy(self, context, instance, network_info, block_device_info=None, destroy_disks=True,
                destroy_secrets=True):
        self.engine.delete(self.container_name(instance))
        self.cleanup(context, instance, network_info, block_device_info, destroy_disks)

    def cleanup(self, context, instance, network_info, block_device_info=None, destroy_disks=True,
                migrate_data=None, destroy_vifs=True, destroy_secrets=True):
        if destroy_vifs:
            self.unplug_vifs(instance, network_info)

    def reboot(self, context, instance, network_info, reboot_type, block_device_info=None,
               bad_volumes_callback=None, accel_info=None, share_info=None):
        self.power_off(instance)
        self.start(instance, network_info)

    def power_off(self, instance, timeout=0, retry_interval=0):
        self.engine.stop(self.container_name(instance), timeout or self.opts.stop_timeout)

    def power_on(self, context, instance, network_info, block_device_info=None, accel_info=None,
                 share_info=None):
        self.os_vif_plug(instance, network_info)
        self.start(instance, network_info)

    def resume_state_on_host_boot(self, context, instance, network_info, block_device_info=None):
        self.power_on(context, instance, network_info)

    # Network -----------------------------------------------------------------
    @staticmethod
    def neutron_events(network_info):
        return [("network-vif-plugged", vif["id"]) for vif in network_info if vif.get("active", True) is False]

    @staticmethod
    def neutron_failed(event_name, instance):
        LOG.error("Neutron reported failure on event %s for instance %s", event_name, instance.uuid,
                  instance=instance)
        if CONF.vif_plugging_is_fatal:
            raise exception.VirtualInterfaceCreateException()

    def plans(self, instance, network_info):
        """The plumbing's plan of each port of network_info."""
        out = []
        for index, vif in enumerate(network_info or []):
            osvif = os_vif_util.nova_to_osvif_vif(vif)
            ovs = type(osvif).__name__ == "VIFOpenVSwitch"
            addresses, gateway = [], None
            for subnet in vif["network"]["subnets"]:
                prefix = subnet["cidr"].split("/")[1]
                addresses += ["%s/%s" % (ip["address"], prefix) for ip in subnet["ips"]]
                gw = (subnet.get("gateway") or {}).get("address")
                if index == 0 and gateway is None and gw and ":" not in gw:
                    gateway = gw
            out.append(plumbing.plan(
                vif["id"], vif["address"], vif.get("devname") or ("tap" + vif["id"])[:14], index, instance.uuid,
                addresses, gateway=gateway, mtu=(vif["network"].get("meta") or {}).get("mtu"),
                bridge=None if ovs else osvif.bridge_name, ovs_bridge=osvif.bridge_name if ovs else None))
        return out

    def os_vif_plug(self, instance, network_info):
        """The ports' host side as for a VM (os-vif: the qbr bridge of the
        hybrid firewall, linuxbridge's brq bridge, Open vSwitch's bridge)."""
        osvif_instance = os_vif_util.nova_to_osvif_instance(instance)
        for vif in network_info or []:
            os_vif.plug(os_vif_util.nova_to_osvif_vif(vif), osvif_instance)

    def plug_vifs(self, instance, network_info):
        """nova-compute's start calls this for every running instance: plug
        what is missing (a running container keeps its plugged ports)."""
        self.os_vif_plug(instance, network_info)
        state, pid = self.engine.state(self.container_name(instance))
        if state == "running":
            missing = [item for item in self.plans(instance, network_info)
                       if not self.plumber.link_exists(item["tap"])]
            if missing:
                self.plumber.plug(pid, missing)

    def unplug_vifs(self, instance, network_info):
        self.plumber.unplug(self.plans(instance, network_info))
        osvif_instance = os_vif_util.nova_to_osvif_instance(instance)
        for vif in network_info or []:
            try:
                os_vif.unplug(os_vif_util.nova_to_osvif_vif(vif), osvif_instance)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                LOG.warning("os-vif unplug of port %s: %s", vif["id"], exc, instance=instance)


class DockerDriver(ContainerDriver):
    """compute_driver = stackcraft_docker.DockerDriver: images of
    container_format docker (docker save tarballs)."""

    hypervisor_type = "docker"
    image_container_format = "docker"

    def connect(self):
        return DockerEngine.connect(self.opts.url)


class LxdDriver(ContainerDriver):
    """compute_driver = stackcraft_lxd.LxdDriver: LXD or Incus; images of
    container_format bare with hypervisor_type lxd (unified tarballs)."""

    hypervisor_type = "lxd"
    image_container_format = "bare"

    def connect(self):
        return LxdEngine.connect(self.opts.url)
