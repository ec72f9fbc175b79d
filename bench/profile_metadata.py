"""Where Glimpse's metadata path spends its CPU, hop by hop.

Starts a Glimpse of its own (servers.py), runs the benchmark's metadata cycle against it
(``--clients``, for ``--seconds``) while py-spy samples the registry and every api worker, and
sorts the samples into the hops of a request: the api framework (gunicorn, Flask/Werkzeug),
policy, Glimpse's own code, oslo.messaging and the AMQP client (kombu/amqp) on either side,
the registry's dispatch, the ORM (SQLAlchemy), the SQL statements and the commit.

    .venv/bin/pip install py-spy      # once
    .venv/bin/python bench/profile_metadata.py --seconds 20 --clients 1

py-spy samples every thread, idle or not (--idle), and only the samples of threads that
serve a request count: a gunicorn gthread request in the api, an RPC dispatch in the
registry. So the figures are wall time of the request path, waits included (the api's wait
for the registry's reply, the fsync of a commit), not CPU alone. Two views per process:
*self* (each sample counted once, for the innermost frame that belongs to a hop, also given
in ms per metadata cycle) and *inclusive* (a sample counts for every hop on its stack), plus
the functions of Glimpse's own code that most samples pass through.
"""

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import glimpse_bench as gb  # noqa: E402
import servers  # noqa: E402

# (hop, test on one frame's "function (file:line)"), innermost-first: the first rule that a
# frame matches names the hop of that frame.
HOPS = (
    ('waiting for the reply (broker + registry)',
     lambda f, p: f == 'get' and '/oslo_messaging/_drivers/amqpdriver' in p),
    ('commit', lambda f, p: 'sqlalchemy' in p and f in ('do_commit', 'commit', '_commit_impl')),
    ('SQL statement', lambda f, p: 'sqlalchemy' in p and f.startswith('do_execute')),
    ('ORM (SQLAlchemy)', lambda f, p: '/sqlalchemy/' in p),
    ('policy (oslo.policy + Glimpse rules)',
     lambda f, p: '/oslo_policy/' in p or re.search(r'api_service/polic', p)),
    ('logging', lambda f, p: '/logging/' in p or '/oslo_log/' in p),
    ('JSON / serialization', lambda f, p: '/json/' in p or '/oslo_serialization/' in p),
    ('AMQP client (kombu, amqp)', lambda f, p: '/kombu/' in p or '/amqp/' in p),
    ('oslo.messaging', lambda f, p: '/oslo_messaging/' in p),
    ('api framework (Flask, Werkzeug)', lambda f, p: '/flask/' in p or '/werkzeug/' in p),
    ('gunicorn', lambda f, p: '/gunicorn/' in p),
    ('Glimpse api_service', lambda f, p: '/api_service/' in p),
    ('Glimpse registry_service', lambda f, p: '/registry_service/' in p),
    ('Glimpse common', lambda f, p: '/common/' in p),
)
OTHER = 'other (stdlib, threading)'
FRAME = re.compile(r'^(?P<func>.*?) \((?P<path>.*?)(?::(?P<line>\d+))?\)$')
OWN_CODE = ('/api_service/', '/registry_service/', '/common/')


def frames(stack):
    """'a (f.py:1);b (g.py:2)' (outermost first, py-spy's raw format) -> [(func, path)]."""
    out = []
    for text in stack.split(';'):
        match = FRAME.match(text.strip())
        if match:
            out.append((match['func'], match['path']))
        else:
            out.append((text.strip(), ''))
    return out


def hop_of(func, path):
    # py-spy names a method Class.method and gives paths relative to sys.path's entries.
    name, path = func.rsplit('.', 1)[-1], '/' + path
    for hop, test in HOPS:
        if test(name, path):
            return hop
    return None


# The frame every sample of a request's thread has (the rest are idle pools, heartbeats,
# the reply poller): a gunicorn gthread request in the api, an RPC dispatch in the registry.
REQUEST_ROOTS = ('ThreadWorker.handle (gunicorn/', 'RPCDispatcher.dispatch (oslo_messaging/')


def classify(lines):
    """py-spy raw lines ('stack count') -> (self Counter, inclusive Counter, own-code
    inclusive Counter, total samples), of the samples of threads serving a request."""
    own, inclusive, own_code = collections.Counter(), collections.Counter(), collections.Counter()
    db_callers = collections.Counter()
    total = ticks = 0
    for line in lines:
        stack, _, count = line.rstrip('\n').rpartition(' ')
        if not stack or not count.isdigit():
            continue
        if stack.startswith('<module> ('):
            # The main thread, sampled at every tick py-spy managed (--idle): the clock.
            ticks += int(count)
        if not any(root in stack for root in REQUEST_ROOTS):
            continue
        count = int(count)
        total += count
        stack_frames = frames(stack)
        hops = [hop_of(func, path) for func, path in stack_frames]
        innermost = next((h for h in reversed(hops) if h), OTHER)
        own[innermost] += count
        # The database's time (ORM, statements, commit) by the Glimpse function that asked.
        first_db = next((i for i, (func, path) in enumerate(stack_frames)
                         if '/sqlalchemy/' in '/' + path), None)
        if first_db:
            caller = next((f'{path.rsplit(":", 1)[0]}:{func}'
                           for func, path in reversed(stack_frames[:first_db])
                           if any(part in '/' + path for part in OWN_CODE)), None)
            if caller:
                db_callers[caller] += count
        for hop in {h for h in hops if h}:
            inclusive[hop] += count
        seen = set()
        for func, path in stack_frames:
            path = '/' + path
            if any(part in path for part in OWN_CODE):
                short = path[max(path.find(part) for part in OWN_CODE if part in path) + 1:]
                key = f"{short.rsplit(':', 1)[0]}:{func}"
                if key not in seen:
                    seen.add(key)
                    own_code[key] += count
    classify.db_callers = db_callers
    classify.ticks = ticks
    return own, inclusive, own_code, total


def children(pid):
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def report(name, lines, top, cycle_ms):
    """Per hop: its share of the request threads' samples and ms per metadata cycle."""
    own, inclusive, own_code, total = classify(lines)
    if not total or not classify.ticks:
        print(f'\n{name}: no samples')
        return
    # py-spy falls behind its rate on a busy machine: a hop's time is its share of the
    # ticks it did take (the main thread's samples) times the wall time of a cycle.
    per_cycle = cycle_ms / classify.ticks
    print(f'\n{name}: {total} samples of request threads, '
          f'{total * per_cycle:.2f} ms per cycle (5 requests)')
    print(f"  {'hop':<44} {'self':>6} {'ms':>6} {'incl.':>6}")
    for hop in [h for h, _ in HOPS] + [OTHER]:
        if own[hop] or inclusive[hop]:
            print(f'  {hop:<44} {100 * own[hop] / total:5.1f}% {own[hop] * per_cycle:6.2f} '
                  f'{100 * inclusive[hop] / total:5.1f}%')
    print('  Glimpse functions on the most stacks (inclusive share, ms per cycle):')
    for key, count in own_code.most_common(top):
        print(f'    {100 * count / total:5.1f}% {count * per_cycle:6.2f}  {key}')
    if classify.db_callers:
        print('  database time (ORM + statements + commit) by the Glimpse function calling it:')
        for key, count in classify.db_callers.most_common(top):
            print(f'    {100 * count / total:5.1f}% {count * per_cycle:6.2f}  {key}')


def versions_latency(endpoint, count=200):
    """Median seconds of GET /versions on one keep-alive connection: the api's fixed cost
    per request without any RPC, the benchmark client's own share included."""
    conn = endpoint.connect()
    samples = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            gb.request_json(conn, endpoint, 'GET', '/versions')
            samples.append(time.perf_counter() - start)
    finally:
        conn.close()
    return sorted(samples)[len(samples) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=int, default=20)
    parser.add_argument('--clients', type=int, default=1)
    parser.add_argument('--rate', type=int, default=250, help='py-spy samples per second')
    parser.add_argument('--top', type=int, default=12)
    args = parser.parse_args(argv)
    py_spy = shutil.which('py-spy', path=servers.VENV_BIN) or shutil.which('py-spy')
    if not py_spy:
        raise SystemExit('py-spy is not installed: .venv/bin/pip install py-spy')
    glimpse = servers.start_glimpse()
    try:
        endpoint = gb.Endpoint(glimpse.url, project='bench-project')
        gb.bench_metadata(endpoint, args.clients, 10)  # warm: imports, pools, connections
        anchor = versions_latency(endpoint)
        targets = {'registry': glimpse.rss_pids['registry']}
        for i, pid in enumerate(sorted(children(glimpse.rss_pids['api']))):
            targets[f'api worker {i + 1}'] = pid
        out_dir = servers.fresh_dir('profile')
        # The load runs from before the first sample to after the last one; its own clock
        # gives the wall time of a cycle.
        done = threading.Event()
        results, window = [], []

        def load():
            window.append(time.perf_counter())
            while not done.is_set():
                results.append(gb.bench_metadata(endpoint, args.clients, 5))
            window.append(time.perf_counter())

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        time.sleep(1)
        spies = {}
        for name, pid in targets.items():
            path = os.path.join(out_dir, name.replace(' ', '-') + '.txt')
            spies[name] = (path, subprocess.Popen(
                [py_spy, 'record', '-p', str(pid), '-d', str(args.seconds), '-r',
                 str(args.rate), '-f', 'raw', '--idle', '--nonblocking', '-o', path],
                stdout=subprocess.DEVNULL, stderr=open(path + '.err', 'wb')))
        for _, spy in spies.values():
            try:
                spy.wait(args.seconds + 30)
            except subprocess.TimeoutExpired:
                # Seen once at 8 clients: a py-spy that never ends. Its file may be short.
                spy.kill()
                spy.wait()
        done.set()
        loader.join()
    finally:
        glimpse.stop()
    cycles = sum(r['cycles'] for r in results)
    errors = sum(r['errors'] for r in results)
    cycle_ms = (window[1] - window[0]) * 1000 / max(cycles, 1)
    print(f'{cycles} metadata cycles at {args.clients} client(s) in '
          f'{window[1] - window[0]:.1f} s ({cycle_ms:.2f} ms per cycle), {errors} errors; '
          f'py-spy asked for {args.rate} samples/s for {args.seconds} s')
    print(f'GET /versions (gunicorn + middleware + Flask, no RPC): {anchor * 1000:.2f} ms '
          'median of 200, client included')
    for name, (path, _) in spies.items():
        if not os.path.exists(path):
            with open(path + '.err', errors='replace') as f:
                print(f'\n{name}: py-spy wrote nothing: {f.read()[-500:]}')
            continue
        with open(path) as f:
            report(name, f.readlines(), args.top, cycle_ms)
    return 0


if __name__ == '__main__':
    # SIGTERM (a timeout, a kill) unwinds like Ctrl-C, so the finally stops Glimpse.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    raise SystemExit(main())
