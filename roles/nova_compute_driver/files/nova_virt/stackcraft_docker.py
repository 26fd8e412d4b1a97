# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""nova loads compute drivers from its own package only (compute_driver =
stackcraft_docker.DockerDriver): the driver itself lives in stackcraft_virt."""
from stackcraft_virt.driver import DockerDriver  # noqa: F401  pylint: disable=unused-import
