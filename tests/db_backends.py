"""Throw-away databases on the three supported backends, for every test tier.

The PostgreSQL and MariaDB servers must be running (CI starts them); a test that needs one
fails, rather than skips, when it is unreachable.
"""

import contextlib
import os
import uuid

import sqlalchemy as sa

BACKENDS = ('sqlite', 'postgresql', 'mysql')

# The administrative databases through which test databases are created and dropped.
SERVER_URLS = {
    'postgresql': 'postgresql+psycopg2://postgres@127.0.0.1:5432/%s',
    'mysql': 'mysql+pymysql://root@127.0.0.1:3306/%s?charset=utf8mb4',
}
ADMIN_DATABASE = 'test'


def _run_on_server(kind, *statements):
    engine = sa.create_engine(SERVER_URLS[kind] % ADMIN_DATABASE,
                              isolation_level='AUTOCOMMIT', poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@contextlib.contextmanager
def temporary_database(kind, tmp_dir):
    """Yield the SQLAlchemy URL of a new, empty database of `kind`; drop it afterwards."""
    name = 'glimpse_%s' % uuid.uuid4().hex[:12]
    if kind == 'sqlite':
        yield 'sqlite:///%s' % os.path.join(str(tmp_dir), name + '.sqlite')
        return
    if kind not in SERVER_URLS:
        raise ValueError('unknown database backend %r' % (kind,))
    if kind == 'mysql':
        _run_on_server(kind, 'CREATE DATABASE %s CHARACTER SET utf8mb4 '
                             'COLLATE utf8mb4_bin' % name)
    else:
        _run_on_server(kind, 'CREATE DATABASE %s' % name)
    try:
        yield SERVER_URLS[kind] % name
    finally:
        # FORCE: a connection a failed test left open must not keep the database alive.
        _run_on_server(kind, 'DROP DATABASE IF EXISTS %s' % name
                       + (' WITH (FORCE)' if kind == 'postgresql' else ''))
