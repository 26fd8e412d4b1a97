# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the nova_compute_driver role took in a site.yml log timed by
ansible.posix.profile_roles (or profile_tasks): its tasks from the first
to the end of its play, the start of its units (common's service_start)
and the discovery of its services into their cells (nova_cell).

Usage: python3 driver_role.py LOG
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'aio.d'))
from profile_summary import TIMING, durations  # noqa: E402  pylint: disable=wrong-import-position

ROLE = 'TASK [stackcraft.openstack.nova_compute_driver :'


def main():
    with open(sys.argv[1], encoding='utf-8') as log:
        lines = log.read().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(ROLE))
    play = next(i for i in range(first, len(lines)) if lines[i].startswith('PLAY ['))
    # The next play's first timing line closes the role's last task.
    close = next(i for i in range(play, len(lines)) if TIMING.search(lines[i]))
    tasks = durations(lines[first:close + 1])
    starts = sum(secs for name, secs in tasks if name.endswith('service_start | Enable and start the services'))
    found = sum(secs for name, secs in tasks if 'discover | Map the new services' in name)
    print('  role nova_compute_driver: %d tasks, %.1f s; its units started in %.1f s, '
          'their services discovered into the cells in %.1f s'
          % (len(tasks), sum(secs for name, secs in tasks), starts, found))


if __name__ == '__main__':
    main()
