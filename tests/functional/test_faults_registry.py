"""The registry SIGKILLed in the middle of a burst of metadata calls.

test_registry_outage.py covers one call at a time; here eight clients keep creating and
patching images while the only registry is killed and, after a while, replaced. Runs its own
api + registry on SQLite, so the shared services of the other tests are never disturbed.
"""

import time

import pytest

from tests.functional import daemons
from tests.functional.metadata_traffic import MetadataTraffic

# How much later than rpc_timeout a 503 may come: api overhead plus a loaded machine.
MARGIN_SECONDS = 5
CLIENTS = 8
# A new registry starts, connects and serves in a few seconds here; generous for CI.
RECOVERY_SECONDS = 60


@pytest.fixture(scope='module')
def burst_service(tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp('glance-burst'),
                                 name='burst') as service:
        yield service


def test_registry_killed_during_a_burst_answers_503_in_time_and_keeps_every_acknowledged_call(
        burst_service):
    api_pid = burst_service.api.pid
    with MetadataTraffic(burst_service.base_url, threads=CLIENTS) as traffic:
        traffic.wait_for_acknowledgements(40)
        killed_at = time.monotonic()
        for registry in burst_service.live_registries():
            registry.kill()

        # Every client runs into the outage: calls in flight when the registry died and
        # calls sent afterwards all end in 503.
        traffic.wait_for(lambda: traffic.count(503, since=killed_at) >= 2 * CLIENTS,
                         daemons.RPC_TIMEOUT + MARGIN_SECONDS + 30, 'clients seeing 503')
        burst_service.start_registry()
        restarted_at = time.monotonic()
        traffic.wait_until_every_thread_succeeds(restarted_at, RECOVERY_SECONDS)
        traffic.wait_for_acknowledgements(20, since=time.monotonic())

    assert traffic.unexpected() == []
    slowest = traffic.slowest()
    assert slowest.elapsed < daemons.RPC_TIMEOUT + MARGIN_SECONDS, slowest
    # The api kept running; the new registry serves what the old one acknowledged.
    assert burst_service.api.pid == api_pid and burst_service.api.alive()
    assert len(traffic.acknowledged) >= CLIENTS
    assert traffic.missing_or_wrong() == []
