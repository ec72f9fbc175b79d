"""The engine and the transactions of the image database.

Every RPC call runs in exactly one transaction, opened with ``Database.read()`` or
``Database.write()``.
"""

import contextlib
import threading

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


def _prepare_sqlite(engine):
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
        _prepare_sqlite(engine)
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
        self._writer = orm.sessionmaker(
            bind=engine.execution_options(glimpse_write=True), expire_on_commit=False)
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

    def ping(self):
        with self.read() as session:
            session.execute(sa.text('SELECT 1'))

    def dispose(self):
        self.engine.dispose()
