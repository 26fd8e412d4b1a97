# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Two projects make their own networks, as users do first; report what a probe on each host needs.

setup: the admin creates two projects, each with a member user; each user
creates a network and a subnet by itself (no provider settings: neutron
picks the type of tenant_network_types and a segment). Both subnets have
the same range, with disjoint allocation pools, so an address of the other
project answers only if the segments leak into each other. Then waits
until every network has an active DHCP port on each of --hosts and makes
one probe port per network and host (bound to the host, no port security),
which the caller plugs into a namespace there (project_networks_probe)
and serves by DHCP. Prints JSON: per project the network's type and
segment, its DHCP addresses by host and its probe ports by host.

cleanup: deletes what setup made (by name), so a rerun starts clean.

    project_networks.py setup --hosts compute1,compute2
    project_networks.py cleanup

Run on the identity host (admin cloud of clouds.yaml); exits 1 on failure.
"""

import argparse
import json
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Client, Error, add_cloud_arguments, load_cloud, wait  # noqa: E402

PREFIX = "stackcraft-pn"
PROJECTS = {"a": ("10.50.0.10", "10.50.0.49"), "b": ("10.50.0.50", "10.50.0.89")}
CIDR = "10.50.0.0/24"


def find(items, name):
    return next((i for i in items if i["name"] == name), None)


def cleanup(admin):
    for key in PROJECTS:
        name = f"{PREFIX}-{key}"
        for port in admin.call("network", f"/v2.0/ports?name={name}-probe")["ports"]:
            admin.call("network", f"/v2.0/ports/{port['id']}", "DELETE", expect=(204, 404))
        for net in admin.call("network", f"/v2.0/networks?name={name}")["networks"]:
            admin.call("network", f"/v2.0/networks/{net['id']}", "DELETE", expect=(204, 404))
        for user in admin.call("identity", f"/v3/users?name={name}")["users"]:
            admin.call("identity", f"/v3/users/{user['id']}", "DELETE", expect=(204, 404))
        for project in admin.call("identity", f"/v3/projects?name={name}")["projects"]:
            admin.call("identity", f"/v3/projects/{project['id']}", "DELETE", expect=(204, 404))


def project_user(admin, cloud, key):
    """A project with a member user; returns that user's client."""
    name = f"{PREFIX}-{key}"
    project = admin.call("identity", "/v3/projects", "POST",
                         {"project": {"name": name, "domain_id": "default"}}, expect=(201,))["project"]
    password = secrets.token_urlsafe(24)
    user = admin.call("identity", "/v3/users", "POST",
                      {"user": {"name": name, "domain_id": "default", "password": password,
                                "default_project_id": project["id"]}}, expect=(201,))["user"]
    roles = admin.call("identity", "/v3/roles?name=member")["roles"]
    if not roles:
        raise Error("no role named member")
    admin.call("identity", f"/v3/projects/{project['id']}/users/{user['id']}/roles/{roles[0]['id']}", "PUT",
               expect=(204,))
    auth = dict(cloud["auth"], username=name, password=password, project_name=name,
                user_domain_name="Default", project_domain_name="Default")
    return Client(dict(cloud, auth=auth))


def setup(admin, cloud, hosts):
    cleanup(admin)
    report = {}
    for key, (start, end) in PROJECTS.items():
        name = f"{PREFIX}-{key}"
        user = project_user(admin, cloud, key)
        net = user.call("network", "/v2.0/networks", "POST", {"network": {"name": name}}, expect=(201,))["network"]
        subnet = user.call("network", "/v2.0/subnets", "POST", {"subnet": {
            "name": name, "network_id": net["id"], "ip_version": 4, "cidr": CIDR, "gateway_ip": None,
            "allocation_pools": [{"start": start, "end": end}]}}, expect=(201,))["subnet"]
        seen = admin.call("network", f"/v2.0/networks/{net['id']}")["network"]
        report[key] = {"network_id": net["id"], "subnet_id": subnet["id"], "cidr": CIDR,
                       "project_id": user.project_id,
                       "network_type": seen["provider:network_type"], "segment": seen["provider:segmentation_id"],
                       "mtu": seen["mtu"]}

    for key, info in report.items():
        def dhcp_ports(info=info):
            ports = admin.call("network", f"/v2.0/ports?network_id={info['network_id']}&device_owner=network:dhcp")
            by_host = {p["binding:host_id"]: p["fixed_ips"][0]["ip_address"]
                       for p in ports["ports"] if p["status"] == "ACTIVE" and p["fixed_ips"]}
            return by_host if set(hosts) <= set(by_host) else None
        info["dhcp"] = wait(f"active DHCP ports of project {key} on {', '.join(hosts)}", dhcp_ports, 180, 3)
        info["probes"] = {}
        for host in hosts:
            port = admin.call("network", "/v2.0/ports", "POST", {"port": {
                "name": f"{PREFIX}-{key}-probe", "network_id": info["network_id"], "tenant_id": info["project_id"],
                "binding:host_id": host, "device_owner": "compute:stackcraft-probe",
                "port_security_enabled": False}}, expect=(201,))["port"]
            info["probes"][host] = {"id": port["id"], "mac": port["mac_address"],
                                    "ip": port["fixed_ips"][0]["ip_address"]}
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("action", choices=["setup", "cleanup"])
    parser.add_argument("--hosts", default="", help="comma-separated agent hosts that must serve DHCP")
    add_cloud_arguments(parser)
    args = parser.parse_args()
    cloud = load_cloud(args.clouds_yaml, args.cloud)
    admin = Client(cloud)
    try:
        if args.action == "cleanup":
            cleanup(admin)
            print(json.dumps({"cleaned": True}))
        else:
            print(json.dumps(setup(admin, cloud, [h for h in args.hosts.split(",") if h])))
    except Error as err:
        print(f"FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
