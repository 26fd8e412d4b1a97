# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""The LXD engine's side against a stand-in daemon on a real unix socket:
the requests LXD 5 and Incus 6 answer (synchronous and asynchronous
operations, errors), as far as the engine uses them."""
import hashlib
import json
import os
import socketserver
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from stackcraft_virt.engine import EngineError, NotFound
from stackcraft_virt.lxd_engine import INSTANCE_KEY, LxdApi, LxdEngine


class Daemon(object):
    """What the stand-in daemon holds, and the requests it saw."""

    def __init__(self):
        self.images, self.aliases, self.instances, self.requests = {}, {}, {}, []
        self.refuse_create = None
        self.refuse_clean_stop = False


def handler_for(daemon):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, doc=None, raw=None):
            data = raw if raw is not None else json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def sync(self, metadata=None):
            self.answer(200, {"type": "sync", "status_code": 200, "metadata": metadata})

        def operation(self, err=""):
            """An async answer; the operation's wait says how it ended."""
            op = "/1.0/operations/op%d" % len(daemon.requests)
            daemon.operations = getattr(daemon, "operations", {})
            daemon.operations[op] = err
            self.answer(202, {"type": "async", "status_code": 100, "operation": op, "metadata": {}})

        def error(self, code, text):
            self.answer(code, {"type": "error", "error_code": code, "error": text})

        def body(self):
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            return json.loads(data) if self.headers.get("Content-Type") == "application/json" else data

        def route(self, method):
            path, body = self.path, self.body()
            daemon.requests.append((method, path, body if not isinstance(body, bytes) else len(body)))
            parts = path.split("?")[0].strip("/").split("/")
            if path == "/1.0":
                return self.sync({"environment": {"server_version": "5.0.2"}})
            if path.startswith("/1.0/operations/"):
                err = daemon.operations[path.split("/wait")[0]]
                return self.sync({"status": "Failure" if err else "Success", "err": err, "metadata": {}})
            if parts[:3] == ["1.0", "images", "aliases"]:
                if method == "POST":
                    daemon.aliases[body["name"]] = body["target"]
                    return self.sync()
                return self.sync({"target": daemon.aliases[parts[3]]}) if parts[3] in daemon.aliases \
                    else self.error(404, "Image alias not found")
            if parts[:2] == ["1.0", "images"]:
                if method == "POST":
                    daemon.images[hashlib.sha256(body).hexdigest()] = body
                    return self.operation()
                return self.sync({}) if parts[2] in daemon.images else self.error(404, "Image not found")
            if path == "/1.0/instances" and method == "POST":
                if daemon.refuse_create:
                    return self.operation(daemon.refuse_create)
                daemon.instances[body["name"]] = dict(body, status="Stopped")
                return self.operation()
            if path == "/1.0/instances?recursion=1":
                return self.sync([{"name": n, "config": i["config"]} for n, i in daemon.instances.items()])
            inst = daemon.instances.get(parts[2]) if len(parts) > 2 else None
            if inst is None:
                return self.error(404, "Instance not found")
            sub = parts[3] if len(parts) > 3 else ""
            if sub == "" and method == "GET":
                return self.sync({"status": inst["status"], "config": inst["config"]})
            if sub == "" and method == "DELETE":
                del daemon.instances[parts[2]]
                return self.operation()
            if sub == "state" and method == "GET":
                return self.sync({"pid": 5151 if inst["status"] == "Running" else 0})
            if sub == "state" and method == "PUT":
                if body["action"] == "stop" and not body.get("force") and daemon.refuse_clean_stop:
                    return self.operation("Failed shutting down instance, status is \"Running\": timeout")
                inst["status"] = "Running" if body["action"] == "start" else "Stopped"
                return self.operation()
            if sub == "console":
                return self.answer(200, raw=b"stackcraft-container: ready\n")
            return self.error(400, "unexpected request")

        def do_GET(self):
            self.route("GET")

        def do_POST(self):
            self.route("POST")

        def do_PUT(self):
            self.route("PUT")

        def do_DELETE(self):
            self.route("DELETE")

    return Handler


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def daemon(tmp_path):
    state = Daemon()
    path = str(tmp_path / "unix.socket")
    server = UnixServer(path, handler_for(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.socket = path
    yield state
    server.shutdown()
    server.server_close()


def test_unified_tarball_imported_once_under_its_alias(daemon, tmp_path, fetcher):
    eng = LxdEngine.connect(daemon.socket)
    work = tmp_path / "work"
    work.mkdir()
    fetch = fetcher(b"unified")
    assert eng.version() == "5.0.2"
    assert eng.ensure_image("img-1", fetch, str(work)) == "nova-glance-img-1"
    assert eng.ensure_image("img-1", fetch, str(work)) == "nova-glance-img-1"
    assert len(fetch.paths) == 1 and os.listdir(str(work)) == []
    assert list(daemon.images.values()) == [b"unified"]
    # The same data as another glance image: only an alias more.
    assert eng.ensure_image("img-2", fetcher(b"unified"), str(work)) == "nova-glance-img-2"
    assert len(daemon.images) == 1 and set(daemon.aliases) == {"nova-glance-img-1", "nova-glance-img-2"}


def test_container_life(daemon):
    eng = LxdEngine.connect(daemon.socket)
    eng.create("nova-u1", "nova-glance-img-1", "vm1", 256, 2, "u1")
    created = daemon.instances["nova-u1"]
    assert created["source"] == {"type": "image", "alias": "nova-glance-img-1"}
    assert created["config"] == {INSTANCE_KEY: "u1", "limits.memory": "256MB", "limits.cpu": "2"}
    assert created["devices"] == {} and created["type"] == "container"
    assert eng.state("nova-u1") == ("stopped", None)
    assert eng.start("nova-u1") == 5151
    assert eng.state("nova-u1") == ("running", 5151)
    assert eng.instances() == {"nova-u1": "u1"}
    assert eng.logs("nova-u1") == "stackcraft-container: ready\n"
    eng.stop("nova-u1", 7)
    assert [r for r in daemon.requests if r[0] == "PUT"][-1] == (
        "PUT", "/1.0/instances/nova-u1/state", {"action": "stop", "timeout": 7})
    eng.start("nova-u1")
    eng.delete("nova-u1")
    assert eng.state("nova-u1") == ("missing", None)
    eng.delete("nova-u1")
    with pytest.raises(NotFound):
        eng.start("nova-u1")


def test_a_stop_that_times_out_is_forced(daemon):
    eng = LxdEngine.connect(daemon.socket)
    eng.create("nova-u2", "nova-glance-img-1", "vm2", 128, 1, "u2")
    eng.start("nova-u2")
    daemon.refuse_clean_stop = True
    eng.stop("nova-u2", 1)
    assert [r[2] for r in daemon.requests if r[0] == "PUT"][-2:] == [
        {"action": "stop", "timeout": 1}, {"action": "stop", "force": True}]
    assert eng.state("nova-u2") == ("stopped", None)


def test_errors_name_the_request(daemon, tmp_path):
    eng = LxdEngine.connect(daemon.socket)
    daemon.refuse_create = "Failed creating instance record: Storage pool not found"
    with pytest.raises(EngineError, match="POST /1.0/instances: Failed creating instance record"):
        eng.create("nova-u1", "nova-glance-img-1", "vm1", 256, 1, "u1")
    with pytest.raises(EngineError, match="No such file or directory"):
        LxdApi(str(tmp_path / "missing.socket")).call("GET", "/1.0")
