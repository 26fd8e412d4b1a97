# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The LXD (or Incus: the same REST API) side of the LXD driver, through
pylxd (Debian's python3-pylxd) on the daemon's local socket.

Images: a glance image (container_format bare, property hypervisor_type
lxd) holds an LXD unified tarball (metadata.yaml and rootfs/); it is
imported once under the alias nova-glance-<image id>. Containers: named
after the instance, its UUID in the config key user.nova_instance, no
NIC from LXD (Neutron's port is plugged into the namespace), limited to
the flavor's memory and CPUs.
"""

from stackcraft_virt.engine import EngineError, NotFound, fetched

INSTANCE_KEY = "user.nova_instance"
ALIAS_PREFIX = "nova-glance-"


def _errors():
    import pylxd.exceptions  # pylint: disable=import-outside-toplevel
    return pylxd.exceptions


class LxdEngine(object):
    kind = "lxd"

    def __init__(self, client, errors=None):
        self.client = client
        self.errors = errors or _errors()
        # pylxd 2.3 has instances; 2.2 (Debian 12) containers.
        self.endpoint = "instances" if getattr(client, "instances", None) is not None else "containers"
        self.instances_api = getattr(client, self.endpoint)

    @classmethod
    def connect(cls, socket_path):
        import pylxd  # pylint: disable=import-outside-toplevel
        return cls(pylxd.Client(endpoint=socket_path))

    def _call(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except self.errors.NotFound as exc:
            raise NotFound("%s: %s" % (what, exc))
        except self.errors.LXDAPIException as exc:
            raise EngineError("%s: %s" % (what, exc))

    def version(self):
        info = self._call("server info", lambda: self.client.host_info)
        return str(info.get("environment", {}).get("server_version", "0"))

    def image_ref(self, image_id):
        return ALIAS_PREFIX + image_id

    def has_image(self, image_id):
        try:
            self._call("image " + image_id, self.client.images.get_by_alias, self.image_ref(image_id))
        except NotFound:
            return False
        return True

    def ensure_image(self, image_id, fetch, workdir):
        """Import glance image image_id (a unified tarball) unless it is here;
        returns the alias to create containers from."""
        alias = self.image_ref(image_id)
        if self.has_image(image_id):
            return alias
        with fetched(fetch, workdir) as data:
            image = self._call("import of image " + image_id, self.client.images.create, data.read(),
                               public=False, wait=True)
        self._call("alias of image " + image_id, image.add_alias, alias, "glance image " + image_id)
        return alias

    def _instance(self, name):
        return self._call("container " + name, self.instances_api.get, name)

    def create(self, name, image_ref, hostname, memory_mb, vcpus, instance_uuid):
        config = {
            "name": name,
            "source": {"type": "image", "alias": image_ref},
            "config": {INSTANCE_KEY: instance_uuid, "limits.memory": "%dMB" % int(memory_mb),
                       "limits.cpu": str(int(vcpus))},
            # The root disk of the default profile, no NIC of LXD's.
            "profiles": ["default"],
            "devices": {},
        }
        self._call("create " + name, self.instances_api.create, config, wait=True)

    def start(self, name):
        instance = self._instance(name)
        if instance.status != "Running":
            self._call("start " + name, instance.start, wait=True)
        return self._call("state of " + name, instance.state).pid

    def stop(self, name, timeout=10):
        instance = self._instance(name)
        if instance.status != "Stopped":
            self._call("stop " + name, instance.stop, timeout=int(timeout), force=True, wait=True)

    def delete(self, name):
        try:
            self.stop(name, 1)
            self._call("delete " + name, self._instance(name).delete, wait=True)
        except NotFound:
            pass

    def state(self, name):
        try:
            instance = self._instance(name)
        except NotFound:
            return "missing", None
        if instance.status == "Running":
            return "running", self._call("state of " + name, instance.state).pid
        if instance.status == "Frozen":
            return "paused", None
        return "stopped", None

    def instances(self):
        found = self._call("list", self.instances_api.all, recursion=1)
        return {inst.name: inst.config.get(INSTANCE_KEY) for inst in found if INSTANCE_KEY in (inst.config or {})}

    def logs(self, name):
        response = self._call("console log of " + name, self.client.api[self.endpoint][name].console.get)
        return response.text
