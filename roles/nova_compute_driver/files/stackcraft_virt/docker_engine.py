# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The Docker engine's side of the Docker driver, through the Docker SDK
(Debian's python3-docker) on the engine's local socket.

Images: a glance image with container_format docker holds a `docker save`
tarball; it is loaded once and tagged nova-glance:<image id>, so a second
server of the same image starts without a download. Containers: named
after the instance, labelled with its UUID, without a network of Docker's
(--network none: Neutron's port is plugged into its namespace), limited to
the flavor's memory and CPUs.
"""

from stackcraft_virt.engine import EngineError, NotFound, fetched

INSTANCE_LABEL = "org.openstack.nova.instance"
IMAGE_REPOSITORY = "nova-glance"


def _errors():
    """The SDK's error classes, imported late so this module loads (and
    is tested) without the SDK."""
    import docker.errors  # pylint: disable=import-outside-toplevel
    return docker.errors


class DockerEngine(object):
    kind = "docker"

    def __init__(self, client, errors=None):
        self.client = client
        self.errors = errors or _errors()

    @classmethod
    def connect(cls, url):
        import docker  # pylint: disable=import-outside-toplevel
        return cls(docker.DockerClient(base_url=url, version="auto"))

    def _call(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except self.errors.NotFound as exc:
            raise NotFound("%s: %s" % (what, exc))
        except self.errors.APIError as exc:
            raise EngineError("%s: %s" % (what, exc))

    def version(self):
        """The engine's version, e.g. '26.1.5'."""
        return str(self._call("docker version", self.client.version).get("Version", "0"))

    def image_ref(self, image_id):
        return "%s:%s" % (IMAGE_REPOSITORY, image_id)

    def has_image(self, image_id):
        try:
            self._call("image " + image_id, self.client.images.get, self.image_ref(image_id))
        except NotFound:
            return False
        return True

    def ensure_image(self, image_id, fetch, workdir):
        """Load glance image image_id unless it is here already; fetch(path)
        writes the image's data (a docker save tarball) to path. Returns the
        reference to create containers from."""
        ref = self.image_ref(image_id)
        if self.has_image(image_id):
            return ref
        with fetched(fetch, workdir) as data:
            loaded = self._call("docker load of image " + image_id, self.client.images.load, data)
        if not loaded:
            raise EngineError("image %s: the tarball holds no image (container_format docker needs `docker save` output)"
                              % image_id)
        self._call("docker tag", loaded[0].tag, IMAGE_REPOSITORY, image_id)
        return ref

    def _container(self, name):
        return self._call("container " + name, self.client.containers.get, name)

    def create(self, name, image_ref, hostname, memory_mb, vcpus, instance_uuid):
        """Create (not start) the container of an instance."""
        self._call("docker create " + name, self.client.containers.create, image_ref, name=name, hostname=hostname,
                   network_mode="none", mem_limit="%dm" % int(memory_mb), nano_cpus=int(vcpus) * 10 ** 9,
                   labels={INSTANCE_LABEL: instance_uuid}, detach=True, tty=True, stdin_open=True)

    def start(self, name):
        """Start the container (if it is not running); returns its init's pid."""
        container = self._container(name)
        if container.status != "running":
            self._call("docker start " + name, container.start)
            container.reload()
        return container.attrs.get("State", {}).get("Pid")

    def stop(self, name, timeout=10):
        self._call("docker stop " + name, self._container(name).stop, timeout=int(timeout))

    def delete(self, name):
        """Remove the container, running or not; gone already is fine."""
        try:
            self._call("docker rm " + name, self._container(name).remove, force=True)
        except NotFound:
            pass

    def state(self, name):
        """(state, pid): state one of running, paused, stopped, missing."""
        try:
            container = self._container(name)
        except NotFound:
            return "missing", None
        status = container.status
        if status == "running":
            return "running", container.attrs.get("State", {}).get("Pid")
        if status == "paused":
            return "paused", None
        return "stopped", None

    def instances(self):
        """{container name: instance uuid} of every container of nova's."""
        found = self._call("docker ps", self.client.containers.list, all=True, filters={"label": INSTANCE_LABEL})
        return {container.name: container.labels.get(INSTANCE_LABEL) for container in found}

    def logs(self, name, tail=500):
        data = self._call("docker logs " + name, self._container(name).logs, tail=tail)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
