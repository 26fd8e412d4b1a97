# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Boot a server on one compute host and wait until it has its DHCP lease and its SSH key from the metadata service.

The multi_host check: run it after the DHCP and metadata agents (and their
dnsmasq and metadata proxies) of some hosts were stopped; the guest must
still come up through the agents of the other hosts. Run on a host with
the admin cloud of clouds.yaml (the identity host). The guest's console
tells what it got (tests/images/guest/init); the server is deleted again.

    multi_host.py --image guest.qcow2 --network flat --host compute1

Prints the guest's network lines and a JSON summary; exits 1 on failure.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from churn import Churn, server_arguments  # noqa: E402
from osrest import Client, Error, load_cloud, wait  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    server_arguments(parser)
    parser.add_argument("--host", required=True, help="nova's name of the compute host to boot on")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    churn = Churn(Client(load_cloud(args.clouds_yaml, args.cloud)), args)
    t0, sid, result = time.monotonic(), None, {"host": args.host, "ok": False}
    try:
        churn.setup()
        sid = churn.boot(churn.tag + "-mh", False, zone="nova:" + args.host)

        def active():
            srv = churn.server(sid)
            if srv["status"] == "ERROR":
                raise Error(f"server {sid} ERROR: {srv.get('fault', {}).get('message')}")
            return srv if srv["status"] == "ACTIVE" else None

        srv = wait(f"server {sid} ACTIVE", active, args.boot_timeout)
        result["compute_host"] = srv.get("OS-EXT-SRV-ATTR:host")
        if result["compute_host"] != args.host:
            raise Error(f"server {sid} landed on {result['compute_host']}, not {args.host}")

        def marker():
            text = churn.console(sid)
            return text if "stackcraft-guest: ready" in text or "stackcraft-guest: FAILED" in text else None

        out = wait(f"server {sid} console marker", marker, args.ready_timeout, 5)
        lines = [line for line in out.splitlines() if "stackcraft-guest:" in line]
        print("\n".join(lines))
        for want in ("stackcraft-guest: ready", "stackcraft-guest: ssh key installed (metadata"):
            if want not in out:
                raise Error(f"server {sid}: console lacks {want!r}")
        result.update(ok=True, seconds=round(time.monotonic() - t0))
    except Error as err:
        result["error"] = str(err)
    finally:
        if sid:
            try:
                churn.c.call("compute", f"/v2.1/servers/{sid}", "DELETE", expect=(204,))
                wait(f"server {sid} gone", lambda: churn.c.status("compute", f"/v2.1/servers/{sid}") == 404, 300)
            except Error as err:
                print(f"cleanup: {err}")
        churn.teardown()
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
