"""PostgreSQL stopped (``pg_ctl stop -m fast``) and started again under live traffic.

The registry here runs on a private cluster (private_postgresql.py), never on the machine's
shared server. While the database is down the registry itself answers every call with
"database unavailable" (503), well within rpc_timeout; once it is back the same registry
serves again (its pool tests each connection before use), and no daemon is restarted.
"""

import time

import pytest

from tests.functional import daemons
from tests.functional import private_postgresql
from tests.functional import process_ids
from tests.functional.metadata_traffic import MetadataTraffic

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(private_postgresql.available()),
                       reason=private_postgresql.available() or 'PostgreSQL is installed'),
]

CLIENTS = 4
RECOVERY_SECONDS = 30


@pytest.fixture(scope='module')
def cluster():
    with private_postgresql.private_postgresql() as cluster:
        yield cluster


@pytest.fixture(scope='module')
def pg_service(cluster, tmp_path_factory):
    url = cluster.create_database('glimpse')
    with daemons.GlanceService(tmp_path_factory.mktemp('glance-pg-fault') / 'service',
                               url, name='pg-fault').running() as service:
        yield service


def test_database_stopped_under_traffic_gives_503_then_full_service_without_restarts(
        cluster, pg_service):
    pids = process_ids.service_pids(pg_service)
    with MetadataTraffic(pg_service.base_url, threads=CLIENTS) as traffic:
        traffic.wait_for_acknowledgements(20)
        stopped_at = time.monotonic()
        cluster.stop()
        traffic.wait_for(lambda: traffic.count(503, since=stopped_at) >= 3 * CLIENTS,
                         daemons.RPC_TIMEOUT + 30, 'clients seeing 503')
        outage_slowest = traffic.slowest(since=stopped_at)

        cluster.start()
        restarted_at = time.monotonic()
        recovered_at = traffic.wait_until_every_thread_succeeds(restarted_at,
                                                                RECOVERY_SECONDS)
        traffic.wait_for_acknowledgements(20, since=recovered_at)

    assert traffic.unexpected() == []
    # The registry answered each call itself: nothing waited for the rpc_timeout.
    assert outage_slowest.elapsed < daemons.RPC_TIMEOUT, outage_slowest
    assert traffic.missing_or_wrong() == []
    assert process_ids.service_pids(pg_service) == pids
