"""The registry's sweeper thread: sweeps at start and then periodically, logs each image it
returns to queued, survives a database that is away, and stops when asked."""

import logging
import time

from oslo_config import cfg

from registry_service import config
from registry_service import images
from registry_service import lease_sweeper
from registry_service import uploads
from registry_service.db import session as db_session
from tests.unit.registry.helpers import ready_image


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'condition not met in %s s' % timeout
        time.sleep(0.05)


def test_sweeper_returns_expired_uploads_to_queued_and_logs_each(db, alice, caplog):
    expired_at_start = ready_image(db, alice)
    uploads.begin(db, alice, expired_at_start['id'], 1)
    time.sleep(1.1)
    sweeper = lease_sweeper.LeaseSweeper(db, interval=0.2)
    caplog.set_level(logging.WARNING, logger='registry_service.lease_sweeper')
    sweeper.start()
    try:
        wait_for(lambda: images.get(db, alice, expired_at_start['id'])['status'] == 'queued')
        # A later one is found by a later sweep.
        expiring = ready_image(db, alice)
        uploads.begin(db, alice, expiring['id'], 1)
        wait_for(lambda: images.get(db, alice, expiring['id'])['status'] == 'queued')
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
