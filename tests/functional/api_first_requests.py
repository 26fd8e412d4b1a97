# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Concurrent first requests to freshly restarted OpenStack APIs.

Run on a cloud host as root (it restarts the API units). Each round
restarts every named unit at once, waits until each API answers its
unauthenticated version document (a request that loads the application
but enforces no policy), then sends CONCURRENCY authenticated GETs to
each API at the same moment. Every answer must be 2xx.

Why: an API worker builds its policy enforcer on the first request that
needs it. With several threads per uwsgi worker, concurrent first
requests race on that lazy set-up, and the loser is answered with 403
(keystone's identity:list_regions in the field). A warm API hides this;
only first requests after a restart show it.

    api_first_requests.py --cloud stackcraft-admin \
        --api identity=keystone --api compute=nova-api ... [--rounds 6]

Prints one line per API and round, then a JSON summary; exits 1 when
any answer was not 2xx (or an API did not come back), 2 on bad usage.
Standard library only: it runs on the cloud host's own python3.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osrest import Error, add_cloud_arguments, base_urls, load_cloud, region_of, request, token  # noqa: E402

# Read-only calls that each go through the API's policy engine.
PATHS = {
    "identity": ["/v3/regions", "/v3/endpoints", "/v3/services", "/v3/domains",
                 "/v3/projects", "/v3/users", "/v3/roles", "/v3/role_assignments"],
    "placement": ["/resource_providers", "/resource_classes", "/traits",
                  "/allocation_candidates?resources=VCPU:1"],
    "compute": ["/v2.1/servers/detail", "/v2.1/flavors/detail", "/v2.1/os-hypervisors",
                "/v2.1/os-services", "/v2.1/os-availability-zone/detail", "/v2.1/limits",
                "/v2.1/os-keypairs", "/v2.1/os-aggregates"],
    "network": ["/v2.0/networks", "/v2.0/ports", "/v2.0/subnets", "/v2.0/security-groups",
                "/v2.0/agents", "/v2.0/extensions", "/v2.0/availability_zones"],
    "image": ["/v2/images", "/v2/schemas/image", "/v2/schemas/images", "/v2/info/import"],
}
HEADERS = {"placement": {"OpenStack-API-Version": "placement 1.10"}}


def wait_up(base, deadline):
    while time.monotonic() < deadline:
        try:
            status = request(base + "/", timeout=5)[0]
            if status < 500:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def fire(targets, concurrency, auth_token):
    """targets: {api: base}; concurrency GETs per API, all released at once."""
    jobs = []
    for api, base in targets.items():
        paths = PATHS[api]
        for i in range(concurrency):
            jobs.append((api, base + paths[i % len(paths)]))
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def one(index, api, url):
        headers = {"X-Auth-Token": auth_token, **HEADERS.get(api, {})}
        barrier.wait()
        try:
            status, body = request(url, headers=headers)[::2]
            results[index] = (api, url, status, body[:200].decode(errors="replace"))
        except OSError as err:
            results[index] = (api, url, 0, str(err))

    threads = [threading.Thread(target=one, args=(i, api, url)) for i, (api, url) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    add_cloud_arguments(parser)
    parser.add_argument("--interface", default="internal")
    parser.add_argument("--api", action="append", required=True, metavar="TYPE=UNIT",
                        help="service type (%s) and the unit to restart" % ", ".join(PATHS))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--timeout", type=int, default=180, help="seconds for an API to come back")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows through ssh/Ansible as it happens

    apis = {}
    for spec in args.api:
        api, unit = spec.split("=", 1) if "=" in spec else (spec, "")
        if api not in PATHS or not unit:
            parser.error(f"--api {spec}: want TYPE=UNIT with TYPE one of {', '.join(PATHS)}")
        apis[api] = unit
    if args.rounds < 1 or args.concurrency < 1:
        parser.error("--rounds and --concurrency must be at least 1")

    try:
        cloud = load_cloud(args.clouds_yaml, args.cloud)
        # Fernet tokens stay valid across restarts: one token for all rounds.
        auth_token, tok = token(cloud)
    except Error as err:
        raise SystemExit(str(err)) from None
    bases = base_urls(tok["catalog"], region_of(cloud), args.interface)
    missing = sorted(set(apis) - set(bases))
    if missing:
        raise SystemExit(f"not in the catalog ({args.interface}): {', '.join(missing)}")
    targets = {api: bases[api] for api in apis}

    summary = {api: {"requests": 0, "non_2xx": 0, "rounds_with_failures": 0} for api in apis}
    samples = []
    failed = False
    for rnd in range(1, args.rounds + 1):
        t0 = time.monotonic()
        subprocess.run(["systemctl", "restart", *apis.values()], check=True)
        deadline = time.monotonic() + args.timeout
        down = [api for api, base in targets.items() if not wait_up(base, deadline)]
        if down:
            print(f"round {rnd}: not back within {args.timeout} s: {', '.join(down)}")
            failed = True
            break
        t1 = time.monotonic()
        results = fire(targets, args.concurrency, auth_token)
        print(f"round {rnd}: restart until answering {t1 - t0:.1f} s, requests {time.monotonic() - t1:.1f} s")
        for api in apis:
            mine = [r for r in results if r[0] == api]
            bad = [r for r in mine if not 200 <= r[2] < 300]
            summary[api]["requests"] += len(mine)
            summary[api]["non_2xx"] += len(bad)
            summary[api]["rounds_with_failures"] += bool(bad)
            codes = sorted({r[2] for r in mine})
            print(f"round {rnd} {api}: {len(mine) - len(bad)}/{len(mine)} 2xx, statuses {codes}")
            samples.extend(bad[: max(0, 3 - len(samples))])
            failed |= bool(bad)
    print(json.dumps({"rounds": args.rounds, "concurrency": args.concurrency,
                      "apis": summary, "failed": failed,
                      "samples": [{"url": s[1], "status": s[2], "body": s[3]} for s in samples]}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
