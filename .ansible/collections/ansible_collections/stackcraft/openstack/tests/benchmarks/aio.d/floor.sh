#!/usr/bin/env bash
# The floor of an all-in-one deploy: what the install guides do by hand,
# minus everything but the package installs and the database syncs, as a
# bare script on the machine. tests/benchmarks/aio passes the packages (the
# roles' vars/Debian.yml lists) as arguments.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pw=$(head -c 18 /dev/urandom | base64 | tr -dc A-Za-z0-9)

# Services start only when told to, as with the roles.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get install -y -q --no-install-recommends "$@" >/dev/null
rm -f /usr/sbin/policy-rc.d
systemctl start mariadb rabbitmq-server

sql=""
for db in keystone glance placement nova_api nova nova_cell0 neutron; do
  user=${db%%_*}
  sql+="CREATE DATABASE IF NOT EXISTS $db;"
  sql+="CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pw';"
  sql+="GRANT ALL PRIVILEGES ON $db.* TO '$user'@'localhost';"
done
mysql -e "$sql"
rabbitmqctl add_user nova "$pw" >/dev/null
rabbitmqctl set_permissions nova '.*' '.*' '.*' >/dev/null

# crudini --set, with the iniparse every target has.
set_ini() {
  python3 -c 'import sys, iniparse
cfg = iniparse.INIConfig(open(sys.argv[1]))
section = getattr(cfg, sys.argv[2])
setattr(section, sys.argv[3], sys.argv[4])
open(sys.argv[1], "w").write(str(cfg))' "$@"
}
db() { echo "mysql+pymysql://$1:$pw@localhost/$2"; }
set_ini /etc/keystone/keystone.conf database connection "$(db keystone keystone)"
set_ini /etc/glance/glance-api.conf database connection "$(db glance glance)"
set_ini /etc/placement/placement.conf placement_database connection "$(db placement placement)"
set_ini /etc/nova/nova.conf api_database connection "$(db nova nova_api)"
set_ini /etc/nova/nova.conf database connection "$(db nova nova)"
set_ini /etc/nova/nova.conf DEFAULT transport_url "rabbit://nova:$pw@localhost:5672/"
set_ini /etc/neutron/neutron.conf database connection "$(db neutron neutron)"

runuser -u keystone -- keystone-manage db_sync
runuser -u glance -- glance-manage db_sync >/dev/null
runuser -u placement -- placement-manage db sync
runuser -u nova -- nova-manage api_db sync
runuser -u nova -- nova-manage cell_v2 map_cell0
runuser -u nova -- nova-manage cell_v2 create_cell --name cell1 >/dev/null
runuser -u nova -- nova-manage db sync
runuser -u neutron -- neutron-db-manage --config-file /etc/neutron/neutron.conf \
  --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade heads >/dev/null
