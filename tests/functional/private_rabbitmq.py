"""A throwaway RabbitMQ node of one test's own, so a test may stop and restart its broker.

The machine's shared broker (and its configuration in /etc/rabbitmq) is never touched: the
node gets its own name, AMQP and distribution ports on loopback, data, log and HOME (hence its
own Erlang cookie) in a temporary directory, an empty environment file and no plugins. It
registers with the host's epmd like any other node, which is harmless.
"""

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from tests.functional import daemons

# rabbitmq-server from the distribution package; /usr/sbin/rabbitmq-server is a wrapper that
# switches to the rabbitmq user and logs into /var/log, which we do not want.
RABBITMQ_BIN = pathlib.Path('/usr/lib/rabbitmq/bin')
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


def available():
    """'' when a private node can run here, else why not."""
    for name in ('rabbitmq-server', 'rabbitmqctl'):
        if not (RABBITMQ_BIN / name).exists():
            return f'{RABBITMQ_BIN / name} is not installed'
    return ''


class PrivateRabbitMQ:
    """One RabbitMQ node; ``start``/``stop`` may alternate, the data directory survives."""

    def __init__(self, workdir=None):
        self._own_workdir = workdir is None
        self.workdir = pathlib.Path(workdir or tempfile.mkdtemp(prefix='glimpse-rabbit-'))
        self.node = f'glimpse_{uuid.uuid4().hex[:10]}@localhost'
        self.port = daemons.free_port()
        self.dist_port = daemons.free_port()
        self.transport_url = f'rabbit://guest:guest@127.0.0.1:{self.port}/'
        self.proc = None
        self._stdio = None
        for name in ('home', 'mnesia', 'log'):
            (self.workdir / name).mkdir(parents=True, exist_ok=True)
        # Empty files replace the host's rabbitmq-env.conf and enabled_plugins.
        (self.workdir / 'rabbitmq-env.conf').write_text('')
        (self.workdir / 'enabled_plugins').write_text('[].\n')
        (self.workdir / 'rabbitmq.conf').write_text('loopback_users.guest = true\n')

    def _env(self):
        env = dict(os.environ)
        env.update({
            'HOME': str(self.workdir / 'home'),
            'RABBITMQ_NODENAME': self.node,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'RABBITMQ_MNESIA_BASE': str(self.workdir / 'mnesia'),
            'RABBITMQ_LOG_BASE': str(self.workdir / 'log'),
            'RABBITMQ_CONF_ENV_FILE': str(self.workdir / 'rabbitmq-env.conf'),
            'RABBITMQ_CONFIG_FILE': str(self.workdir / 'rabbitmq.conf'),
            'RABBITMQ_ADVANCED_CONFIG_FILE': str(self.workdir / 'advanced.config'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': str(self.workdir / 'enabled_plugins'),
            'ERL_EPMD_ADDRESS': '127.0.0.1',
        })
        return env

    def accepts_connections(self):
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return True
        except OSError:
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=START_TIMEOUT_SECONDS):
        """Start the node and wait until it accepts AMQP connections (about 4 s here)."""
        if self.alive():
            raise RuntimeError(f'{self.node} is already running')
        self._stdio = open(self.workdir / 'server.stdio', 'ab')
        self.proc = subprocess.Popen(
            [str(RABBITMQ_BIN / 'rabbitmq-server')], env=self._env(), cwd=self.workdir,
            stdout=self._stdio, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.accepts_connections():
            if not self.alive():
                raise RuntimeError(f'{self.node} exited with {self.proc.returncode}:\n'
                                   + self.log_text())
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f'{self.node} not listening after {timeout}s:\n'
                                   + self.log_text())
            time.sleep(0.2)
        return self

    def stop(self, timeout=STOP_TIMEOUT_SECONDS):
        """A clean broker shutdown (``rabbitmqctl stop``), as an operator would do it."""
        if not self.alive():
            return
        try:
            subprocess.run([str(RABBITMQ_BIN / 'rabbitmqctl'), '-n', self.node, 'stop'],
                           env=self._env(), cwd=self.workdir, capture_output=True,
                           timeout=timeout, check=True)
            self.proc.wait(timeout=timeout)
        except (subprocess.SubprocessError, OSError):
            self.kill()
            raise
        finally:
            self._close()

    def kill(self):
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.SubprocessError):
                self.proc.wait(timeout=10)
        self._close()

    def _close(self):
        if self._stdio is not None:
            self._stdio.close()
            self._stdio = None

    def log_text(self):
        parts = []
        for path in [self.workdir / 'server.stdio', *sorted((self.workdir / 'log').glob('*.log'))]:
            if path.exists():
                parts.append(f'----- {path.name} -----\n'
                             + path.read_text(errors='replace')[-20000:])
        return '\n'.join(parts)

    def cleanup(self):
        """Stop the node if it runs (killing it if it will not stop) and drop its files."""
        try:
            if self.alive():
                self.stop()
        except Exception:
            self.kill()
        finally:
            # The killed group may leave its session's children; reap what is ours.
            if self.proc is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def private_rabbitmq(workdir=None):
    """A running private node; stopped and removed on exit."""
    broker = PrivateRabbitMQ(workdir)
    try:
        broker.start()
        yield broker
    finally:
        broker.cleanup()


class GlanceServiceOnBroker(daemons.GlanceService):
    """A GlanceService whose daemons talk to ``transport_url`` instead of the shared broker."""

    def __init__(self, workdir, db_url, transport_url, **kwargs):
        self.transport_url = transport_url
        super().__init__(workdir, db_url, **kwargs)

    def _common_sections(self, log_file):
        sections = super()._common_sections(log_file)
        sections['DEFAULT']['transport_url'] = self.transport_url
        return sections
