"""CPU per metadata operation, process by process: Glimpse beside the thin chain.

Starts a Glimpse and the bound's thin metadata chain (servers.py), makes ``--images`` images
in each, then runs each operation of the metadata cycle that many times in a row on one
connection (create, get, patch, list(limit=20), delete) and reads, from /proc, the CPU that
each process spent on it: the api (gunicorn master and workers), the registry (or the thin
RPC server), RabbitMQ (when its process is visible) and this client. Where the wall time of
an operation goes is then plain: on a machine with two cores, CPU per operation is what
caps the 8-client figure, and at one client the hops run one after the other.

    .venv/bin/python bench/cpu_per_op.py --images 300 --rounds 2

Figures are ms per operation, the last round's (the first warms caches).
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402
import glimpse_bench as gb  # noqa: E402
import servers  # noqa: E402

PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pids):
    """User + system CPU of ``pids`` so far (processes that went away count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def family(pid):
    """``pid`` and its direct children (gunicorn's workers)."""
    children = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True, text=True)
    return [pid] + [int(child) for child in children.stdout.split()]


def broker_pids():
    found = subprocess.run(['pgrep', '-f', 'beam.smp'], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def operations(endpoint, conn):
    """(name, action on one image id) in the metadata cycle's order."""
    return (
        ('create', lambda _: gb.create_image(conn, endpoint, 'cpu')),
        ('get', lambda image_id: gb.request_json(conn, endpoint, 'GET',
                                                 f'/v2/images/{image_id}')),
        ('patch', lambda image_id: gb.request_json(
            conn, endpoint, 'PATCH', f'/v2/images/{image_id}',
            [{'op': 'add', 'path': '/bench', 'value': 'x'}], PATCH_TYPE)),
        ('list20', lambda _: gb.request_json(conn, endpoint, 'GET', '/v2/images?limit=20')),
        ('delete', lambda image_id: gb.delete_image(conn, endpoint, image_id)),
    )


def measure_side(url, processes, count):
    """{operation: {'wall': ms, process name: CPU ms, 'client': CPU ms}} per operation."""
    endpoint = compare.identified(url)
    conn = endpoint.connect(timeout=60)
    figures, image_ids = {}, [None] * count
    try:
        for name, action in operations(endpoint, conn):
            before = {proc: cpu_seconds(pids) for proc, pids in processes.items()}
            client_before, started = time.process_time(), time.perf_counter()
            results = [action(image_id) for image_id in image_ids]
            wall = time.perf_counter() - started
            per_op = {'wall': wall, 'client': time.process_time() - client_before}
            per_op.update({proc: cpu_seconds(pids) - before[proc]
                           for proc, pids in processes.items()})
            figures[name] = {key: value / count * 1000 for key, value in per_op.items()}
            if name == 'create':
                image_ids = results
    finally:
        conn.close()
    return figures


def print_table(glimpse, thin):
    columns = ('wall', 'client', 'api', 'registry', 'broker')
    print(f"{'operation':<10}{'side':<9}" + ''.join(f'{c:>10}' for c in columns))
    for name in glimpse:
        rows = (('glimpse', glimpse[name]), ('thin', thin[name]),
                ('diff', {c: glimpse[name].get(c, 0) - thin[name].get(c, 0) for c in columns}))
        for side, figures in rows:
            cells = ''.join(f'{figures[c]:>10.3f}' if c in figures else f"{'—':>10}"
                            for c in columns)
            print(f'{name:<10}{side:<9}{cells}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=300, help='operations of each kind')
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args(argv)
    glimpse = servers.start_glimpse(args.workers)
    try:
        bound = servers.start_bound()
    except Exception:
        glimpse.stop()
        raise
    try:
        broker = broker_pids()
        sides = {
            'glimpse': (glimpse.url, {'api': family(glimpse.rss_pids['api']),
                                      'registry': [glimpse.rss_pids['registry']]}),
            'thin': (bound.thin_url, {'api': family(bound.rss_pids['thin_api']),
                                      'registry': [bound.rss_pids['thin_rpc']]}),
        }
        results = {}
        for _ in range(args.rounds):
            for name, (url, processes) in sides.items():
                if broker:
                    processes = dict(processes, broker=broker)
                results[name] = measure_side(url, processes, args.images)
    finally:
        bound.stop()
        glimpse.stop()
    print(f'ms per operation ({args.images} of each, last of {args.rounds} rounds); '
          'api, registry (thin: its RPC server), broker and client are CPU, wall is time')
    print_table(results['glimpse'], results['thin'])
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
