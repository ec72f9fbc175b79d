"""The engine and the transactions of the image database.

Every RPC call runs in exactly one transaction, opened with ``Database.read()`` or
``Database.write()``; ``retrying()`` runs such a call again when the database gave its
transaction up to a lock conflict (a deadlock or a lock wait timeout).
"""

import contextlib
import logging
import random
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm

from registry_service import config
from registry_service.db import urls

# How long an SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30000
# Connections beyond the pool size opened under a burst, closed again when returned.
POOL_OVERFLOW = 8


def _is_sqlite(url):
    return url.get_backend_name() == 'sqlite'


def _prepare_sqlite(engine, synchronous=True):
    """``synchronous``: [database] sqlite_synchronous (False: commits do not wait for the
    disk)."""
    @event.listens_for(engine, 'connect')
    def on_connect(dbapi_connection, connection_record):
        # Take transaction control from the sqlite3 module so that 'begin' below decides
        # how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA busy_timeout = %d' % SQLITE_BUSY_TIMEOUT_MS)
        cursor.execute('PRAGMA foreign_keys = ON')
        # WAL lets readers go on while one writer commits (no-op for in-memory databases).
        cursor.execute('PRAGMA journal_mode = WAL')
        if not synchronous:
            cursor.execute('PRAGMA synchronous = OFF')
        cursor.close()

    @event.listens_for(engine, 'begin')
    def on_begin(connection):
        # A writer takes the write lock up front: a deferred transaction that reads and then
        # writes cannot wait for a lock upgrade and fails at once with "database is locked".
        if connection.get_execution_options().get('glimpse_write'):
            connection.exec_driver_sql('BEGIN IMMEDIATE')
        else:
            connection.exec_driver_sql('BEGIN')


def make_engine(conf):
    """An engine for [database] connection, its pool sized for the RPC executor's threads."""
    url = urls.resolve(conf.database.connection)
    echo = conf.database.connection_debug
    kwargs = {'echo': 'debug' if echo >= 100 else echo >= 50}
    if _is_sqlite(url):
        engine = sa.create_engine(url, **kwargs)
        _prepare_sqlite(engine, synchronous=conf.database.sqlite_synchronous)
        return engine
    pool_size = conf.database.max_pool_size or config.executor_thread_pool_size(conf)
    return sa.create_engine(
        url, pool_size=pool_size, max_overflow=POOL_OVERFLOW,
        pool_timeout=conf.database.pool_timeout,
        pool_recycle=conf.database.connection_recycle_time,
        # Test each connection on checkout, so a restarted database server costs one
        # reconnect instead of one failed call per pooled connection.
        pool_pre_ping=True, **kwargs)


class Database:
    """The registry's handle on its database: one engine, transactions on demand."""

    def __init__(self, engine):
        self.engine = engine
        self._reader = orm.sessionmaker(bind=engine, expire_on_commit=False)
        self._write_engine = engine.execution_options(glimpse_write=True)
        self._writer = orm.sessionmaker(bind=self._write_engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a writer that finds the lock taken polls for
        # it in sleeps of growing length (up to 100 ms each), long after the lock came free.
        # Writers of this process queue here instead, and each starts as soon as the last one
        # ends; busy_timeout still arbitrates between processes. Reentrant, so that a nested
        # write fails with "database is locked" after busy_timeout rather than hanging.
        self._write_turn = (threading.RLock() if _is_sqlite(engine.url)
                            else contextlib.nullcontext())

    @classmethod
    def from_conf(cls, conf):
        return cls(make_engine(conf))

    @contextlib.contextmanager
    def read(self):
        with self._reader.begin() as session:
            yield session

    @contextlib.contextmanager
    def write(self):
        with self._write_turn, self._writer.begin() as session:
            yield session

    @contextlib.contextmanager
    def read_connection(self):
        """read() without the ORM: a Connection in a transaction (image_rows.py's calls)."""
        with self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def write_connection(self):
        """write() without the ORM: a Connection in a write transaction, in the write turn."""
        with self._write_turn, self._write_engine.begin() as connection:
            yield connection

    def ping(self):
        # On a Connection: an ORM session more than doubles the cost of this one query.
        with self.read_connection() as connection:
            connection.exec_driver_sql('SELECT 1')

    def dispose(self):
        self.engine.dispose()


# Lock conflicts after which running the whole transaction again may well succeed:
# MySQL/MariaDB 1213 (deadlock: the transaction was rolled back) and 1205 (lock wait timeout:
# the statement gave up; the session rolls the rest back), PostgreSQL 40P01 (deadlock).
MYSQL_LOCK_CONFLICTS = (1205, 1213)
POSTGRESQL_LOCK_CONFLICTS = ('40P01',)
# How often a transaction runs at most, and the base of the jittered pause between runs
# (attempt n waits up to BASE * 2**(n-1) seconds: 50 ms, then 100 ms).
TRANSACTION_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = 0.05

LOG = logging.getLogger(__name__)


def is_lock_conflict(exc):
    """True when ``exc`` is the database giving a transaction up to a lock conflict."""
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    orig = getattr(exc, 'orig', None)
    args = getattr(orig, 'args', None) or (None,)
    if args[0] in MYSQL_LOCK_CONFLICTS:
        return True
    sqlstate = getattr(orig, 'sqlstate', None) or getattr(orig, 'pgcode', None)
    return sqlstate in POSTGRESQL_LOCK_CONFLICTS


def retrying(transaction, attempts=TRANSACTION_ATTEMPTS, sleep=time.sleep):
    """``transaction()``, run again (up to ``attempts`` runs in all) while it loses a lock
    conflict; the last conflict is raised as it came.

    ``transaction`` must open and end its own transaction(s) with read()/write(), so that a
    conflict has rolled everything back before it runs again.
    """
    for attempt in range(1, attempts + 1):
        try:
            return transaction()
        except sa.exc.OperationalError as exc:
            if attempt == attempts or not is_lock_conflict(exc):
                raise
            pause = random.uniform(0, RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
            LOG.info('Lock conflict in the database (attempt %d of %d), running the '
                     'transaction again in %.3f s: %s', attempt, attempts, pause, exc.orig)
            sleep(pause)
