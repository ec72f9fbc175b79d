"""Client threads that create and patch images through glance-api while a test breaks things.

Each thread creates an image, then adds a few properties to it one PATCH at a time, and
starts over. Every answer is recorded with its duration; what the api acknowledged (201 for
a create, 200 for a patch) goes into a ledger, so that after the fault the test can check
that every acknowledged write is there. Each patch adds a key of its own, so a call that
failed with 503 (and may or may not have been committed) never changes an acknowledged value.

Each request opens a new connection, so the calls spread over all the api's workers.
"""

import dataclasses
import threading
import time
import uuid

import requests

from tests.functional import daemons
from tests.functional.http_api import JSON_PATCH

ACKNOWLEDGED = (200, 201)
# What a caller may see while the registry, the broker or the database is away.
OUTAGE = 503
PATCHES_PER_IMAGE = 3


@dataclasses.dataclass(frozen=True)
class Outcome:
    thread: int
    method: str
    # The HTTP status, or the name of the exception the client got instead (a hang that hit
    # the client timeout, a reset connection ...).
    status: object
    started: float
    elapsed: float
    # Why this answer is wrong although its status is expected (e.g. a 503 without JSON).
    problem: str = ''


def _json_error_problem(resp):
    """'' when ``resp`` carries the api's JSON error body with its own status code."""
    try:
        code = resp.json()['error']['code']
    except (ValueError, KeyError, TypeError):
        return f'not a JSON error body: {resp.text[:200]!r}'
    return '' if code == resp.status_code else f'error code {code} in the body'


class MetadataTraffic:
    """``threads`` clients of one project; use as a context manager (stops and joins)."""

    def __init__(self, base_url, threads=8, timeout=daemons.RPC_TIMEOUT + 30):
        self.base_url = base_url
        self.threads = threads
        self.timeout = timeout
        self.project_id = f'traffic-{uuid.uuid4().hex[:12]}'
        self.headers = daemons.project_headers(self.project_id)
        # image id -> {'name': ..., property: value, ...}: what the api acknowledged.
        self.acknowledged = {}
        self.outcomes = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._workers = []

    # -- running ---------------------------------------------------------------------------

    def __enter__(self):
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True,
                                      name=f'traffic-{index}')
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self._stopping.set()
        for thread in self._workers:
            thread.join(self.timeout + 10)
        stuck = [t.name for t in self._workers if t.is_alive()]
        assert not stuck, f'client threads still waiting for an answer: {stuck}'

    def _request(self, index, method, path, headers=None, **kwargs):
        started = time.monotonic()
        try:
            resp = requests.request(method, self.base_url + path,
                                    headers=headers or self.headers, timeout=self.timeout,
                                    **kwargs)
        except requests.RequestException as exc:
            self._record(Outcome(index, method, type(exc).__name__, started,
                                 time.monotonic() - started, str(exc)))
            return None
        problem = '' if resp.status_code in ACKNOWLEDGED else _json_error_problem(resp)
        self._record(Outcome(index, method, resp.status_code, started,
                             time.monotonic() - started, problem))
        return resp

    def _record(self, outcome):
        with self._lock:
            self.outcomes.append(outcome)

    def _run(self, index):
        serial = 0
        while not self._stopping.is_set():
            serial += 1
            name = f'thread-{index}-image-{serial}'
            resp = self._request(index, 'POST', '/v2/images', json={
                'name': name, 'disk_format': 'raw', 'container_format': 'bare'})
            if resp is None or resp.status_code != 201:
                continue
            image_id = resp.json()['id']
            with self._lock:
                self.acknowledged[image_id] = {'name': name}
            for key in range(PATCHES_PER_IMAGE):
                if self._stopping.is_set():
                    return
                value = f'{serial}-{key}'
                resp = self._request(
                    index, 'PATCH', f'/v2/images/{image_id}',
                    json=[{'op': 'add', 'path': f'/p{key}', 'value': value}],
                    headers={**self.headers, 'Content-Type': JSON_PATCH})
                if resp is not None and resp.status_code == 200:
                    with self._lock:
                        self.acknowledged[image_id][f'p{key}'] = value

    # -- observing -------------------------------------------------------------------------

    def snapshot(self):
        with self._lock:
            return list(self.outcomes)

    def count(self, status, since=0.0):
        return sum(1 for o in self.snapshot() if o.status == status and o.started >= since)

    def threads_acknowledged_since(self, since):
        """The threads that got at least one acknowledgement for a call sent after ``since``."""
        return {o.thread for o in self.snapshot()
                if o.status in ACKNOWLEDGED and o.started >= since}

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f'{what}: not within {timeout}s; last outcomes: '
                                     f'{self.snapshot()[-10:]}')
            time.sleep(0.1)
        return time.monotonic()

    def wait_for_acknowledgements(self, count, timeout=60, since=0.0):
        return self.wait_for(
            lambda: sum(self.count(s, since) for s in ACKNOWLEDGED) >= count, timeout,
            f'{count} acknowledged calls')

    def wait_until_every_thread_succeeds(self, since, timeout):
        """Wait until each thread had a call sent after ``since`` acknowledged; -> when."""
        return self.wait_for(
            lambda: len(self.threads_acknowledged_since(since)) == self.threads, timeout,
            'every client thread served again')

    def unexpected(self, allowed=ACKNOWLEDGED + (OUTAGE,)):
        """Outcomes that are neither acknowledged nor an allowed error with a JSON body."""
        return [o for o in self.snapshot() if o.status not in allowed or o.problem]

    def slowest(self, since=0.0):
        return max((o for o in self.snapshot() if o.started >= since),
                   key=lambda o: o.elapsed)

    # -- checking --------------------------------------------------------------------------

    def missing_or_wrong(self):
        """Acknowledged writes the api does not show now: [(image id, what is wrong)]."""
        wrong = []
        with self._lock:
            expected = {image_id: dict(values) for image_id, values in
                        self.acknowledged.items()}
        with requests.Session() as session:
            session.headers.update(self.headers)
            for image_id, values in expected.items():
                resp = session.get(f'{self.base_url}/v2/images/{image_id}', timeout=30)
                if resp.status_code != 200:
                    wrong.append((image_id, f'GET answered {resp.status_code}'))
                    continue
                shown = resp.json()
                differs = {key: (value, shown.get(key)) for key, value in values.items()
                           if shown.get(key) != value}
                if differs:
                    wrong.append((image_id, differs))
        return wrong
