"""What the back-end modules share: free ports, child processes, waiting, stopping."""

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HOST = '127.0.0.1'
STOP_GRACE_SECONDS = 10
ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


class BackendError(RuntimeError):
    """A back end did not start (with the tail of its logs in the message)."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_free(port):
    """Nothing listens on PORT (connections in TIME_WAIT do not count: servers set
    SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def venv_bin(name):
    """A console script installed beside the running interpreter (the project's venv)."""
    path = pathlib.Path(sys.executable).parent / name
    if not path.exists():
        raise BackendError(f'{name} is not installed beside {sys.executable} '
                           f"(pip install -e '.[test]')")
    return str(path)


def log_tail(path, lines=30):
    with contextlib.suppress(OSError):
        return '\n'.join(pathlib.Path(path).read_text(errors='replace').splitlines()[-lines:])
    return ''


class Processes:
    """Child processes, each in a session of its own with its output in a log file."""

    def __init__(self):
        self.procs = {}
        self.logs = {}

    def start(self, name, argv, log_path, cwd=None, env=None):
        log_path = pathlib.Path(log_path)
        with open(log_path, 'ab') as log:
            self.procs[name] = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=cwd, env=env, start_new_session=True)
        self.logs[name] = log_path
        return self.procs[name]

    def check_alive(self):
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise BackendError(f'{name} exited with {proc.returncode}:\n'
                                   f'{log_tail(self.logs[name])}')

    def pids(self):
        return {name: proc.pid for name, proc in self.procs.items()}

    def stop(self, grace=STOP_GRACE_SECONDS):
        """SIGTERM to each process group, SIGKILL to what is left after GRACE seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            # The group too: a server's own children (none with workers = 0, but be sure).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.procs = {}


def kill_pid_groups(pids, grace=STOP_GRACE_SECONDS):
    """Stop process groups by leader pid (for a `down` from another process than `up`)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
        return stat.rsplit(')', 1)[1].split()[0] != 'Z'
    return True


def http_status(url, method='GET', headers=None, timeout=5):
    """The status of one request, or None when nothing answers."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until(check, what, processes, timeout):
    """Poll CHECK until it returns true; fail early when one of PROCESSES died."""
    deadline = time.monotonic() + timeout
    while True:
        processes.check_alive()
        if check():
            return
        if time.monotonic() > deadline:
            logs = '\n'.join(f'--- {name}\n{log_tail(path)}'
                             for name, path in processes.logs.items())
            raise BackendError(f'{what} did not answer within {timeout}s\n{logs}')
        time.sleep(0.05)


class OneProcessServer:
    """A server of one child process on a free loopback port, kept under ``directory``."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory).resolve()
        self.port = free_port()
        self.url = f'http://{HOST}:{self.port}'
        self.processes = Processes()
        self.info = None
        self.startup_seconds = None

    def _start_process(self, name, argv, log, ready, what, timeout, env=None):
        """Start ARGV, wait until READY() is true; stop it again if it never is."""
        started = time.monotonic()
        self.processes.start(name, argv, log, env=env)
        try:
            wait_until(ready, what, self.processes, timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = round(time.monotonic() - started, 1)

    def stop(self):
        self.processes.stop()

    def pids(self):
        return self.processes.pids()
