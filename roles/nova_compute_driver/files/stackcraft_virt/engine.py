# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""What every engine of the container drivers raises."""


class EngineError(Exception):
    """The engine refused or failed a request."""


class NotFound(EngineError):
    """No such container or image."""
