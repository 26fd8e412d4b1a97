# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The LXD engine's side against a stand-in of pylxd's client (2.3's
instances and 2.2's containers)."""
import os
import types

import pytest

from stackcraft_virt.engine import EngineError, NotFound
from stackcraft_virt.lxd_engine import INSTANCE_KEY, LxdEngine


class ApiNotFound(Exception):
    pass


class ApiError(Exception):
    pass


ERRORS = types.SimpleNamespace(NotFound=ApiNotFound, LXDAPIException=ApiError)


class Instance(object):
    def __init__(self, name, config):
        self.name, self.config, self.status, self.calls = name, config, "Stopped", []

    def start(self, wait):
        self.calls.append("start")
        self.status = "Running"

    def stop(self, timeout, force, wait):
        self.calls.append(("stop", timeout, force))
        self.status = "Stopped"

    def delete(self, wait):
        self.calls.append("delete")
        self.owner.items.pop(self.name)

    def state(self):
        return types.SimpleNamespace(pid=5151 if self.status == "Running" else 0)


class Manager(object):
    def __init__(self):
        self.items, self.created = {}, []

    def get(self, name):
        if name not in self.items:
            raise ApiNotFound("not found")
        return self.items[name]

    def create(self, config, wait):
        self.created.append(config)
        inst = Instance(config["name"], config["config"])
        inst.owner = self
        self.items[config["name"]] = inst

    def all(self, recursion):
        return list(self.items.values())


class Image(object):
    def __init__(self, client):
        self.client = client

    def add_alias(self, name, description):
        self.client.aliases.add(name)


class Client(object):
    def __init__(self, old=False):
        client = self
        self.aliases = set()
        if old:
            self.containers = Manager()
        else:
            self.instances = Manager()

        class Images(object):
            def get_by_alias(self, alias):
                if alias not in client.aliases:
                    raise ApiNotFound("not found")

            def create(self, data, public, wait):
                client.imported = data
                return Image(client)

        self.images = Images()
        self.host_info = {"environment": {"server_version": "5.0.2"}}
        console = types.SimpleNamespace(get=lambda: types.SimpleNamespace(text="booted\\n"))
        self.api = {"instances": {"nova-u1": types.SimpleNamespace(console=console)},
                    "containers": {"nova-u1": types.SimpleNamespace(console=console)}}


def test_unified_tarball_imported_once_under_its_alias(tmp_path, fetcher):
    eng = LxdEngine(Client(), errors=ERRORS)
    fetch = fetcher(b"unified")
    fetched = fetch.paths
    assert eng.ensure_image("img-1", fetch, str(tmp_path)) == "nova-glance-img-1"
    assert eng.ensure_image("img-1", fetch, str(tmp_path)) == "nova-glance-img-1"
    assert len(fetched) == 1 and eng.client.imported == b"unified" and os.listdir(str(tmp_path)) == []
    assert eng.version() == "5.0.2"


@pytest.mark.parametrize("old", [False, True])
def test_container_life_on_pylxd_2_2_and_2_3(old):
    eng = LxdEngine(Client(old=old), errors=ERRORS)
    eng.create("nova-u1", "nova-glance-img-1", "vm1", 256, 2, "u1")
    created = eng.instances_api.created[0]
    assert created["source"] == {"type": "image", "alias": "nova-glance-img-1"}
    assert created["config"] == {INSTANCE_KEY: "u1", "limits.memory": "256MB", "limits.cpu": "2"}
    assert created["devices"] == {}
    assert eng.state("nova-u1") == ("stopped", None)
    assert eng.start("nova-u1") == 5151
    assert eng.state("nova-u1") == ("running", 5151)
    assert eng.instances() == {"nova-u1": "u1"}
    assert eng.logs("nova-u1") == "booted\\n"
    eng.delete("nova-u1")
    assert eng.state("nova-u1") == ("missing", None)
    eng.delete("nova-u1")
    with pytest.raises(NotFound):
        eng.stop("nova-u1")


def test_api_errors_name_the_request():
    eng = LxdEngine(Client(), errors=ERRORS)

    def refuse(config, wait):
        raise ApiError("Failed creating instance record: Storage pool not found")

    eng.instances_api.create = refuse
    with pytest.raises(EngineError, match="create nova-u1: Failed creating instance record"):
        eng.create("nova-u1", "nova-glance-img-1", "vm1", 256, 1, "u1")
