# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The LXD (or Incus: the same REST API) side of the LXD driver, on the
daemon's local socket with the standard library (Debian 13 has no
python3-pylxd).

Images: a glance image (container_format bare, property hypervisor_type
lxd) holds an LXD unified tarball (metadata.yaml and rootfs/); it is
imported once and named by the alias nova-glance-<image id>. Containers:
named after the instance, its UUID in the config key user.nova_instance,
no NIC from the daemon (Neutron's port is plugged into the namespace),
limited to the flavor's memory and CPUs.
"""

import hashlib
import http.client
import json
import socket
import urllib.parse

from stackcraft_virt.engine import EngineError, NotFound, fetched

INSTANCE_KEY = "user.nova_instance"
ALIAS_PREFIX = "nova-glance-"


class UnixConnection(http.client.HTTPConnection):
    """HTTP on a unix socket."""

    def __init__(self, path, timeout):
        super(UnixConnection, self).__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class LxdApi(object):
    """The daemon's REST API: JSON requests, asynchronous operations waited
    for; a 404 raises NotFound, any other error EngineError."""

    def __init__(self, socket_path, timeout=300):
        self.socket_path = socket_path
        self.timeout = timeout

    def raw(self, method, path, body=None, headers=None):
        """(status, content type, payload bytes)."""
        conn = UnixConnection(self.socket_path, self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise EngineError("%s %s: %s" % (method, path, exc))
        finally:
            conn.close()

    def call(self, method, path, body=None, data=None, headers=None):
        """The metadata of the answer; an operation's once it has ended."""
        if body is not None:
            data, headers = json.dumps(body).encode(), dict(headers or {}, **{"Content-Type": "application/json"})
        status, _ctype, payload = self.raw(method, path, data, headers)
        try:
            answer = json.loads(payload.decode("utf-8") or "{}")
        except ValueError:
            raise EngineError("%s %s: HTTP %s, not JSON: %r" % (method, path, status, payload[:200]))
        if status == 404 or answer.get("error_code") == 404:
            raise NotFound("%s %s: %s" % (method, path, answer.get("error") or "not found"))
        if status >= 400 or answer.get("type") == "error":
            raise EngineError("%s %s: HTTP %s: %s" % (method, path, status, answer.get("error")))
        if answer.get("type") == "async":
            return self.wait(answer["operation"], "%s %s" % (method, path))
        return answer.get("metadata")

    def wait(self, operation, what):
        done = self.call("GET", "%s/wait?timeout=%d" % (operation, self.timeout))
        if (done or {}).get("status") != "Success":
            raise EngineError("%s: %s" % (what, (done or {}).get("err") or done))
        return done.get("metadata")


class LxdEngine(object):
    kind = "lxd"

    def __init__(self, api):
        self.api = api

    @classmethod
    def connect(cls, socket_path):
        return cls(LxdApi(socket_path))

    @staticmethod
    def _path(name, *rest):
        return "/".join(["/1.0/instances", urllib.parse.quote(name, safe="")] + list(rest))

    def version(self):
        return str(self.api.call("GET", "/1.0").get("environment", {}).get("server_version", "0"))

    def image_ref(self, image_id):
        return ALIAS_PREFIX + image_id

    def has_image(self, image_id):
        try:
            self.api.call("GET", "/1.0/images/aliases/" + self.image_ref(image_id))
        except NotFound:
            return False
        return True

    def ensure_image(self, image_id, fetch, workdir):
        """Import glance image image_id (a unified tarball) unless it is here;
        returns the alias to create containers from. A tarball imported
        already (another glance image of the same data) only gets the alias."""
        alias = self.image_ref(image_id)
        if self.has_image(image_id):
            return alias
        with fetched(fetch, workdir) as data:
            digest = hashlib.sha256()
            for chunk in iter(lambda: data.read(1 << 20), b""):
                digest.update(chunk)
            fingerprint = digest.hexdigest()
            try:
                self.api.call("GET", "/1.0/images/" + fingerprint)
            except NotFound:
                data.seek(0)
                self.api.call("POST", "/1.0/images", data=data.read(),
                              headers={"Content-Type": "application/octet-stream", "X-LXD-public": "0"})
        self.api.call("POST", "/1.0/images/aliases",
                      body={"name": alias, "target": fingerprint, "description": "glance image " + image_id})
        return alias

    def create(self, name, image_ref, hostname, memory_mb, vcpus, instance_uuid):
        self.api.call("POST", "/1.0/instances", body={
            "name": name, "type": "container",
            "source": {"type": "image", "alias": image_ref},
            "config": {INSTANCE_KEY: instance_uuid, "limits.memory": "%dMB" % int(memory_mb),
                       "limits.cpu": str(int(vcpus))},
            # The root disk of the default profile, no NIC of the daemon's.
            "profiles": ["default"],
            "devices": {},
        })

    def _status(self, name):
        return self.api.call("GET", self._path(name)).get("status")

    def _pid(self, name):
        return self.api.call("GET", self._path(name, "state")).get("pid")

    def _set_state(self, name, **body):
        self.api.call("PUT", self._path(name, "state"), body=body)

    def start(self, name):
        if self._status(name) != "Running":
            self._set_state(name, action="start", timeout=30)
        return self._pid(name)

    def stop(self, name, timeout=10):
        """A clean stop (SIGPWR to the container's init) for timeout
        seconds, then a forced one."""
        if self._status(name) == "Stopped":
            return
        try:
            self._set_state(name, action="stop", timeout=int(timeout))
        except EngineError:
            self._set_state(name, action="stop", force=True)

    def delete(self, name):
        try:
            if self._status(name) != "Stopped":
                self._set_state(name, action="stop", force=True)
            self.api.call("DELETE", self._path(name))
        except NotFound:
            pass

    def state(self, name):
        try:
            status = self._status(name)
        except NotFound:
            return "missing", None
        if status == "Running":
            return "running", self._pid(name)
        if status == "Frozen":
            return "paused", None
        return "stopped", None

    def instances(self):
        found = self.api.call("GET", "/1.0/instances?recursion=1") or []
        return {inst["name"]: inst["config"][INSTANCE_KEY] for inst in found
                if INSTANCE_KEY in (inst.get("config") or {})}

    def logs(self, name):
        status, _ctype, payload = self.api.raw("GET", self._path(name, "console"))
        if status == 404:
            raise NotFound("console log of %s" % name)
        if status >= 400:
            raise EngineError("console log of %s: HTTP %s" % (name, status))
        return payload.decode("utf-8", "replace")
