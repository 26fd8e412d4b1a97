# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Where a playbook run's time went, from its output with the
ansible.posix.profile_tasks callback on: the task count, how many tasks
fall in each duration band and what they add up to, and the task names
(without the role prefix, so each role's copy of an entry point adds up)
that cost the most in all.

Usage: python3 profile_summary.py LOG [TOP]
"""

import collections
import re
import sys

HEADER = re.compile(r'^(?:TASK|RUNNING HANDLER) \[(.*)\]')
# profile_tasks prints, under each task header, the previous task's
# duration in brackets and the elapsed time since the start.
TIMING = re.compile(r'\((\d+):(\d+):(\d+(?:\.\d+)?)\)\s+\d+:\d+:\d+(?:\.\d+)?\s+\*+\s*$')
BANDS = ((0.1, '< 0.1 s'), (0.5, '0.1-0.5 s'), (1.0, '0.5-1 s'), (2.0, '1-2 s'), (float('inf'), '>= 2 s'))


def durations(lines):
    """(task name, seconds) for every timed task, in order."""
    marks = []
    current = None
    for line in lines:
        header = HEADER.match(line)
        if header:
            current = header.group(1)
            continue
        timing = TIMING.search(line)
        if timing:
            hours, minutes, seconds = timing.groups()
            marks.append((current, int(hours) * 3600 + int(minutes) * 60 + float(seconds)))
            current = None
    # Each timing line closes the task before it.
    return [(marks[i][0], marks[i + 1][1]) for i in range(len(marks) - 1) if marks[i][0] is not None]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    top = int(sys.argv[2]) if len(sys.argv) == 3 else 15
    with open(sys.argv[1], encoding='utf-8') as log:
        tasks = durations(log.read().splitlines())
    if not tasks:
        sys.exit('%s: no profile_tasks timings found' % sys.argv[1])
    print('  %d tasks, %.1f s' % (len(tasks), sum(seconds for _name, seconds in tasks)))
    bands = collections.OrderedDict((label, [0, 0.0]) for _limit, label in BANDS)
    for _name, seconds in tasks:
        label = next(label for limit, label in BANDS if seconds < limit)
        bands[label][0] += 1
        bands[label][1] += seconds
    for label, (count, seconds) in bands.items():
        print('  %-10s %4d tasks %7.1f s' % (label, count, seconds))
    names = collections.defaultdict(lambda: [0, 0.0])
    for name, seconds in tasks:
        entry = names[name.split(' : ', 1)[-1]]
        entry[0] += 1
        entry[1] += seconds
    print('  most costly, summed over roles (s, calls, task):')
    for name, (count, seconds) in sorted(names.items(), key=lambda item: -item[1][1])[:top]:
        print('  %7.1f %3d  %s' % (seconds, count, name[:100]))


if __name__ == '__main__':
    main()
