"""Glimpse side by side with upstream Glance and with the machine's own bound, in one run.

Each side is started fresh (servers.py) and measured in turn on the same workload, A B A B:
for every round, every workload runs on every side before the next workload starts, so a
change in the machine's load touches all sides alike. The table shows the median of the
rounds per side, Glimpse / upstream, and Glimpse as a percentage of the bound.
"""

import argparse
import json
import os
import signal
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import glimpse_bench as gb  # noqa: E402

MIB = 1024 * 1024
# (figure, label, higher is better)
FIGURES = (
    ('upload_content_length_MBps', 'upload {size}, Content-Length (MB/s)', True),
    ('upload_chunked_MBps', 'upload {size}, chunked (MB/s)', True),
    ('download_MBps', 'download {size} (MB/s)', True),
    ('metadata_1_ops_s', 'metadata cycle, 1 client (ops/s)', True),
    ('metadata_8_ops_s', 'metadata cycle, 8 clients (ops/s)', True),
    ('list_ms', 'list(limit={count}) with {count} images (ms)', False),
)
# Summed over the rounds, not a median: every failed cycle counts.
COUNTS = ('metadata_1_errors', 'metadata_1_cycles', 'metadata_8_errors', 'metadata_8_cycles')
# Chunked uploads are sent in python-glanceclient's 64 KiB chunks: uWSGI, as upstream
# configures it, refuses a chunk of 1 MiB or more ("unable to receive chunked part": its
# chunked-input-limit defaults to 1 MiB).
CHUNK = 64 * 1024
WORKLOADS = ('data', 'metadata_1', 'metadata_8', 'list')


# Every side gets the same identity: Glimpse's noauth and upstream's bench pipeline
# (servers.py) both read it from these headers and check policy for a project member.
IDENTITY = {'X-Identity-Status': 'Confirmed', 'X-User-Id': 'bench-user'}
PROJECT = 'bench-project'


def identified(url):
    return gb._with(gb.Endpoint(url, project=PROJECT), IDENTITY)


class Side:
    """One service under test. ``full``: a real Images API (images are created and
    deleted, the listing applies); the bound has only a data receiver, which sends back the
    body of its last Content-Length upload to any download, and the thin metadata chain."""

    def __init__(self, name, upload_url, metadata_url, full=True, rss_pids=None):
        self.name, self.full = name, full
        self.upload_endpoint = identified(upload_url)
        self.metadata_endpoint = identified(metadata_url)
        self.rss_pids = rss_pids or {}

    def data(self, size):
        out = {}
        for label, chunked in (('upload_content_length', False), ('upload_chunked', True)):
            image_id = 'bound'
            if self.full:
                image_id = gb.one_shot(self.upload_endpoint, gb.create_image, f'bench-{label}')
            seconds = gb.upload(self.upload_endpoint, image_id, size, chunked,
                                CHUNK if chunked else gb.SEND_BLOCK)
            out[label + '_MBps'] = size / seconds / 1e6
            if not chunked:
                seconds, got, _ = gb.download(self.upload_endpoint, image_id)
                if got != size:
                    raise RuntimeError(f'{self.name}: download read {got} of {size} bytes')
                out['download_MBps'] = size / seconds / 1e6
            if self.full:
                gb.one_shot(self.upload_endpoint, gb.delete_image, image_id)
        return out

    def metadata(self, clients, cycles):
        per_client = -(-cycles // clients)  # at least ``cycles`` in all
        result = gb.bench_metadata(self.metadata_endpoint, clients, per_client)
        p50 = {f'metadata_{clients}_{op}_p50_ms': result[f'{op}_p50_ms']
               for op in ('create', 'get', 'patch', 'list20', 'delete')
               if f'{op}_p50_ms' in result}
        return {**p50, f'metadata_{clients}_ops_s': result['ops_per_s'],
                f'metadata_{clients}_errors': result['errors'],
                f'metadata_{clients}_cycles': result['cycles'] + result['errors'],
                f'metadata_{clients}_error_samples': result['error_samples']}

    def fill(self, count):
        """``count`` images for the listing, made once before the rounds."""
        if not self.full:
            return
        conn = self.metadata_endpoint.connect()
        try:
            for i in range(count):
                gb.create_image(conn, self.metadata_endpoint, f'list-{i:05d}')
        finally:
            conn.close()

    def list_ms(self, count):
        if not self.full:
            return {}
        conn = self.metadata_endpoint.connect()
        try:
            start = time.perf_counter()
            _, body = gb.request_json(conn, self.metadata_endpoint, 'GET',
                                      f'/v2/images?limit={count}')
            elapsed = time.perf_counter() - start
        finally:
            conn.close()
        if len(body['images']) < count:
            raise RuntimeError(f"{self.name}: list returned {len(body['images'])} images")
        return {'list_ms': elapsed * 1000}


def alternate(sides, rounds, workloads, measure, on_result=None):
    """Runs ``measure(side, workload)`` for each round, workload and side in that order (A B
    A B), the sides' order turned by one each round (A B C, then B C A, then C A B): a side
    that always went first would always meet what the workload before left behind (the disk
    still writing back a gigabyte uploaded by the side before it, while its metadata cycle
    waits on SQLite's fsync), and one measured on a quieter disk would look faster than it
    is. -> {side name: {figure: [value per round]}}."""
    results = {side.name: {} for side in sides}
    for round_no in range(rounds):
        turn = round_no % len(sides) if sides else 0
        in_turn = list(sides[turn:]) + list(sides[:turn])
        for workload in workloads:
            for side in in_turn:
                figures = measure(side, workload)
                for key, value in figures.items():
                    results[side.name].setdefault(key, []).append(value)
                if on_result:
                    on_result(round_no, workload, side, figures)
    return results


def summarize(results):
    """Medians of the per-round figures; sums for the error and cycle counts."""
    summary = {}
    for side, figures in results.items():
        summary[side] = {}
        for key, values in figures.items():
            if key in COUNTS:
                summary[side][key] = sum(values)
            elif key.endswith('_error_samples'):
                summary[side][key] = [s for samples in values for s in samples][:5]
            else:
                summary[side][key] = statistics.median(values)
    return summary


def ratio(ours, theirs):
    """ours / theirs, None when either is missing or theirs is zero."""
    if ours is None or not theirs:
        return None
    return ours / theirs


def table_rows(summary, size_label, count):
    """Rows of (label, glimpse, upstream, glimpse/upstream, bound, % of bound)."""
    glimpse = summary.get('glimpse', {})
    upstream = summary.get('upstream', {})
    bound = summary.get('bound', {})
    rows = []
    for key, label, _ in FIGURES:
        ours = glimpse.get(key)
        if ours is None:
            continue
        theirs, ceiling = upstream.get(key), bound.get(key)
        vs_upstream = ratio(ours, theirs)
        rows.append((label.format(size=size_label, count=count), ours, theirs, vs_upstream,
                     ceiling, None if ceiling is None else 100 * ours / ceiling))
    for clients in (1, 8):
        errors = f'metadata_{clients}_errors'
        if errors in glimpse:
            rows.append((f'metadata cycle, {clients} client(s): failed / cycles',
                         _errors(glimpse, clients), _errors(upstream, clients), None,
                         _errors(bound, clients), None))
    for side_name, figures in summary.items():
        for key, value in sorted(figures.items()):
            if key.startswith('peak_rss_'):
                rows.append((f'peak RSS, {side_name} {key[len("peak_rss_"):-3]} (MB)',
                             value if side_name == 'glimpse' else None,
                             value if side_name == 'upstream' else None, None,
                             value if side_name == 'bound' else None, None))
    return rows


def _errors(figures, clients):
    if f'metadata_{clients}_errors' not in figures:
        return None
    return f"{figures[f'metadata_{clients}_errors']} / {figures[f'metadata_{clients}_cycles']}"


def _cell(value, fmt):
    if value is None:
        return '—'
    return value if isinstance(value, str) else format(value, fmt)


def print_table(rows, sides):
    headers = ['figure', 'Glimpse']
    if 'upstream' in sides:
        headers += ['upstream', 'Glimpse / upstream']
    if 'bound' in sides:
        headers += ['bound', 'Glimpse % of bound']
    lines = [headers]
    for label, ours, theirs, vs, ceiling, pct in rows:
        line = [label, _cell(ours, ',.1f')]
        if 'upstream' in sides:
            line += [_cell(theirs, ',.1f'), _cell(vs, '.2f') + ('×' if vs else '')]
        if 'bound' in sides:
            line += [_cell(ceiling, ',.1f'), _cell(pct, '.0f') + ('%' if pct else '')]
        lines.append(line)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(headers))]
    for line in lines:
        print('  '.join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--compare', choices=('upstream',),
                        help='measure upstream Glance (PyPI release under uWSGI) too')
    parser.add_argument('--bound', action='store_true',
                        help="measure the machine's own bound (bound.py) too")
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--size-mib', type=int, default=1024, help='upload / download size')
    parser.add_argument('--cycles', type=int, default=300,
                        help='metadata cycles per run, at 1 and at 8 clients')
    parser.add_argument('--list-count', type=int, default=1000)
    parser.add_argument('--workers', type=int, default=2,
                        help='api workers of Glimpse and uWSGI processes of upstream')
    parser.add_argument('--upstream-version', default='33.0.0')
    parser.add_argument('--only', choices=WORKLOADS, action='append')
    parser.add_argument('--json', default='bench/results/compare.json')
    args = parser.parse_args(argv)
    if not args.compare and not args.bound:
        parser.error('give --compare upstream, --bound or both')
    return args


def size_label(size_mib):
    return f'{size_mib // 1024} GiB' if size_mib % 1024 == 0 else f'{size_mib} MiB'


def main(argv=None):
    import servers

    args = parse_args(argv)
    services, sides = [], []

    def say(message):
        print(message, flush=True)

    try:
        say('Starting Glimpse')
        glimpse = servers.start_glimpse(args.workers)
        services.append(glimpse)
        sides.append(Side('glimpse', glimpse.url, glimpse.url, rss_pids=glimpse.rss_pids))
        if args.compare:
            say(f'Starting upstream Glance {args.upstream_version} under uWSGI')
            upstream = servers.start_upstream(args.upstream_version, args.workers, say)
            services.append(upstream)
            sides.append(Side('upstream', upstream.url, upstream.url,
                              rss_pids=upstream.rss_pids))
        if args.bound:
            say('Starting the bound (data receiver, thin metadata chain)')
            bound = servers.start_bound()
            services.append(bound)
            sides.append(Side('bound', bound.url, bound.thin_url, full=False,
                              rss_pids=bound.rss_pids))
        workloads = args.only or WORKLOADS
        samplers = {side.name: gb.RssSampler(side.rss_pids) for side in sides}
        for sampler in samplers.values():
            sampler.start()
        if 'list' in workloads:
            for side in sides:
                say(f'Creating {args.list_count} images in {side.name} for the listing')
                side.fill(args.list_count)
        size = args.size_mib * MIB

        def measure(side, workload):
            if workload == 'data':
                return side.data(size)
            if workload == 'list':
                return side.list_ms(args.list_count)
            return side.metadata(int(workload.rsplit('_', 1)[1]), args.cycles)

        def progress(round_no, workload, side, figures):
            shown = ', '.join(f'{k} {v:,.1f}' for k, v in figures.items()
                              if isinstance(v, float) and '_p50_' not in k)
            if not shown:
                return  # a workload the side does not have (the bound lists nothing)
            say(f'round {round_no + 1}/{args.rounds} {workload:<10} {side.name:<8} {shown}')

        results = alternate(sides, args.rounds, workloads, measure, progress)
        for sampler in samplers.values():
            sampler.stop_event.set()
            sampler.join()
    finally:
        for service in services:
            service.stop()
    summary = summarize(results)
    for name, sampler in samplers.items():
        for proc, peak in sampler.peaks.items():
            summary[name][f'peak_rss_{proc}_MB'] = peak / 1e6
    say(f'\nMedians of {args.rounds} rounds, sides measured in turn (A B A B):\n')
    print_table(table_rows(summary, size_label(args.size_mib), args.list_count),
                [side.name for side in sides])
    os.makedirs(os.path.dirname(args.json) or '.', exist_ok=True)
    with open(args.json, 'w') as f:
        json.dump({'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                   'argv': sys.argv[1:], 'rounds': results, 'summary': summary}, f, indent=2)
    say(f'\nwrote {args.json}')
    return 0


if __name__ == '__main__':
    threading.current_thread().name = 'bench'
    # SIGTERM (a timeout, a kill) unwinds like Ctrl-C, so the finally stops every service.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise SystemExit(main())
