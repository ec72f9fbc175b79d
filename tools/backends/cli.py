"""tools/glimpse-backends: the test back ends for a local Glimpse, under .state/backends/.

    tools/glimpse-backends up [swift] [s3] [http]        # in the background (default: swift)
    tools/glimpse-backends up --foreground swift         # until Ctrl-C
    tools/glimpse-backends show [NAME ...]               # the settings again
    tools/glimpse-backends down [NAME ...]               # stop them (default: all)

The same code as the test fixtures (tools/backends/). Swift runs with tempauth; each run
prints the [glance_store] settings an operator would give glance-api for it (for Swift, a
swift store config file with its credentials beside its data).
"""

import argparse
import contextlib
import json
import os
import pathlib
import signal
import sys
import threading

from tools.backends.common import ROOT
from tools.backends.common import _alive
from tools.backends.common import kill_pid_groups
from tools.backends.common import port_free

# GLIMPSE_BACKENDS_DIR: somewhere else than .state/backends (the tests use a temporary one).
STATE = pathlib.Path(os.environ.get('GLIMPSE_BACKENDS_DIR', ROOT / '.state' / 'backends'))
NAMES = ('swift', 's3', 'http')


def _record(name):
    return STATE / f'{name}.json'


def _load(name):
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_record(name).read_text())
    return None


def _running(record):
    pids = (record or {}).get('pids')
    return bool(pids) and all(_alive(pid) for pid in pids.values())


def _make(name, previous):
    directory = STATE / name
    if name == 'swift':
        from tools.backends.swift_server import SwiftServer

        ports = (previous or {}).get('info', {}).get('ports')
        if ports and not all(port_free(port) for port in ports.values()):
            ports = None
        return SwiftServer(directory, ports=ports)
    if name == 's3':
        from tools.backends.s3_server import S3Server

        return S3Server(directory)
    from tools.backends.http_server import HttpServer

    return HttpServer(directory)


def settings(name, info):
    """The text printed for one running back end."""
    if name == 'swift':
        # The swift store reads its credentials from a file of its own, as upstream's.
        references = pathlib.Path(info['dir']) / 'glance-swift-store.conf'
        references.write_text(f'[ref1]\nauth_address = {info["auth_url"]}\n'
                              f'auth_version = 1\nuser = {info["user"]}\n'
                              f'key = {info["key"]}\n')
        return '\n'.join([
            f'Swift (tempauth) is up: proxy {info["proxy_url"]}, logs in {info["dir"]}/',
            f'  auth v1: {info["auth_url"]}  user {info["user"]}  key {info["key"]}',
            f'  storage URL: {info["storage_url"]}',
            f'  try: .venv/bin/swift -A {info["auth_url"]} -U {info["user"]} '
            f'-K {info["key"]} stat',
            '',
            '[glance_store]',
            'stores = file, swift',
            'default_store = swift',
            f'swift_store_config_file = {references}',
            'default_swift_reference = ref1',
            'swift_store_container = glance',
            'swift_store_create_container_on_put = true',
            'swift_store_large_object_size = 5120',
            'swift_store_large_object_chunk_size = 200',
        ])
    if name == 's3':
        return '\n'.join([
            f'S3 (moto) is up: {info["endpoint_url"]}, log {info["log"]}',
            'Glimpse\'s s3 store (boto3) writes image data here; enable it with:',
            '',
            '[glance_store]',
            'stores = file, s3',
            'default_store = s3',
            f's3_store_host = {info["endpoint_url"]}',
            f's3_store_access_key = {info["access_key"]}',
            f's3_store_secret_key = {info["secret_key"]}',
            f's3_store_region_name = {info["region"]}',
            's3_store_bucket = glance',
            's3_store_create_bucket_on_put = true',
        ])
    return '\n'.join([
        f'HTTP (static files with Range support) is up: {info["url"]}',
        f'  files under {info["root"]}/ are served as {info["url"]}/NAME',
        'Glimpse\'s http store (read only) reads image data from here through http',
        f'locations ({info["url"]}/NAME); enable it with:',
        '',
        '[glance_store]',
        'stores = file, http',
    ])


def up(names, foreground):
    STATE.mkdir(parents=True, exist_ok=True)
    started = []
    for name in names:
        record = _load(name)
        if _running(record):
            print(settings(name, record['info']), end='\n\n')
            continue
        server = _make(name, record)
        print(f'Starting {name} ...', flush=True)
        info = server.start()
        started.append((name, server))
        _record(name).write_text(json.dumps({'info': info, 'pids': server.pids()}, indent=2))
        print(f'{name} answered after {info["startup_seconds"]}s\n' + settings(name, info),
              end='\n\n', flush=True)
    if not foreground:
        print('Stop with: tools/glimpse-backends down')
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print('Running in the foreground; Ctrl-C stops them.', flush=True)
    stop.wait()
    for _, server in started:
        server.stop()
    down([name for name, _ in started])
    return 0


def down(names):
    for name in names:
        record = _load(name)
        if record and record.get('pids'):
            if any(_alive(pid) for pid in record['pids'].values()):
                print(f'Stopping {name}')
                kill_pid_groups(list(record['pids'].values()))
            # The description stays (without pids): the next `up` reuses Swift's ports.
            record['pids'] = {}
            _record(name).write_text(json.dumps(record, indent=2))
    return 0


def show(names):
    found = False
    for name in names:
        record = _load(name)
        if _running(record):
            found = True
            print(settings(name, record['info']), end='\n\n')
    if not found:
        print('No back end is running; start one with: tools/glimpse-backends up swift')
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='tools/glimpse-backends', description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    for command in ('up', 'show', 'down'):
        cmd = sub.add_parser(command)
        cmd.add_argument('names', nargs='*', choices=[[], *NAMES], metavar='NAME',
                         help='swift, s3 or http')
        if command == 'up':
            cmd.add_argument('--foreground', action='store_true',
                             help='keep running until Ctrl-C, then stop them')
    args = parser.parse_args(argv)
    if args.command == 'up':
        return up(args.names or ['swift'], args.foreground)
    if args.command == 'show':
        return show(args.names or list(NAMES))
    return down(args.names or list(NAMES))


if __name__ == '__main__':
    sys.exit(main())
