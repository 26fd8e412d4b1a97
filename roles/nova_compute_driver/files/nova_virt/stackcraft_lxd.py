# Copyright: stackcraft developers
# Apache License 2.0 (see galaxy.yml)
"""nova loads compute drivers from its own package only (compute_driver =
stackcraft_lxd.LxdDriver): the driver itself lives in stackcraft_virt."""
from stackcraft_virt.driver import LxdDriver  # noqa: F401  pylint: disable=unused-import
