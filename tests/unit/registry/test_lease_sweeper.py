"""The registry's sweeper thread: sweeps at start and then periodically, logs each image it
returns to queued, survives a database that is away, and stops when asked.

Time is a FakeClock's: the sweeper waits out its interval on it, and the registry's upload
clock (lease ends, sweeps) moves with it, so no test sleeps.
"""

import datetime
import logging

import pytest
from oslo_config import cfg

from registry_service import config
from registry_service import images
from registry_service import lease_sweeper
from registry_service import uploads
from registry_service.db import session as db_session
from tests.unit.fake_clock import FakeClock
from tests.unit.fake_clock import PacedByClock
from tests.unit.registry.helpers import ready_image


class ClockedSweeper(PacedByClock, lease_sweeper.LeaseSweeper):
    """LeaseSweeper whose thread waits out its interval on the fake clock."""

    def __init__(self, database, interval, clock):
        super().__init__(database, interval)
        self._stopping = clock.event()


@pytest.fixture
def clock(monkeypatch):
    """A fake clock that also moves the registry's upload wall clock (leases and sweeps)."""
    clock = FakeClock()
    started_at, real_utcnow = clock(), uploads.utcnow
    monkeypatch.setattr(uploads, 'utcnow', lambda: real_utcnow() + datetime.timedelta(
        seconds=clock() - started_at))
    return clock


def status_of(db, ctxt, image):
    return images.get(db, ctxt, image['id'])['status']


def test_sweeper_returns_expired_uploads_to_queued_and_logs_each(db, alice, caplog, clock):
    expired_at_start = ready_image(db, alice)
    uploads.begin(db, alice, expired_at_start['id'], 1)
    clock.advance(1.1)
    sweeper = ClockedSweeper(db, interval=0.2, clock=clock)
    caplog.set_level(logging.WARNING, logger='registry_service.lease_sweeper')
    sweeper.start()
    try:
        clock.advance(0)  # the sweep at start
        assert status_of(db, alice, expired_at_start) == 'queued'
        # A later one is found by a later sweep, once its lease has passed.
        expiring = ready_image(db, alice)
        uploads.begin(db, alice, expiring['id'], 1)
        clock.advance(0.2)
        assert status_of(db, alice, expiring) == 'saving'
        clock.advance(1.0)
        assert status_of(db, alice, expiring) == 'queued'
    finally:
        sweeper.stop(timeout=10)
    assert not sweeper._thread.is_alive()
    logged = '\n'.join(r.getMessage() for r in caplog.records)
    assert expired_at_start['id'] in logged and expiring['id'] in logged


def test_sweep_survives_an_unreachable_database(caplog):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], project='glance')
    # Nothing listens on port 1: connecting fails at once, as with a stopped server.
    conf.set_override('connection', 'postgresql+psycopg2://postgres@127.0.0.1:1/x',
                      group='database')
    database = db_session.Database.from_conf(conf)
    try:
        sweeper = lease_sweeper.LeaseSweeper(database, interval=60)
        assert sweeper.sweep_once() == []
    finally:
        database.dispose()
    assert any('Sweep for abandoned uploads failed' in r.getMessage()
               for r in caplog.records)


def test_interval_0_disables_the_sweeper(conf, db):
    conf.set_override('upload_sweep_interval', 0)
    assert lease_sweeper.start(conf, db) is None
