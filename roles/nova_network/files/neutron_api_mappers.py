# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Imported by every neutron-api uwsgi worker (the ini's ``import``) before
the application loads: imports all of neutron's models and has SQLAlchemy
configure the mappers now. Backrefs such as ``Port.port_forwardings`` exist
only once the mappers are configured, and Zed's ``get_ports`` reads that one
before any query has configured them: a worker whose first request was
``GET /v2.0/ports`` answered 500 (AttributeError), e.g. nova's first port
lookup after every neutron-api restart. Installed by
stackcraft.openstack.nova_network.
"""

from sqlalchemy import orm

from neutron.db.migration.models import head  # noqa: F401 pylint: disable=unused-import

orm.configure_mappers()
