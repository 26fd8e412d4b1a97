# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""What every engine of the container drivers shares: its errors, and the
glance image's data in a file for the engine to read."""

import contextlib
import os
import tempfile


class EngineError(Exception):
    """The engine refused or failed a request."""


class NotFound(EngineError):
    """No such container or image."""


@contextlib.contextmanager
def fetched(fetch, workdir):
    """An open file of the image's data: fetch(path) writes it to a file in
    workdir, which is removed afterwards, whatever happens."""
    fd, path = tempfile.mkstemp(prefix="glance-", suffix=".tar", dir=workdir)
    os.close(fd)
    try:
        fetch(path)
        with open(path, "rb") as data:
            yield data
    finally:
        os.unlink(path)
