# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""line_set: lineinfile's own rule (the last match is replaced)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackcraft.openstack.plugins.filter.line_set import line_set

TEXT = '#ON_BOOT=start\nON_BOOT=ignore\n# ON_SHUTDOWN=suspend\n'


def test_present_judged_by_the_last_match():
    assert line_set(TEXT, '^#?\\s*ON_BOOT=', 'ON_BOOT=ignore') is True
    assert line_set(TEXT, '^#?\\s*ON_BOOT=', 'ON_BOOT=start') is False
    # The last match is still the commented default: lineinfile would replace it.
    assert line_set(TEXT, '^#?\\s*ON_SHUTDOWN=', 'ON_SHUTDOWN=shutdown') is False
    # No match: lineinfile would add the line.
    assert line_set(TEXT, '^SHUTDOWN_TIMEOUT=', 'SHUTDOWN_TIMEOUT=120') is False


def test_absent_and_unread():
    assert line_set('127.0.0.1\tlocalhost\n', '^127\\.0\\.1\\.1\\s') is True
    assert line_set('127.0.1.1\taio\n', '^127\\.0\\.1\\.1\\s') is False
    assert line_set(None, '^x', 'x') is False and line_set(None, '^x') is False
