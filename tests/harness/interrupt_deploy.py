# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Kill a deploy with SIGKILL while the target runs a given step.

    python3 tests/harness/interrupt_deploy.py --host 10.213.0.11 --key id_ed25519 \\
        --at 'keystone-manage .*? bootstrap' --at 'nova-manage .*? cell_v2 create_cell' \\
        -- ansible-playbook -i INVENTORY site.yml

For each --at, in order: run the command (from the start each time, as a
user reruns it), watch the target until a process whose command line
matches the pattern (a Python regex) runs, then send SIGKILL to the whole
command (ansible-playbook and its ssh connections) and, on the target, to
that process and its parents up to the SSH session (the Ansible module), so
the step dies half-way.
Fails when the command ends before the step was seen (nothing would have
been interrupted) or when the step never shows up within --timeout.
Prints each kill: when, which process, how long the run had lasted.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time


def ssh_argv(args, script):
    return ["ssh", "-i", args.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            f"{args.user}@{args.host}", script]


# Runs on the target (python3 -c): poll every 0.1 s for a process matching
# the regex (not itself), then SIGKILL it and the two processes above it
# (the Ansible module and its shell; never the SSH session), so nothing on
# the target finishes the step after the controller died.
WATCH = r"""
import os, re, signal, sys, time
regex, timeout = re.compile(sys.argv[1]), float(sys.argv[2])
def procs():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        yield int(pid), cmd, stat[stat.index("(") + 1:stat.rindex(")")], int(stat[stat.rindex(")") + 2:].split()[1])
deadline = time.monotonic() + timeout
while True:
    table = {pid: (cmd, comm, ppid) for pid, cmd, comm, ppid in procs()}
    me, pid = set(), os.getpid()
    while pid > 1 and pid in table:  # this watcher and its shell hold the regex too
        me.add(pid)
        pid = table[pid][2]
    hits = [pid for pid, (cmd, _, _) in table.items() if pid not in me and regex.search(cmd)]
    if hits:
        break
    if time.monotonic() > deadline:
        sys.exit(3)
    time.sleep(0.1)
victims = []
for pid in hits:
    # at most the module's python and its shell above the step; never the
    # SSH session, PID 1 or this watcher's own line
    for _ in range(3):
        if pid <= 1 or pid not in table or pid in me or pid in victims or table[pid][1] in ("sshd", "systemd"):
            break
        victims.append(pid)
        pid = table[pid][2]
for pid in victims:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
for pid in victims:
    # Only the matched part of the step's command line and the names of the
    # processes above it: the rest may hold passwords (a transport URL).
    match = regex.search(table[pid][0])
    print(f"killed {pid}: {match.group(0) if match else table[pid][1]}")
"""


def interrupt(args, pattern):
    t0 = time.monotonic()
    deploy = subprocess.Popen(args.command, start_new_session=True)
    remote = f"python3 -c {shlex.quote(WATCH)} {shlex.quote(pattern)} {args.timeout}"
    watcher = subprocess.Popen(ssh_argv(args, remote),
                               stdout=subprocess.PIPE, text=True)
    try:
        while watcher.poll() is None:
            if deploy.poll() is not None:
                # The step may have shown up just before the end: give the
                # watcher a moment, then stop it.
                try:
                    watcher.wait(2)
                except subprocess.TimeoutExpired:
                    watcher.kill()
                    watcher.wait()
                    raise SystemExit(f"FAILED: the deploy ended (rc {deploy.returncode}) after "
                                     f"{time.monotonic() - t0:.0f} s without running {pattern!r}: "
                                     f"nothing was interrupted")
                break
            time.sleep(0.1)
        seen = watcher.stdout.read()
        if watcher.returncode != 0:
            raise SystemExit(f"FAILED: {pattern!r} did not run on {args.host} within {args.timeout} s "
                             f"(watcher rc {watcher.returncode})")
    finally:
        if deploy.poll() is None:
            os.killpg(deploy.pid, signal.SIGKILL)
            deploy.wait()
    print(f"interrupt_deploy: SIGKILL to the deploy after {time.monotonic() - t0:.0f} s, while {args.host} ran:",
          flush=True)
    for line in seen.splitlines():
        print(f"interrupt_deploy:   {line}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--host", required=True, help="the target to watch (address)")
    parser.add_argument("--user", default="root")
    parser.add_argument("--key", required=True, help="SSH private key for the target")
    parser.add_argument("--at", action="append", required=True, metavar="PATTERN",
                        help="kill when a process matching this Python regex runs on the target (repeatable)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for each step")
    parser.add_argument("command", nargs="+", help="the deploy command, after --")
    args = parser.parse_args()
    for pattern in args.at:
        interrupt(args, pattern)
    return 0


if __name__ == "__main__":
    sys.exit(main())
