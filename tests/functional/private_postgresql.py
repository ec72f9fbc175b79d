"""A throwaway PostgreSQL cluster of one test's own, so a test may stop and start its database.

The cluster lives in a temporary directory owned by the ``postgres`` user (initdb and the
server refuse to run as root), listens on a free loopback port with its socket in that
directory, and trusts local connections. The machine's shared server is never touched.
"""

import contextlib
import getpass
import pathlib
import pwd
import shutil
import subprocess
import tempfile

from tests.functional import daemons

POSTGRES_USER = 'postgres'
PG_LIB = pathlib.Path('/usr/lib/postgresql')


def bin_dir():
    """The newest installed server's bin directory, or None."""
    candidates = sorted((p for p in PG_LIB.glob('*/bin') if (p / 'pg_ctl').exists()),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return candidates[-1] if candidates else None


def available():
    """'' when a private cluster can run here, else why not."""
    if bin_dir() is None:
        return f'no PostgreSQL server binaries under {PG_LIB}'
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        return f'no {POSTGRES_USER} user'
    if getpass.getuser() != 'root' and getpass.getuser() != POSTGRES_USER:
        return 'needs root (runuser) or the postgres user to run initdb'
    return ''


class PrivatePostgreSQL:
    """One cluster; ``start``/``stop`` may alternate, the data directory survives."""

    def __init__(self):
        self.bin = bin_dir()
        # Not under pytest's tmp_path: its directories are private to root, and the server
        # runs as postgres.
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix='glimpse-pg-'))
        self.datadir = self.workdir / 'data'
        self.socket_dir = self.workdir / 'socket'
        self.socket_dir.mkdir()
        self.log_path = self.workdir / 'server.log'
        self.port = daemons.free_port()
        if getpass.getuser() == 'root':
            shutil.chown(self.workdir, POSTGRES_USER)
            shutil.chown(self.socket_dir, POSTGRES_USER)

    def url(self, database='postgres'):
        return (f'postgresql+psycopg2://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}')

    def _run(self, *argv, timeout=120):
        command = [str(self.bin / argv[0]), *argv[1:]]
        if getpass.getuser() == 'root':
            command = ['runuser', '-u', POSTGRES_USER, '--', *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                cwd=self.workdir)
        if result.returncode != 0:
            raise RuntimeError(f'{argv[0]} failed ({result.returncode}):\n{result.stdout}\n'
                               f'{result.stderr}\n{self.log_text()}')
        return result

    def init(self):
        # fsync off: a test cluster need not survive a power cut, and it saves seconds.
        self._run('initdb', '-D', str(self.datadir), '-A', 'trust', '-U', POSTGRES_USER,
                  '-E', 'UTF8', '--no-sync')
        return self

    def start(self):
        options = (f'-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 '
                   '-c fsync=off')
        self._run('pg_ctl', '-D', str(self.datadir), '-l', str(self.log_path), '-w',
                  '-t', '60', '-o', options, 'start')
        return self

    def stop(self, mode='fast'):
        """``pg_ctl stop -m fast``: sessions are cut, transactions in progress rolled back."""
        self._run('pg_ctl', '-D', str(self.datadir), '-m', mode, '-w', '-t', '60', 'stop')

    def running(self):
        return (self.datadir / 'postmaster.pid').exists()

    def create_database(self, name):
        self._run('psql', '-h', '127.0.0.1', '-p', str(self.port), '-U', POSTGRES_USER,
                  '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', f'CREATE DATABASE {name}')
        return self.url(name)

    def log_text(self):
        if not self.log_path.exists():
            return ''
        return '----- postgresql server.log -----\n' + self.log_path.read_text(
            errors='replace')[-20000:]

    def cleanup(self):
        try:
            if self.running():
                self.stop(mode='immediate')
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def private_postgresql():
    """A running private cluster; stopped and removed on exit."""
    cluster = PrivatePostgreSQL()
    try:
        cluster.init().start()
        yield cluster
    finally:
        cluster.cleanup()
