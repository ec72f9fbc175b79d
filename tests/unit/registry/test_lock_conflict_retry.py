"""A transaction that loses a lock conflict (MySQL/MariaDB deadlock 1213 or lock wait
timeout 1205, PostgreSQL deadlock 40P01) is run again whole, a bounded number of times,
instead of becoming DatabaseUnavailable (503) at once."""

import concurrent.futures
import contextlib
import time

import oslo_messaging
import pytest
import sqlalchemy as sa
from oslo_config import cfg

from common import exceptions
from registry_service import config
from registry_service import endpoint
from registry_service import images
from registry_service.db import migration
from registry_service.db import session as db_session
from tests import db_backends
from tests.unit.registry.conftest import make_context
from tests.unit.registry.helpers import new_image


class DriverError(Exception):
    """Stands in for a DBAPI error: its args are what the driver gives."""


class PgError(Exception):
    def __init__(self, pgcode):
        super().__init__('deadlock detected')
        self.pgcode = pgcode


def operational(orig):
    return sa.exc.OperationalError('UPDATE images ...', {}, orig)


def deadlock():
    return operational(DriverError(1213, 'Deadlock found when trying to get lock; try '
                                         'restarting transaction'))


def lock_wait_timeout():
    return operational(DriverError(1205, 'Lock wait timeout exceeded; try restarting '
                                         'transaction'))


@pytest.mark.parametrize('exc,expected', [
    (deadlock(), True),
    (lock_wait_timeout(), True),
    (operational(PgError('40P01')), True),
    (operational(DriverError(2006, 'MySQL server has gone away')), False),
    (operational(DriverError(2003, "Can't connect to MySQL server")), False),
    (operational(PgError('57P01')), False),  # admin shutdown
    (operational(DriverError('database is locked')), False),
    (sa.exc.DataError('INSERT ...', {}, DriverError(1264, 'Out of range')), False),
    (ValueError(1213), False),
])
def test_which_errors_are_lock_conflicts(exc, expected):
    assert db_session.is_lock_conflict(exc) is expected


class Flaky:
    """A transaction that fails with the given errors first, then answers 'done'."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return 'done'


def test_a_lock_conflict_is_retried_with_short_growing_jittered_pauses():
    pauses = []
    transaction = Flaky(deadlock(), lock_wait_timeout())
    assert db_session.retrying(transaction, sleep=pauses.append) == 'done'
    assert transaction.calls == 3
    assert len(pauses) == 2
    assert 0 <= pauses[0] <= db_session.RETRY_BACKOFF_SECONDS
    assert 0 <= pauses[1] <= 2 * db_session.RETRY_BACKOFF_SECONDS


def test_retries_are_bounded_and_the_last_conflict_is_raised():
    errors = [deadlock() for _ in range(db_session.TRANSACTION_ATTEMPTS + 1)]
    transaction = Flaky(*errors)
    with pytest.raises(sa.exc.OperationalError) as raised:
        db_session.retrying(transaction, sleep=lambda seconds: None)
    assert transaction.calls == db_session.TRANSACTION_ATTEMPTS == 3
    assert raised.value is errors[2]


@pytest.mark.parametrize('exc', [
    operational(DriverError(2006, 'MySQL server has gone away')),
    exceptions.Conflict('not a database error'),
    ValueError('a bug'),
])
def test_anything_else_is_not_retried(exc):
    transaction = Flaky(exc)
    with pytest.raises(type(exc)):
        db_session.retrying(transaction, sleep=pytest.fail)
    assert transaction.calls == 1


@pytest.fixture
def deadlocking_db(db, monkeypatch):
    """``db`` whose next ``failures`` write transactions do their work, then deadlock
    before they commit (so the database rolls them back)."""
    monkeypatch.setattr(db_session, 'RETRY_BACKOFF_SECONDS', 0.001)
    state = {'failures': 0, 'writes': 0}

    # Both ways into a write transaction: the ORM session and the bare connection
    # (image_rows' calls).
    def deadlocking(real_write, flush):
        @contextlib.contextmanager
        def write():
            with real_write() as handle:
                yield handle
                state['writes'] += 1
                if state['failures']:
                    state['failures'] -= 1
                    flush(handle)
                    raise deadlock()
        return write

    monkeypatch.setattr(db, 'write', deadlocking(db.write, lambda session: session.flush()))
    monkeypatch.setattr(db, 'write_connection',
                        deadlocking(db.write_connection, lambda connection: None))
    return db, state


def test_the_endpoint_runs_a_deadlocked_call_again_and_commits_it_once(deadlocking_db):
    db, state = deadlocking_db
    state['failures'] = 2
    ctxt = make_context('p1')
    created = endpoint.RegistryEndpoint(db).image_create(
        ctxt, values={'owner': 'p1', 'name': 'once'}, properties={'k': 'v'}, tags=['t'])
    assert state['writes'] == 3
    with db.read() as session:
        names = session.execute(sa.text('SELECT name FROM images')).scalars().all()
    assert names == ['once']
    assert images.get(db, ctxt, created['id'])['properties'] == {'k': 'v'}


def test_a_call_that_keeps_deadlocking_is_still_database_unavailable(deadlocking_db):
    db, state = deadlocking_db
    state['failures'] = db_session.TRANSACTION_ATTEMPTS
    with pytest.raises(oslo_messaging.ExpectedException) as raised:
        endpoint.RegistryEndpoint(db).image_create(
            make_context('p1'), values={'owner': 'p1'}, properties={}, tags=[])
    assert isinstance(raised.value.__cause__, exceptions.DatabaseUnavailable)
    assert state['writes'] == db_session.TRANSACTION_ATTEMPTS


# A real deadlock on MariaDB. The registry's image_update locks the image row, then updates
# a property row; another transaction that holds that property row and then asks for the
# image row closes the cycle. InnoDB rolls back the transaction that changed fewer rows, so
# the other one first inserts rows of its own: the registry's call is the one that loses.

WEIGHT_ROWS = 200


@pytest.fixture
def mariadb(tmp_path):
    try:
        stack = db_backends.temporary_database('mysql', tmp_path)
        url = stack.__enter__()
    except Exception as exc:  # the server is not there on this machine
        pytest.skip('MariaDB not available: %s' % exc)
    try:
        migration.upgrade(url)
        conf = cfg.ConfigOpts()
        config.register_opts(conf)
        conf([], project='glance')
        conf.set_override('connection', url, group='database')
        database = db_session.Database.from_conf(conf)
        other = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            yield database, other
        finally:
            database.dispose()
            other.dispose()
    finally:
        stack.__exit__(None, None, None)


def _wait_for_a_lock_wait(engine, timeout=10):
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(sa.text(
                "SELECT COUNT(*) FROM information_schema.innodb_trx "
                "WHERE trx_state = 'LOCK WAIT'")).scalar()
            if waiting:
                return
            time.sleep(0.02)
    pytest.fail('the registry call never waited for the lock')


def test_a_real_mariadb_deadlock_is_retried_and_the_call_succeeds(mariadb, monkeypatch):
    database, other = mariadb
    ctxt = make_context('p1')
    image_id = new_image(database, ctxt, properties={'k': 'v1'})['id']
    attempts = []
    real_update = images.update
    monkeypatch.setattr(images, 'update', lambda *args, **kwargs: (
        attempts.append(1), real_update(*args, **kwargs))[1])
    with other.connect() as connection:
        connection.exec_driver_sql('CREATE TABLE weight (i INT) ENGINE=InnoDB')
        connection.commit()
        transaction = connection.begin()
        connection.execute(sa.text('INSERT INTO weight (i) VALUES (:i)'),
                           [{'i': i} for i in range(WEIGHT_ROWS)])
        connection.execute(sa.text(
            "SELECT value FROM image_properties WHERE image_id = :id AND name = 'k' "
            "FOR UPDATE"), {'id': image_id})
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            call = pool.submit(endpoint.RegistryEndpoint(database).image_update, ctxt,
                               image_id=image_id,
                               changes=[{'op': 'replace', 'path': 'k', 'value': 'v2'}])
            _wait_for_a_lock_wait(other)
            # Closes the cycle; InnoDB rolls the registry's transaction back at once.
            connection.execute(sa.text('SELECT id FROM images WHERE id = :id FOR UPDATE'),
                               {'id': image_id})
            transaction.commit()
            updated = call.result(timeout=30)
    assert len(attempts) == 2
    assert updated['properties'] == {'k': 'v2'}
    assert images.get(database, ctxt, image_id)['properties'] == {'k': 'v2'}
