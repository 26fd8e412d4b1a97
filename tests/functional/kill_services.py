# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Kill services with SIGKILL and expect systemd to bring them back.

Run on a cloud host as root. For each unit in turn: read its main PID,
kill -9 it, and wait until the unit is active again with another main PID
(systemd's restart policy, no Ansible). Then the cloud must answer again:
a token, the compute, network and placement APIs, and every nova service
reported up.

    kill_services.py --unit nova-conductor --unit rabbitmq-server --unit mariadb

Prints what it killed and how long each took to come back, then a JSON
summary; exits 1 when a unit stayed down or the cloud did not answer.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Client, Error, add_cloud_arguments, load_cloud, wait  # noqa: E402


def unit_state(unit):
    out = subprocess.run(["systemctl", "show", "-p", "MainPID,ActiveState,NRestarts", unit],
                         check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def kill_and_wait(unit, timeout):
    before = unit_state(unit)
    pid = int(before.get("MainPID", "0"))
    if before.get("ActiveState") != "active" or pid == 0:
        raise Error(f"{unit} is not running before the test: {before}")
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)

    def back():
        now = unit_state(unit)
        return now if now.get("ActiveState") == "active" and now.get("MainPID") not in ("0", str(pid)) else None

    now = wait(f"{unit} back after kill -9 of {pid}", back, timeout, 0.5)
    return pid, int(now["MainPID"]), time.monotonic() - t0


# GET /os-hypervisors/{id}/uptime (microversion 2.53; gone at 2.88) is an
# RPC call from nova-api to that nova-compute: it answers only once the
# compute service consumes its queue again. A service's "up" alone can be
# the heartbeat from before the fault, and a cast sent while the queue is
# missing (RabbitMQ drops non-durable queues when it restarts) is lost.
UPTIME_VERSION = {"OpenStack-API-Version": "compute 2.53"}


def cloud_answers(clouds_yaml, cloud, timeout):
    """Every API answers, every nova service is up again and every
    nova-compute answers an RPC call."""
    def check():
        try:
            client = Client(load_cloud(clouds_yaml, cloud))
            client.call("compute", "/v2.1/servers")
            client.call("network", "/v2.0/networks")
            client.call("placement", "/resource_providers", headers={"OpenStack-API-Version": "placement 1.10"})
            services = client.call("compute", "/v2.1/os-services")["services"]
            down = [f"{s['binary']}@{s['host']}" for s in services if s["state"] != "up"]
            if down:
                print(f"  not yet: down: {', '.join(down)}")
                return None
            for hypervisor in client.call("compute", "/v2.1/os-hypervisors", headers=UPTIME_VERSION)["hypervisors"]:
                client.call("compute", f"/v2.1/os-hypervisors/{hypervisor['id']}/uptime", headers=UPTIME_VERSION)
        except (Error, OSError) as err:
            print(f"  not yet: {err}")
            return None
        return [f"{s['binary']}@{s['host']}" for s in services]

    return wait("the cloud to answer with every nova service up and serving RPC", check, timeout, 5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    add_cloud_arguments(parser)
    parser.add_argument("--unit", action="append", required=True)
    parser.add_argument("--timeout", type=int, default=180, help="seconds for a unit to come back")
    parser.add_argument("--cloud-timeout", type=int, default=300, help="seconds for the cloud to answer after")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    results, failure = [], None
    t0 = time.monotonic()
    try:
        for unit in args.unit:
            old, new, took = kill_and_wait(unit, args.timeout)
            print(f"{unit}: killed main PID {old} (SIGKILL); systemd started PID {new} after {took:.1f} s")
            results.append({"unit": unit, "killed": old, "new": new, "seconds": round(took, 1)})
        services = cloud_answers(args.clouds_yaml, args.cloud, args.cloud_timeout)
        print(f"cloud answers; nova services up, each nova-compute serving RPC: {', '.join(services)}")
    except Error as err:
        failure = str(err)
        print(f"FAILED: {failure}")
    print(json.dumps({"units": results, "failure": failure, "seconds": round(time.monotonic() - t0)}))
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
