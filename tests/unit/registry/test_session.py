import concurrent.futures

import sqlalchemy as sa

from registry_service import images
from registry_service.db import session as db_session
from tests.unit.registry.helpers import new_image


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(conf):
    if not conf.database.connection.startswith('sqlite'):
        return
    database = db_session.Database.from_conf(conf)
    try:
        with database.read() as session:
            pragma = lambda name: session.execute(sa.text('PRAGMA %s' % name)).scalar()  # noqa: E731
            assert pragma('journal_mode') == 'wal'
            assert pragma('foreign_keys') == 1
            assert pragma('busy_timeout') == db_session.SQLITE_BUSY_TIMEOUT_MS
    finally:
        database.dispose()


def _sqlite_synchronous(conf):
    database = db_session.Database.from_conf(conf)
    try:
        with database.read() as session:
            return session.execute(sa.text('PRAGMA synchronous')).scalar()
    finally:
        database.dispose()


def test_sqlite_commits_wait_for_the_disk_unless_sqlite_synchronous_is_false(conf):
    if not conf.database.connection.startswith('sqlite'):
        return
    full, off = 2, 0
    assert _sqlite_synchronous(conf) == full
    conf.set_override('sqlite_synchronous', False, group='database')
    assert _sqlite_synchronous(conf) == off


def test_server_database_pool_matches_the_rpc_executor(conf):
    conf.set_override('connection', 'postgresql+psycopg2://u@127.0.0.1/x', group='database')
    engine = db_session.make_engine(conf)  # connects lazily: nothing is contacted here
    assert engine.pool.size() == conf.executor_thread_pool_size == 64
    assert engine.pool._pre_ping
    conf.set_override('executor_thread_pool_size', 16)
    assert db_session.make_engine(conf).pool.size() == 16
    conf.set_override('max_pool_size', 5, group='database')
    assert db_session.make_engine(conf).pool.size() == 5


def test_two_registries_write_one_database_concurrently(conf, alice):
    # Two Database objects stand for two registry processes; on SQLite they must queue for
    # the write lock rather than fail with "database is locked".
    first = db_session.Database.from_conf(conf)
    second = db_session.Database.from_conf(conf)
    image = new_image(first, alice)

    def rename(i):
        database = (first, second)[i % 2]
        change = [{'op': 'add', 'path': 'p%d' % i, 'value': str(i)}]
        return images.update(database, alice, image['id'], change)['id']

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(rename, range(40))) == [image['id']] * 40
        final = images.get(first, alice, image['id'])
        assert final['properties'] == {'p%d' % i: str(i) for i in range(40)}
    finally:
        first.dispose()
        second.dispose()
