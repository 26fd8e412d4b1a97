# Copyright: stackcraft developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark: one stackcraft.openstack.ini_settings task against 60
community.general.ini_file tasks setting the same 60 options in two copies
of Debian 12's pristine nova.conf, on localhost (connection local).

Prints wall times and their ratio, checks that both files end up with the
same options (as parsed ini: section, key, values) and that a second
ini_settings run changes nothing.  It prints figures; it does not assert
timings.

Usage: tests/benchmarks/ini_batch [--runs N] [--keep]
Environment: ANSIBLE_COLLECTIONS_PATH (default: <repo>/build/collections,
made by `make collection-link`), ANSIBLE_PLAYBOOK (default: the repo's
.venv/bin/ansible-playbook), STACKCRAFT_CACHE (default: ~/.cache/stackcraft;
nova.conf is fetched there with apt-get download when missing).
"""

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CACHE = os.path.join(os.environ.get('STACKCRAFT_CACHE', os.path.expanduser('~/.cache/stackcraft')), 'ini_batch')
NOVA_CONF = os.path.join(CACHE, 'nova.conf')

# 60 options a nova controller really sets: (section, key, value).
OPTIONS = [
    ('DEFAULT', 'my_ip', '192.0.2.10'),
    ('DEFAULT', 'transport_url', 'rabbit://nova:RABBIT_PASS@controller:5672/'),
    ('DEFAULT', 'debug', False),
    ('DEFAULT', 'log_dir', '/var/log/nova'),
    ('DEFAULT', 'state_path', '/var/lib/nova'),
    ('DEFAULT', 'enabled_apis', 'osapi_compute,metadata'),
    ('DEFAULT', 'osapi_compute_workers', 2),
    ('DEFAULT', 'metadata_workers', 2),
    ('DEFAULT', 'cpu_allocation_ratio', 4.0),
    ('DEFAULT', 'ram_allocation_ratio', 1.5),
    ('DEFAULT', 'allow_resize_to_same_host', True),
    ('DEFAULT', 'instance_usage_audit', True),
    ('api', 'auth_strategy', 'keystone'),
    ('api', 'list_records_by_skipping_down_cells', False),
    ('api_database', 'connection', 'mysql+pymysql://nova:NOVA_DBPASS@controller/nova_api'),
    ('api_database', 'max_pool_size', 10),
    ('api_database', 'max_overflow', 20),
    ('database', 'connection', 'mysql+pymysql://nova:NOVA_DBPASS@controller/nova'),
    ('database', 'max_pool_size', 10),
    ('database', 'max_overflow', 20),
    ('database', 'connection_recycle_time', 3600),
    ('keystone_authtoken', 'www_authenticate_uri', 'http://controller:5000/'),
    ('keystone_authtoken', 'auth_url', 'http://controller:5000/'),
    ('keystone_authtoken', 'memcached_servers', 'controller:11211'),
    ('keystone_authtoken', 'auth_type', 'password'),
    ('keystone_authtoken', 'project_domain_name', 'Default'),
    ('keystone_authtoken', 'user_domain_name', 'Default'),
    ('keystone_authtoken', 'project_name', 'service'),
    ('keystone_authtoken', 'username', 'nova'),
    ('keystone_authtoken', 'password', 'NOVA_PASS'),
    ('keystone_authtoken', 'service_token_roles_required', True),
    ('placement', 'region_name', 'RegionOne'),
    ('placement', 'project_domain_name', 'Default'),
    ('placement', 'project_name', 'service'),
    ('placement', 'auth_type', 'password'),
    ('placement', 'user_domain_name', 'Default'),
    ('placement', 'auth_url', 'http://controller:5000/v3'),
    ('placement', 'username', 'placement'),
    ('placement', 'password', 'PLACEMENT_PASS'),
    ('glance', 'api_servers', 'http://controller:9292'),
    ('glance', 'num_retries', 3),
    ('neutron', 'auth_url', 'http://controller:5000'),
    ('neutron', 'auth_type', 'password'),
    ('neutron', 'project_domain_name', 'Default'),
    ('neutron', 'user_domain_name', 'Default'),
    ('neutron', 'region_name', 'RegionOne'),
    ('neutron', 'project_name', 'service'),
    ('neutron', 'username', 'neutron'),
    ('neutron', 'password', 'NEUTRON_PASS'),
    ('neutron', 'service_metadata_proxy', True),
    ('neutron', 'metadata_proxy_shared_secret', 'METADATA_SECRET'),
    ('oslo_messaging_rabbit', 'amqp_durable_queues', True),
    ('oslo_messaging_rabbit', 'heartbeat_timeout_threshold', 60),
    ('oslo_concurrency', 'lock_path', '/var/lib/nova/tmp'),
    ('vnc', 'enabled', True),
    ('vnc', 'server_listen', '$my_ip'),
    ('vnc', 'server_proxyclient_address', '$my_ip'),
    ('vnc', 'novncproxy_base_url', 'http://controller:6080/vnc_auto.html'),
    ('scheduler', 'discover_hosts_in_cells_interval', 300),
    ('cinder', 'os_region_name', 'RegionOne'),
]
assert len(OPTIONS) == 60 and len({option[:2] for option in OPTIONS}) == 60


def as_text(value):
    """How oslo.config expects the value written (what ini_file is given)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def fetch_nova_conf():
    if os.path.exists(NOVA_CONF):
        return
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(dir=CACHE)
    os.chmod(work, 0o755)  # apt-get download runs as _apt where it can
    try:
        subprocess.run(['apt-get', 'download', 'nova-common'], cwd=work, check=True)
        deb = glob.glob(os.path.join(work, 'nova-common_*.deb'))[0]
        subprocess.run(['dpkg-deb', '-x', deb, os.path.join(work, 'root')], check=True)
        shutil.copy(os.path.join(work, 'root/usr/share/nova-common/nova.conf'), NOVA_CONF)
        print('fetched %s from %s' % (NOVA_CONF, os.path.basename(deb)))
    finally:
        shutil.rmtree(work)


def play(tasks):
    return [dict(
        name='ini_batch', hosts='localhost', connection='local', gather_facts=False,
        vars=dict(ansible_python_interpreter='{{ ansible_playbook_python }}'),
        tasks=tasks,
    )]


def playbooks(workdir):
    one = play([{
        'name': 'Set 60 options with one task',
        'stackcraft.openstack.ini_settings': dict(path=os.path.join(workdir, 'batch.conf'), settings=settings_dict()),
    }])
    many = play([{
        'name': 'Set [%s] %s' % (section, key),
        'community.general.ini_file': dict(path=os.path.join(workdir, 'ini_file.conf'), section=section, option=key,
                                           value=as_text(value)),
    } for section, key, value in OPTIONS])
    empty = play([])
    files = {}
    for name, content in (('batch', one), ('ini_file', many), ('empty', empty)):
        files[name] = os.path.join(workdir, '%s.yml' % name)
        with open(files[name], 'w') as handle:
            json.dump(content, handle, indent=1)  # JSON is YAML
    return files


def settings_dict():
    settings = {}
    for section, key, value in OPTIONS:
        settings.setdefault(section, {})[key] = value
    return settings


def ansible_playbook(playbook, env, workdir):
    command = [os.environ.get('ANSIBLE_PLAYBOOK', os.path.join(REPO, '.venv/bin/ansible-playbook')), '-i', 'localhost,', playbook]
    start = time.monotonic()
    proc = subprocess.run(command, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit('%s failed:\n%s' % (' '.join(command), proc.stdout))
    recap = [line for line in proc.stdout.splitlines() if line.startswith('localhost ')]
    changed = int(recap[-1].split('changed=')[1].split()[0]) if recap else 0  # a play without tasks has no recap
    return elapsed, changed


def parse_ini(path):
    """{section: {key: [values]}} as oslo.config reads it (independent of the module)."""
    sections, section = {}, None
    with open(path) as handle:
        for line in handle:
            line = line.rstrip('\n')
            if not line.strip() or line.startswith(('#', ';')):
                continue
            if line.startswith('['):
                section = sections.setdefault(line.strip()[1:-1], {})
                continue
            positions = [p for p in (line.find('='), line.find(':')) if p >= 0]
            split = min(positions)
            section.setdefault(line[:split].strip(), []).append(line[split + 1:].strip())
    return sections


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--runs', type=int, default=1, help='runs of each playbook (the median is printed)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    args = parser.parse_args()

    fetch_nova_conf()
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(REPO, 'build', 'collections'))
    env.update(ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0')
    if not os.path.isdir(os.path.join(env['ANSIBLE_COLLECTIONS_PATH'], 'ansible_collections', 'stackcraft', 'openstack')):
        sys.exit('stackcraft.openstack is not in %s: run make collection-link' % env['ANSIBLE_COLLECTIONS_PATH'])

    workdir = tempfile.mkdtemp(prefix='ini_batch.')
    files = playbooks(workdir)
    times = {'batch': [], 'ini_file': [], 'empty': [], 'batch_again': []}
    try:
        # Warm-up, not measured: the first run after a change pays for byte
        # compiling the collection and ansible's caches.
        shutil.copy(NOVA_CONF, os.path.join(workdir, 'batch.conf'))
        ansible_playbook(files['batch'], env, workdir)
        for _run in range(args.runs):
            for name in ('batch', 'ini_file'):
                shutil.copy(NOVA_CONF, os.path.join(workdir, '%s.conf' % name))
            elapsed, changed = ansible_playbook(files['batch'], env, workdir)
            times['batch'].append(elapsed)
            if changed != 1:
                sys.exit('FAIL: the first ini_settings run reported changed=%d' % changed)
            elapsed, changed = ansible_playbook(files['batch'], env, workdir)
            times['batch_again'].append(elapsed)
            if changed:
                sys.exit('FAIL: the second ini_settings run reported changed=%d' % changed)
            elapsed, changed = ansible_playbook(files['ini_file'], env, workdir)
            times['ini_file'].append(elapsed)
            times['empty'].append(ansible_playbook(files['empty'], env, workdir)[0])

        batch, many = parse_ini(os.path.join(workdir, 'batch.conf')), parse_ini(os.path.join(workdir, 'ini_file.conf'))
        if batch != many:
            diff = sorted((s, k) for s in set(batch) | set(many) for k in set(batch.get(s, {})) | set(many.get(s, {}))
                          if batch.get(s, {}).get(k) != many.get(s, {}).get(k))
            sys.exit('FAIL: the files differ as parsed ini at %s' % diff)
        missing = [(s, k) for s, k, v in OPTIONS if batch.get(s, {}).get(k) != [as_text(v)]]
        if missing:
            sys.exit('FAIL: options not set: %s' % missing)

        med = dict((name, statistics.median(values)) for name, values in times.items())
        print('nova.conf: %s (%d bytes), 60 options in %d sections, %d run(s), median wall times:'
              % (NOVA_CONF, os.path.getsize(NOVA_CONF), len(settings_dict()), args.runs))
        print('  ini_settings, 1 task          %7.2f s' % med['batch'])
        print('  ini_settings again (no change)%7.2f s' % med['batch_again'])
        print('  ini_file, 60 tasks            %7.2f s' % med['ini_file'])
        print('  empty play (ansible startup)  %7.2f s' % med['empty'])
        print('  per ini_file task             %7.2f s' % ((med['ini_file'] - med['empty']) / len(OPTIONS)))
        print('ratio ini_file / ini_settings, whole playbook:        %5.1fx' % (med['ini_file'] / med['batch']))
        task_batch = max(med['batch'] - med['empty'], 0.01)
        print('ratio ini_file / ini_settings, less startup (tasks):  %5.1fx' % ((med['ini_file'] - med['empty']) / task_batch))
        print('results equal as parsed ini: yes (%d sections, all 60 options set)' % len(batch))
    finally:
        if args.keep:
            print('work directory kept: %s' % workdir)
        else:
            shutil.rmtree(workdir)


if __name__ == '__main__':
    main()
