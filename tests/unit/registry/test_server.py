"""glance-registry as a process: refuses an outdated schema, serves, stops cleanly on SIGTERM.

The in-memory transport keeps this free of network; real RabbitMQ runs in functional tests.
"""

import os
import signal
import subprocess
import sys
import threading
import time

from registry_service import server
from registry_service.db import migration

GLANCE_REGISTRY = os.path.join(os.path.dirname(sys.executable), 'glance-registry')


def write_config(tmp_path, db_url):
    path = tmp_path / 'glance-registry.conf'
    path.write_text('[DEFAULT]\ntransport_url = kombu+memory:////\nuse_stderr = true\n'
                    '[database]\nconnection = %s\n' % db_url)
    return path


def test_registry_refuses_to_start_on_an_unmigrated_database(tmp_path):
    config_file = write_config(tmp_path, 'sqlite:///%s' % (tmp_path / 'empty.sqlite'))
    result = subprocess.run([GLANCE_REGISTRY, '--config-file', str(config_file)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'glance-manage db sync' in result.stderr


def test_registry_serves_and_exits_zero_on_sigterm(tmp_path):
    db_url = 'sqlite:///%s' % (tmp_path / 'glance.sqlite')
    migration.upgrade(db_url)
    config_file = write_config(tmp_path, db_url)
    log_file = tmp_path / 'registry.log'
    with open(log_file, 'w') as log:
        process = subprocess.Popen([GLANCE_REGISTRY, '--config-file', str(config_file)],
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while 'glance-registry serving topic glance_registry' not in log_file.read_text():
            assert process.poll() is None, log_file.read_text()
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert 'glance-registry stopped' in log_file.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


class _StuckServer:
    """An RPC server whose wait() never returns, as when a reply cannot reach a down broker."""

    def __init__(self, stuck):
        self.stuck = stuck
        self.stopped = False
        self._never = threading.Event()

    def stop(self):
        self.stopped = True

    def wait(self):
        if self.stuck:
            self._never.wait()


def test_stop_within_gives_up_on_calls_that_cannot_finish():
    stuck = _StuckServer(stuck=True)
    started = time.monotonic()
    assert server.stop_within(stuck, None, timeout=0.1) is False
    assert stuck.stopped
    assert time.monotonic() - started < 5


def test_stop_within_returns_once_calls_finished():
    done = _StuckServer(stuck=False)
    assert server.stop_within(done, None, timeout=5) is True
