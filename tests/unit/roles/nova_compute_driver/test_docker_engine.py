# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The Docker engine's side against a stand-in of the Docker SDK's client."""
import os
import types

import pytest

from stackcraft_virt import docker_engine
from stackcraft_virt.docker_engine import DockerEngine
from stackcraft_virt.engine import EngineError, NotFound


class SdkNotFound(Exception):
    pass


class SdkAPIError(Exception):
    pass


ERRORS = types.SimpleNamespace(NotFound=SdkNotFound, APIError=SdkAPIError)


class Image(object):
    def __init__(self, client):
        self.client = client

    def tag(self, repository, tag):
        self.client.images.tags.add("%s:%s" % (repository, tag))


class Container(object):
    def __init__(self, name, status="created", labels=None):
        self.name, self.status, self.labels = name, status, labels or {}
        self.attrs = {"State": {"Pid": 0}}
        self.calls = []

    def start(self):
        self.calls.append("start")
        self.status = "running"

    def reload(self):
        self.attrs = {"State": {"Pid": 4242 if self.status == "running" else 0}}

    def stop(self, timeout):
        self.calls.append(("stop", timeout))
        self.status = "exited"

    def remove(self, force):
        self.calls.append(("remove", force))

    def logs(self, tail):
        return b"hello \xff\n"


class Client(object):
    def __init__(self, loaded=1):
        client = self
        self.created = []

        class Images(object):
            tags = set()

            def get(self, ref):
                if ref not in self.tags:
                    raise SdkNotFound("No such image: " + ref)

            def load(self, data):
                client.loaded_bytes = data.read()
                return [Image(client)] * loaded

        class Containers(object):
            items = {}

            def get(self, name):
                if name not in self.items:
                    raise SdkNotFound("No such container: " + name)
                return self.items[name]

            def create(self, image, **kwargs):
                client.created.append((image, kwargs))
                self.items[kwargs["name"]] = Container(kwargs["name"], labels=kwargs["labels"])

            def list(self, **kwargs):
                return [c for c in self.items.values() if kwargs["filters"]["label"] in c.labels]

        self.images, self.containers = Images(), Containers()
        self.images.tags = set()
        self.containers.items = {}

    def version(self):
        return {"Version": "26.1.5+dfsg1"}


def engine(**kwargs):
    return DockerEngine(Client(**kwargs), errors=ERRORS)


def test_image_loaded_once_from_glance_and_the_tarball_removed(tmp_path, fetcher):
    eng = engine()
    fetch = fetcher(b"tarball")
    fetched = fetch.paths
    assert eng.ensure_image("img-1", fetch, str(tmp_path)) == "nova-glance:img-1"
    assert eng.client.loaded_bytes == b"tarball"
    assert eng.ensure_image("img-1", fetch, str(tmp_path)) == "nova-glance:img-1"
    assert len(fetched) == 1 and not os.path.exists(fetched[0])
    assert os.listdir(str(tmp_path)) == []


def test_a_tarball_without_an_image_is_refused(tmp_path):
    with pytest.raises(EngineError, match="holds no image"):
        engine(loaded=0).ensure_image("img-2", lambda path: None, str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def test_container_without_dockers_network_with_the_flavors_limits():
    eng = engine()
    eng.create("nova-u1", "nova-glance:img-1", "vm1", 256, 2, "u1")
    image, kwargs = eng.client.created[0]
    assert image == "nova-glance:img-1"
    assert kwargs == dict(name="nova-u1", hostname="vm1", network_mode="none", mem_limit="256m",
                          nano_cpus=2 * 10 ** 9, labels={docker_engine.INSTANCE_LABEL: "u1"}, detach=True,
                          tty=True, stdin_open=True)
    assert eng.state("nova-u1") == ("stopped", None)
    assert eng.start("nova-u1") == 4242
    assert eng.state("nova-u1") == ("running", 4242)
    # Running already: not started again.
    assert eng.start("nova-u1") == 4242
    assert eng.client.containers.items["nova-u1"].calls == ["start"]
    eng.stop("nova-u1", 7)
    assert eng.state("nova-u1") == ("stopped", None)
    assert eng.instances() == {"nova-u1": "u1"}
    assert eng.logs("nova-u1") == "hello \ufffd\n"


def test_missing_containers_and_engine_errors():
    eng = engine()
    assert eng.state("nova-none") == ("missing", None)
    eng.delete("nova-none")
    with pytest.raises(NotFound, match="container nova-none"):
        eng.stop("nova-none")

    def refuse():
        raise SdkAPIError("500 Server Error: cannot connect")

    eng.client.version = refuse
    with pytest.raises(EngineError, match="docker version: 500 Server Error"):
        eng.version()
    assert DockerEngine(Client(), errors=ERRORS).version() == "26.1.5+dfsg1"
