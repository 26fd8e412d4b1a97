# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from a host our machines cannot reach
before it creates each sanity test's virtual environment. This script does
the same job from the pip wheel that `make sanity` fetched from PyPI into
the same directory: it runs that wheel's pip to install the requested
packages. get-pip.py's own flags (--no-setuptools, --no-wheel) mean "do not
add those packages", which is already the case here, so they are dropped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import sys

GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    wheels = sorted(glob.glob(os.path.join(here, 'pip-*-py3-none-any.whl')))
    if not wheels:
        sys.exit('no pip wheel next to %s: run `make sanity` to fetch one' % __file__)
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    sys.exit(pip_main(['install'] + args))


if __name__ == '__main__':
    main()
