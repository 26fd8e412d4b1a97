# Prints, as JSON, the schema revision of nova's API database, of cell0
# (when mapped) and of the local cell database next to the newest revision
# this nova knows, so the role runs api_db sync / db sync only when behind.
# Run as: python3 -c "<this>" /etc/nova/nova.conf
import json
import sys

from alembic import script as alembic_script

from nova import config
from nova import context
from nova import exception
from nova import objects
from nova.db import migration


def head(database):
    return alembic_script.ScriptDirectory.from_config(migration._find_alembic_conf(database)).get_current_head()


def state(database, ctxt=None):
    current = migration.db_version(database=database, context=ctxt)
    wanted = head(database)
    return {'current': None if current is None else str(current), 'head': wanted, 'synced': current == wanted}


config.parse_args(['nova-db-status', '--config-file', sys.argv[1]])
objects.register_all()
result = {'api': state('api')}
result['cell0'] = None
if result['api']['synced']:
    ctxt = context.get_admin_context()
    try:
        mapping = objects.CellMapping.get_by_uuid(ctxt, objects.CellMapping.CELL0_UUID)
    except exception.CellMappingNotFound:
        mapping = None
    if mapping is not None:
        with context.target_cell(ctxt, mapping) as cctxt:
            result['cell0'] = state('main', cctxt)
result['main'] = state('main')
print(json.dumps(result))
