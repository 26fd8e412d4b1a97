# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""openstacksdk connection helper shared by the stackcraft.openstack modules.

The authentication options follow openstack.cloud's (``cloud``, ``auth``,
``auth_type``, ``region_name``, ``interface``, ``validate_certs``,
``ca_cert``, ``api_timeout``) so playbooks can pass the same values to both.
Only calls that exist in Debian 12's openstacksdk 0.101 and in current
releases are used by our modules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.stackcraft.openstack.plugins.module_utils.base import ModuleError

# Names of auth values that are secrets: masked in every result and error.
AUTH_SECRET_KEYS = ('password', 'token', 'application_credential_secret', 'passcode', 'totp')


def openstack_argument_spec(**extra):
    """The common connection options, plus the module's own ``extra`` ones."""
    spec = dict(
        cloud=dict(type='raw'),
        auth=dict(type='dict', no_log=True),
        auth_type=dict(type='str'),
        region_name=dict(type='str'),
        interface=dict(type='str', default='public', choices=['public', 'internal', 'admin'], aliases=['endpoint_type']),
        validate_certs=dict(type='bool', aliases=['verify']),
        ca_cert=dict(type='str', aliases=['cacert']),
        api_timeout=dict(type='int'),
    )
    spec.update(extra)
    return spec


def require_openstacksdk(module):
    """The openstacksdk package, imported only now (half a second that a
    run answered from elsewhere saves), or fail_json with Ansible's
    standard message when it is missing."""
    try:
        return importlib.import_module('openstack')
    except ImportError:
        module.fail_json(msg=missing_required_lib('openstacksdk'), exception=traceback.format_exc())
    return None


def connect(module):
    """Open one openstacksdk connection from the common options.

    ``cloud`` is either the name of a clouds.yaml entry or a whole cloud
    config dict (as openstack.cloud accepts); the other options override the
    named cloud's values.  Errors become ModuleError.
    """
    openstack = require_openstacksdk(module)
    params = module.params
    cloud = params.get('cloud')
    if isinstance(cloud, dict):
        overridden = [name for name in ('auth', 'auth_type', 'region_name', 'validate_certs', 'ca_cert', 'api_timeout')
                      if params.get(name) is not None]
        if overridden:
            raise ModuleError('cloud is a cloud config dict: give %s inside it, not as options' % ', '.join(overridden))
        kwargs = dict(cloud)
    else:
        kwargs = dict(
            cloud=cloud,
            auth=params.get('auth'),
            auth_type=params.get('auth_type'),
            region_name=params.get('region_name'),
            verify=params.get('validate_certs'),
            cacert=params.get('ca_cert'),
            api_timeout=params.get('api_timeout'),
            interface=params.get('interface'),
        )
        # openstacksdk treats an explicit None differently from a missing key
        # for some of these (auth_type, verify), so only pass what was set.
        kwargs = dict((k, v) for k, v in kwargs.items() if v is not None)
    try:
        conn = openstack.connect(**kwargs)
        # Authenticate now, so bad credentials fail here with a clear message.
        conn.authorize()
    except Exception as exc:  # keystoneauth raises its own classes, not SDKException
        raise ModuleError('Cannot connect to OpenStack: %s' % exc)
    return conn
