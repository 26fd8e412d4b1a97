# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether ansible.builtin.lineinfile would leave a file's content as it is,
judged from the content the common role's host state read, so a role can
skip the module call for a line already set (or already gone)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def line_set(content, regexp, line=None):
    """With ``line``: the last line matching ``regexp`` is ``line`` (what
    lineinfile with state=present replaces, so it would change nothing).
    Without: no line matches ``regexp`` (state=absent changes nothing).
    A file not read (``content`` None) is never judged set."""
    if content is None:
        return False
    pattern = re.compile(regexp)
    matches = [text for text in content.splitlines() if pattern.search(text)]
    if line is None:
        return not matches
    return bool(matches) and matches[-1] == line


class FilterModule(object):
    def filters(self):
        return {'line_set': line_set}
