"""Run the real glance-registry and glance-api as subprocesses for functional tests.

Everything a test run creates lives under one temporary directory: config files, logs, the
filesystem store and (for SQLite) the database. Each run consumes its own RPC topic so two
runs on one RabbitMQ never answer each other's calls.
"""

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid

import requests

RABBIT_HOST = '127.0.0.1'
RABBIT_PORT = 5672
TRANSPORT_URL = f'rabbit://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/'

# Short enough that outage tests stay quick, long enough for a cold registry on MariaDB.
RPC_TIMEOUT = 3
API_WORKERS = 2
STOP_GRACE_SECONDS = 15
START_TIMEOUT_SECONDS = 60

# oslo.messaging's RPC server logs every call it answered at DEBUG, with the request
# context, so a registry's log shows the request ids it served; its drivers stay quiet.
DEFAULT_LOG_LEVELS = ','.join([
    'oslo_messaging=INFO', 'oslo.messaging=INFO', 'oslo_messaging.rpc.server=DEBUG',
    'amqp=WARN', 'amqplib=WARN', 'kombu=WARN', 'sqlalchemy=WARN', 'alembic=WARN',
    'urllib3=WARN', 'stevedore=WARN',
])


def console_script(name):
    """The console script installed next to the running interpreter (same venv)."""
    path = pathlib.Path(sys.executable).parent / name
    if not path.exists():
        raise RuntimeError(f'console script {name!r} not found next to {sys.executable}')
    return str(path)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def check_rabbitmq(timeout=5):
    """Fail early and clearly when the broker the tier depends on is not there."""
    try:
        with socket.create_connection((RABBIT_HOST, RABBIT_PORT), timeout=timeout):
            return
    except OSError as exc:
        raise RuntimeError(
            f'RabbitMQ is not reachable at {RABBIT_HOST}:{RABBIT_PORT} ({exc}); the functional '
            'tests need a running broker with the guest/guest account.') from exc


def unique_topic():
    return f'glimpse_functional_{uuid.uuid4().hex[:12]}'


def write_conf(path, sections):
    """Write an INI file from {section: {option: value}}."""
    lines = []
    for section, options in sections.items():
        lines.append(f'[{section}]')
        lines.extend(f'{key} = {value}' for key, value in options.items())
        lines.append('')
    pathlib.Path(path).write_text('\n'.join(lines))
    return str(path)


class Daemon:
    """One subprocess with its own log file; owns its process group so teardown is exact."""

    def __init__(self, name, argv, log_path, workdir):
        self.name = name
        self.argv = argv
        self.log_path = pathlib.Path(log_path)
        self.workdir = workdir
        self.proc = None
        self._stdio = None

    def start(self):
        # stdout/stderr go next to the log file: a daemon that dies before its logging is
        # set up still leaves its traceback somewhere we can print.
        self._stdio = open(self.log_path.with_suffix('.stdio'), 'ab')
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, stdout=self._stdio, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum):
        """Signal our own process group (gunicorn's master and its workers)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def stop(self, grace=STOP_GRACE_SECONDS):
        """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit code."""
        if self.proc is None:
            return None
        if self.alive():
            self.signal(signal.SIGTERM)
        return self.wait_stopped(grace)

    def wait_stopped(self, grace=STOP_GRACE_SECONDS):
        """Wait for an exit already asked for; SIGKILL after ``grace`` seconds."""
        if self.proc is None:
            return None
        if self.alive():
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        # A worker that outlived its master would keep the port; reap the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._close()
        return self.proc.returncode

    def _close(self):
        if self._stdio is not None:
            self._stdio.close()
            self._stdio = None

    def log_paths(self):
        return (self.log_path, self.log_path.with_suffix('.stdio'))

    def log_text(self, marks=None):
        """The daemon's log and stdio, from the offsets in ``marks`` ({path: size}) on."""
        parts = []
        for path in self.log_paths():
            if path.exists():
                with open(path, 'rb') as f:
                    f.seek((marks or {}).get(path, 0))
                    text = f.read().decode(errors='replace')
                parts.append(f'----- {path.name} -----\n{text}')
        return '\n'.join(parts)


class GlanceService:
    """A glance-api plus any number of glance-registry processes on one private topic."""

    def __init__(self, workdir, db_url, name='glance', extra_api_options=None, auth=None,
                 extra_registry_options=None):
        self.workdir = pathlib.Path(workdir)
        # None: auth_strategy = noauth. Else the [keystone_authtoken] options of a
        # glance-api with auth_strategy = keystone.
        self.auth = auth
        # {section: {option: value}} merged into glance-api.conf (e.g. small quotas).
        self.extra_api_options = extra_api_options or {}
        # The same for every glance-registry-N.conf (e.g. a short upload_sweep_interval).
        self.extra_registry_options = extra_registry_options or {}
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.db_url = db_url
        self.topic = unique_topic()
        self.datadir = self.workdir / 'images'
        self.datadir.mkdir(exist_ok=True)
        self.api_port = free_port()
        self.base_url = f'http://127.0.0.1:{self.api_port}'
        self.api = None
        self.registries = []
        self._registry_count = 0

    # -- configuration ---------------------------------------------------------------------

    def _common_sections(self, log_file):
        return {
            'DEFAULT': {
                'transport_url': TRANSPORT_URL,
                'debug': 'True',
                'log_file': log_file,
                'use_stderr': 'False',
                'default_log_levels': DEFAULT_LOG_LEVELS,
            },
            'registry': {'topic': self.topic, 'rpc_timeout': RPC_TIMEOUT},
        }

    def registry_conf(self, index):
        sections = self._common_sections(str(self.workdir / f'registry-{index}.log'))
        sections['database'] = {'connection': self.db_url}
        for section, options in self.extra_registry_options.items():
            sections.setdefault(section, {}).update(options)
        return write_conf(self.workdir / f'glance-registry-{index}.conf', sections)

    def api_conf(self):
        sections = self._common_sections(str(self.workdir / 'api.log'))
        sections['DEFAULT'].update({
            'bind_host': '127.0.0.1',
            'bind_port': self.api_port,
            'workers': API_WORKERS,
            'auth_strategy': 'keystone' if self.auth else 'noauth',
        })
        if self.auth:
            sections['keystone_authtoken'] = dict(self.auth)
        sections['glance_store'] = {'filesystem_store_datadir': str(self.datadir)}
        for section, options in self.extra_api_options.items():
            sections.setdefault(section, {}).update(options)
        return write_conf(self.workdir / 'glance-api.conf', sections)

    def scrubber_conf(self, name='glance-scrubber', **options):
        """A glance-scrubber.conf on this service's topic and store; ``options`` go in
        [DEFAULT] (scrub_time, scrub_pool_size, wakeup_time ...)."""
        sections = self._common_sections(str(self.workdir / f'{name}.log'))
        sections['DEFAULT'].update(options)
        sections['glance_store'] = {'filesystem_store_datadir': str(self.datadir)}
        return write_conf(self.workdir / f'{name}.conf', sections)

    def run_scrubber(self, *args, name='glance-scrubber', timeout=120, **options):
        """Run glance-scrubber once (or with ``args`` such as --restore ID) to its end."""
        return subprocess.run(
            [console_script('glance-scrubber'), '--config-file',
             self.scrubber_conf(name, **options), *args],
            cwd=self.workdir, capture_output=True, text=True, timeout=timeout)

    def start_scrubber(self, name='glance-scrubber', **options):
        """glance-scrubber --daemon, as its systemd unit runs it; returns its Daemon."""
        conf = self.scrubber_conf(name, **options)
        return Daemon(name, [console_script('glance-scrubber'), '--daemon',
                             '--config-file', conf],
                      self.workdir / f'{name}.log', self.workdir).start()

    # -- lifecycle -------------------------------------------------------------------------

    def db_sync(self):
        conf = self.registry_conf(0)
        result = subprocess.run(
            [console_script('glance-manage'), '--config-file', conf, 'db', 'sync'],
            cwd=self.workdir, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f'glance-manage db sync failed ({result.returncode}):\n'
                               f'{result.stdout}\n{result.stderr}')

    def start_registry(self):
        """Start one more registry consuming this service's topic; returns its Daemon."""
        self._registry_count += 1
        index = self._registry_count
        conf = self.registry_conf(index)
        daemon = Daemon(f'registry-{index}',
                        [console_script('glance-registry'), '--config-file', conf],
                        self.workdir / f'registry-{index}.log', self.workdir).start()
        self.registries.append(daemon)
        return daemon

    def start_api(self):
        conf = self.api_conf()
        self.api = Daemon('api', [console_script('glance-api'), '--config-file', conf],
                          self.workdir / 'api.log', self.workdir).start()
        return self.api

    def start(self):
        self.db_sync()
        self.start_registry()
        self.start_api()
        try:
            self.wait_for_api()
            self.wait_for_registry()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        # Ask every daemon at once, then wait: teardown costs the slowest, not the sum.
        running = self._daemons()
        for daemon in running:
            daemon.signal(signal.SIGTERM)
        for daemon in running:
            daemon.wait_stopped()
        delete_topic_queues(self.topic, [r.pid for r in self.registries])

    @contextlib.contextmanager
    def running(self):
        """The started service, for a ``with`` block; its daemons stop when it ends."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def live_registries(self):
        return [r for r in self.registries if r.alive()]

    # -- readiness -------------------------------------------------------------------------

    def _ensure_running(self, *daemons):
        for daemon in daemons:
            if daemon is not None and not daemon.alive():
                raise RuntimeError(f'{daemon.name} exited with {daemon.proc.returncode}:\n'
                                   f'{daemon.log_text()}')

    def wait_for_api(self, timeout=START_TIMEOUT_SECONDS):
        deadline = time.monotonic() + timeout
        while True:
            self._ensure_running(self.api)
            try:
                if requests.get(self.base_url + '/versions', timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f'glance-api not ready after {timeout}s:\n'
                                   f'{self.api.log_text()}')
            time.sleep(0.2)

    def wait_for_registry(self, timeout=START_TIMEOUT_SECONDS):
        """Ready means a real metadata call through the api succeeds over RPC.

        With keystone auth there is no token here: the health check's registry ping is.
        """
        deadline = time.monotonic() + timeout
        last = None
        path = '/healthcheck' if self.auth else '/v2/images?limit=1'
        while True:
            self._ensure_running(self.api, *self.live_registries())
            try:
                last = requests.get(self.base_url + path,
                                    headers=project_headers('readiness'),
                                    timeout=RPC_TIMEOUT + 5)
                if last.status_code == 200:
                    return
            except requests.RequestException as exc:
                last = exc
            if time.monotonic() > deadline:
                raise RuntimeError(f'registry not answering after {timeout}s (last: {last}):\n'
                                   + self.logs())
            time.sleep(0.2)

    def _daemons(self):
        return [d for d in [self.api, *self.registries] if d is not None]

    def logs(self):
        return '\n'.join(d.log_text() for d in self._daemons())

    def log_marks(self):
        """Current sizes of every log file, to show only what one test added."""
        return {path: path.stat().st_size
                for d in self._daemons() for path in d.log_paths() if path.exists()}

    def logs_since(self, marks):
        return '\n'.join(d.log_text(marks) for d in self._daemons())


def delete_topic_queues(topic, registry_pids):
    """Drop the queues a run's topic left in RabbitMQ; nothing else ever consumes them.

    oslo.messaging declares the topic queue and one queue per server (the registry names
    itself host.pid) without an expiry, so every run would otherwise leave a few behind.
    """
    import kombu  # oslo.messaging's own AMQP library

    host = socket.gethostname()
    names = [topic] + [f'{topic}.{host}.{pid}' for pid in registry_pids]
    amqp_url = f'amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}//'
    with contextlib.suppress(Exception), kombu.Connection(amqp_url) as conn:
        channel = conn.channel()
        for name in names:
            channel.queue_delete(name)


def project_headers(project_id, roles='member,reader', user_id=None):
    """The identity headers the api reads under ``auth_strategy = noauth``."""
    return {
        'X-Project-Id': project_id,
        'X-User-Id': user_id or f'user-of-{project_id}',
        'X-Roles': roles,
    }


@contextlib.contextmanager
def private_service(workdir, backend='sqlite', name=None, **service_kwargs):
    """A GlanceService of one test module's own: its own database, topic and options.

    For tests that change options or break daemons, so the shared per-backend services of
    conftest.py stay untouched. Stops the daemons and drops the database on exit.
    """
    from tests import db_backends

    check_rabbitmq()
    with db_backends.temporary_database(backend, str(workdir)) as url:
        with GlanceService(pathlib.Path(workdir) / 'service', url, name=name or backend,
                           **service_kwargs).running() as service:
            yield service
