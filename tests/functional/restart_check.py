# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A cloud host restarted comes back without Ansible.

    restart_check.py record   (before the machine is powered off)
    restart_check.py check    (after it was started again)

record writes down the machine's boot (PID 1's start time) and the service
units running now. check fails unless the machine really booted again, then
waits until each of those units runs again (systemd alone, no Ansible), the
cloud answers with every nova service up, and, when survivor.py made a
server before the restart, that server is ACTIVE and its guest runs again
on this host (its compute node: libvirt's domain state). Prints
what it found and how long each took; exits 1 on the first failure.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kill_services import cloud_answers  # noqa: E402
from osrest import Client, Error, add_cloud_arguments, load_cloud, wait  # noqa: E402

# Units of the test's own SSH session: they come and go with the login.
SESSION_UNITS = ("user@", "user-runtime-dir@", "session-")


def boot_mark():
    """PID 1's start time (clock ticks after the kernel's boot): a machine
    (container or VM) started again has a new one."""
    with open("/proc/1/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def running_units():
    out = subprocess.run(["systemctl", "list-units", "--type=service", "--state=running", "--no-legend", "--plain"],
                         check=True, capture_output=True, text=True).stdout
    return sorted(u for u in (line.split()[0] for line in out.splitlines() if line.strip())
                  if not u.startswith(SESSION_UNITS))


def record(args):
    state = {"boot": boot_mark(), "units": running_units()}
    with open(args.state, "w") as f:
        json.dump(state, f)
    print(f"recorded {len(state['units'])} running units before the restart: {' '.join(state['units'])}")


def check(args):
    with open(args.state) as f:
        state = json.load(f)
    if boot_mark() == state["boot"]:
        raise Error("PID 1 is the one from before: the machine did not restart")
    t0 = time.monotonic()

    def all_back():
        missing = sorted(set(state["units"]) - set(running_units()))
        if missing:
            print(f"  not yet running: {' '.join(missing)}")
        return not missing

    wait("every unit that ran before the restart", all_back, args.timeout, 5)
    print(f"{len(state['units'])} of {len(state['units'])} units running again "
          f"{time.monotonic() - t0:.0f} s after the check began")
    services = cloud_answers(args.clouds_yaml, args.cloud, args.timeout)
    print(f"cloud answers; nova services up, each nova-compute serving RPC: {', '.join(services)}")
    if not os.path.exists(args.survivor):
        print("no server made before the restart (no survivor state file): nothing more to check")
        return
    with open(args.survivor) as f:
        server_id = json.load(f)["server"]
    client = Client(load_cloud(args.clouds_yaml, args.cloud))

    def server_running():
        # nova's record of the power state changes only when nova-compute
        # looks, so the guest must really run: libvirt on this host, its
        # compute node (every qemu died with the machine).
        server = client.call("compute", f"/v2.1/servers/{server_id}")["server"]
        status, power = server["status"], server.get("OS-EXT-STS:power_state")
        domain = server["OS-EXT-SRV-ATTR:instance_name"]
        state = subprocess.run(["virsh", "-c", "qemu:///system", "domstate", domain],
                               check=False, capture_output=True, text=True).stdout.strip() or "no domain"
        print(f"  server {server_id}: {status}, power state {power}, libvirt domain {domain} {state}")
        return status == "ACTIVE" and power == 1 and state == "running"

    wait(f"server {server_id} made before the restart running again", server_running, args.timeout, 5)
    print(f"server {server_id} made before the restart is ACTIVE and its guest runs again")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("action", choices=["record", "check"])
    add_cloud_arguments(parser)
    parser.add_argument("--state", default="/root/stackcraft-tests/restart.json")
    parser.add_argument("--survivor", default="/root/stackcraft-tests/survivor.json")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    try:
        if args.action == "record":
            record(args)
        else:
            check(args)
    except Error as err:
        print(f"FAILED: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
