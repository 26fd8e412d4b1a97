# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Data made outside Ansible survives a rerun of site.yml.

    survivor.py create --image guest.qcow2 --network flat   (after the first converge)
    survivor.py check                                        (after site.yml ran again)

create makes a project and a server (with its own image and flavor) and
records their IDs in a state file; check finds the same project and the
same server, ACTIVE, then deletes all of it. Prints what it made or found;
exits 1 when something is missing.
"""

import argparse
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Client, Error, add_cloud_arguments, load_cloud, wait  # noqa: E402


def create(client, args):
    tag = "survivor-" + uuid.uuid4().hex[:6]
    state = {"tag": tag}
    project = client.call("identity", "/v3/projects", "POST", expect=(201,), body={
        "project": {"name": tag, "domain_id": "default", "description": "made outside Ansible"}})["project"]
    state["project"] = project["id"]
    image = client.call("image", "/v2/images", "POST", expect=(201,), body={
        "name": tag, "disk_format": "qcow2", "container_format": "bare", "visibility": "private"})
    state["image"] = image["id"]
    with open(args.image, "rb") as f:
        client.call("image", f"/v2/images/{image['id']}/file", "PUT", expect=(204,), raw=f.read(),
                    headers={"Content-Type": "application/octet-stream"})
    flavor = client.call("compute", "/v2.1/flavors", "POST", body={"flavor": {
        "name": tag, "ram": 256, "vcpus": 1, "disk": 1}})["flavor"]
    state["flavor"] = flavor["id"]
    nets = client.call("network", f"/v2.0/networks?name={args.network}")["networks"]
    if len(nets) != 1:
        raise Error(f"network {args.network!r}: {len(nets)} found")
    wait("image active", lambda: client.call("image", f"/v2/images/{image['id']}")["status"] == "active", 120)
    server = client.call("compute", "/v2.1/servers", "POST", expect=(202,), body={"server": {
        "name": tag, "imageRef": image["id"], "flavorRef": flavor["id"], "networks": [{"uuid": nets[0]["id"]}]}})["server"]
    state["server"] = server["id"]
    with open(args.state, "w") as f:
        json.dump(state, f)
    wait(f"server {server['id']} ACTIVE", lambda: client.call(
        "compute", f"/v2.1/servers/{server['id']}")["server"]["status"] == "ACTIVE", args.timeout)
    print(f"made project {tag} ({project['id']}) and server {tag} ({server['id']}, ACTIVE)")


def check(client, args):
    with open(args.state) as f:
        state = json.load(f)
    missing = []
    if client.status("identity", f"/v3/projects/{state['project']}") != 200:
        missing.append(f"project {state['tag']} ({state['project']})")
    server = None
    if client.status("compute", f"/v2.1/servers/{state['server']}") == 200:
        server = client.call("compute", f"/v2.1/servers/{state['server']}")["server"]
    if not server or server["status"] != "ACTIVE":
        missing.append(f"ACTIVE server {state['tag']} ({state['server']}): {server and server['status']}")
    # clean up whatever is there
    for service, path in (("compute", f"/v2.1/servers/{state['server']}"),):
        client.call(service, path, "DELETE", expect=(204, 404))
    wait("server gone", lambda: client.status("compute", f"/v2.1/servers/{state['server']}") == 404, args.timeout)
    for service, path in (("compute", f"/v2.1/flavors/{state['flavor']}"), ("image", f"/v2/images/{state['image']}"),
                          ("identity", f"/v3/projects/{state['project']}")):
        client.call(service, path, "DELETE", expect=(202, 204, 404))
    os.unlink(args.state)
    if missing:
        print("missing after the rerun: " + "; ".join(missing))
        return 1
    print(f"project {state['tag']} and server {state['server']} (ACTIVE) still there after the rerun; deleted now")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("action", choices=["create", "check"])
    add_cloud_arguments(parser)
    parser.add_argument("--state", default="/root/stackcraft-tests/survivor.json")
    parser.add_argument("--image", help="the test guest's qcow2 disk (create)")
    parser.add_argument("--network", default="flat")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    if args.action == "create" and not args.image:
        parser.error("create needs --image")
    try:
        client = Client(load_cloud(args.clouds_yaml, args.cloud))
        if args.action == "create":
            create(client, args)
            return 0
        return check(client, args)
    except Error as err:
        print(f"FAILED: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
