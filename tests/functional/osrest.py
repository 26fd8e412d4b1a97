# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The few OpenStack REST calls the functional tests make, standard library only.

The tests run on a cloud host with its own python3 (Debian 12's or 13's),
whatever openstacksdk that host has: plain REST keeps them the same on both.
"""

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request


class Error(Exception):
    """An API answered something the test did not expect."""


def add_cloud_arguments(parser):
    """--clouds-yaml and --cloud: where the tests find the admin cloud the
    keystone role writes on the identity host."""
    parser.add_argument("--clouds-yaml", default="/root/.config/openstack/clouds.yaml")
    parser.add_argument("--cloud", default="stackcraft-admin")


# https: verified against the cloud's cacert alone once load_cloud has read
# one (a certificate the deployment CA did not sign fails), else against
# the system's store.
_context = ssl.create_default_context()


def load_cloud(path, name):
    """One cloud of a clouds.yaml (the admin cloud the keystone role writes);
    its cacert, if any, becomes the only CA the requests trust."""
    import yaml  # python3-yaml comes with the OpenStack client on every cloud host

    global _context
    with open(path) as f:
        clouds = yaml.safe_load(f)["clouds"]
    if name not in clouds:
        raise Error(f"{path}: no cloud {name!r}")
    if clouds[name].get("cacert"):
        _context = ssl.create_default_context(cafile=clouds[name]["cacert"])
    return clouds[name]


def request(url, method="GET", headers=None, body=None, timeout=60, raw=None):
    """(status, headers, payload bytes); HTTP errors are answers, not exceptions."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if body is not None and raw is None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_context) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def token(cloud):
    """A project-scoped token and the catalog, for the cloud's user."""
    auth = cloud["auth"]
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "password": auth["password"],
            "domain": {"name": auth.get("user_domain_name", "Default")}}}},
        "scope": {"project": {"name": auth["project_name"],
                              "domain": {"name": auth.get("project_domain_name", "Default")}}}}}
    url = auth["auth_url"].rstrip("/")
    if not url.endswith("/v3"):
        url += "/v3"
    status, headers, payload = request(url + "/auth/tokens", "POST", body=body)
    if status != 201:
        raise Error(f"token request failed: HTTP {status}")
    return headers["X-Subject-Token"], json.loads(payload)["token"]


def region_of(cloud):
    """The cloud's region: its region_name, else the first of its regions
    (openstacksdk's list form, names or {name: ...}), else none (any)."""
    if cloud.get("region_name"):
        return cloud["region_name"]
    regions = cloud.get("regions") or []
    if regions:
        first = regions[0]
        return first.get("name") if isinstance(first, dict) else first
    return None


def base_urls(catalog, region, interface):
    """{service type: scheme://host:port[/prefix]} of one interface."""
    bases = {}
    for service in catalog:
        for endpoint in service["endpoints"]:
            if endpoint["interface"] == interface and (not region or endpoint["region"] == region):
                parts = urllib.parse.urlsplit(endpoint["url"])
                # placement may be served under a path; the others at the root
                prefix = parts.path.rstrip("/") if service["type"] == "placement" else ""
                bases[service["type"]] = f"{parts.scheme}://{parts.netloc}{prefix}"
    return bases


class Client:
    """Authenticated JSON calls against the catalog's endpoints."""

    def __init__(self, cloud, interface="internal"):
        self.auth_token, tok = token(cloud)
        self.project_id = tok["project"]["id"]
        self.bases = base_urls(tok["catalog"], region_of(cloud), interface)

    def call(self, service, path, method="GET", body=None, expect=(200,), raw=None, headers=None):
        hdrs = {"X-Auth-Token": self.auth_token, **(headers or {})}
        status, _headers, payload = request(self.bases[service] + path, method, hdrs, body, raw=raw,
                                            timeout=600 if raw is not None else 60)
        if status not in expect:
            raise Error(f"{method} {service} {path}: HTTP {status}: {payload[:300]!r}")
        return json.loads(payload) if payload.strip() else {}

    def status(self, service, path):
        hdrs = {"X-Auth-Token": self.auth_token}
        return request(self.bases[service] + path, headers=hdrs)[0]


def wait(what, check, timeout, interval=2):
    """Poll check() until it returns something true; Error after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise Error(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def network_named(client, name):
    """The id of the one network called name."""
    nets = client.call("network", f"/v2.0/networks?name={name}")["networks"]
    if len(nets) != 1:
        raise Error(f"network {name!r}: {len(nets)} found")
    return nets[0]["id"]


def upload_image(client, name, path, disk_format, container_format, created=None, **props):
    """A private glance image of the file at path, waited for until active;
    created(image id) is called before the upload, so a caller can clean
    up after a failed one."""
    image = client.call("image", "/v2/images", "POST", expect=(201,), body={
        "name": name, "disk_format": disk_format, "container_format": container_format,
        "visibility": "private", **props})
    if created:
        created(image["id"])
    with open(path, "rb") as f:
        client.call("image", f"/v2/images/{image['id']}/file", "PUT", expect=(204,), raw=f.read(),
                    headers={"Content-Type": "application/octet-stream"})
    wait(f"image {name} active", lambda: client.call("image", f"/v2/images/{image['id']}")["status"] == "active", 120)
    return image["id"]
