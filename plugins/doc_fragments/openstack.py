# -*- coding: utf-8 -*-
# Copyright: stackcraft developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options of module_utils.openstack.openstack_argument_spec,
    # shared by the modules that open an openstacksdk session.
    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml), or a whole cloud config dict (then the other connection options must not be given).
    type: raw
  auth:
    description:
      - Authentication values (C(auth_url), C(username), C(password), C(project_name), C(user_domain_name)...).
    type: dict
  auth_type:
    description:
      - keystoneauth plugin name, for example C(password) or C(v3applicationcredential).
    type: str
  region_name:
    description:
      - Region whose endpoints the connection uses.
    type: str
  interface:
    description:
      - Endpoint interface the connection uses.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  validate_certs:
    description:
      - Verify TLS certificates (openstacksdk's default when unset).
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - CA bundle to verify TLS certificates with.
    type: str
    aliases: [cacert]
  api_timeout:
    description:
      - Timeout of each API request, in seconds.
    type: int
'''
