"""RabbitMQ stopped and started again under a running glance-api and glance-registry.

The daemons here talk to a private RabbitMQ node (private_rabbitmq.py) that the tests stop
with ``rabbitmqctl stop`` and start again; the machine's shared broker is never touched.
While the broker is away every call must end in a 503 within a bound (oslo.messaging on its
own would retry sending forever), and once it is back both daemons must reconnect by
themselves, without a restart.
"""

import os
import signal
import time

import pytest
import requests

from tests import db_backends
from tests.functional import daemons
from tests.functional import private_rabbitmq
from tests.functional import process_ids
from tests.functional.metadata_traffic import MetadataTraffic

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(private_rabbitmq.available()),
                       reason=private_rabbitmq.available() or 'rabbitmq-server is installed'),
]

# How much later than rpc_timeout a 503 may come while the broker is down. A send gives up
# after one reconnect attempt (common.rpc.transport.SEND_RETRIES), which costs about
# kombu_reconnect_delay + rabbit_retry_interval (2 s by default); it may first wait for the
# connection's heartbeat thread, which holds the connection while it tries to reconnect too.
MARGIN_SECONDS = 10
CLIENTS = 4
# After the broker returns, a connection retries it with a growing pause capped by
# rabbit_interval_max (30 s by default).
RECOVERY_SECONDS = 45
# A daemon gives its transport common.rpc.transport.CLOSE_TIMEOUT_SECONDS to close.
STOP_SECONDS = 12


@pytest.fixture(scope='module')
def broker():
    with private_rabbitmq.private_rabbitmq() as broker:
        yield broker


@pytest.fixture(scope='module')
def bus_service(broker, tmp_path_factory):
    workdir = tmp_path_factory.mktemp('glance-bus')
    with db_backends.temporary_database('sqlite', str(workdir)) as url:
        with private_rabbitmq.GlanceServiceOnBroker(
                workdir / 'service', url, broker.transport_url, name='bus').running() as service:
            yield service


@pytest.fixture
def running_broker(broker, bus_service):
    """The broker up and the service answering before each test, whatever the last left."""
    if not broker.alive():
        broker.start()
    bus_service.wait_for_registry(timeout=RECOVERY_SECONDS + 30)
    return broker


def _list_images(service):
    """One listing on a new connection (so any api worker may serve it); -> (resp, seconds)."""
    started = time.monotonic()
    resp = requests.get(service.base_url + '/v2/images',
                        headers=daemons.project_headers('bus-probe'),
                        timeout=daemons.RPC_TIMEOUT + 30)
    return resp, time.monotonic() - started


def _assert_503_in_time(resp, elapsed):
    assert resp.status_code == 503, (resp.status_code, resp.text)
    assert resp.json()['error']['code'] == 503
    assert elapsed < daemons.RPC_TIMEOUT + MARGIN_SECONDS, elapsed


def test_broker_restart_gives_503_in_time_then_both_daemons_reconnect_on_their_own(
        running_broker, bus_service):
    pids = process_ids.service_pids(bus_service)
    with MetadataTraffic(bus_service.base_url, threads=CLIENTS) as traffic:
        traffic.wait_for_acknowledgements(20)
        running_broker.stop()
        down_at = time.monotonic()
        traffic.wait_for(lambda: traffic.count(503, since=down_at) >= 2 * CLIENTS,
                         daemons.RPC_TIMEOUT + MARGIN_SECONDS + 30, 'clients seeing 503')
        # Every call needs the bus: none sent while it was down was acknowledged.
        assert not traffic.threads_acknowledged_since(down_at)
        resp, elapsed = _list_images(bus_service)
        _assert_503_in_time(resp, elapsed)

        running_broker.start()
        restarted_at = time.monotonic()
        recovered_at = traffic.wait_until_every_thread_succeeds(restarted_at,
                                                                RECOVERY_SECONDS)
        traffic.wait_for_acknowledgements(10, since=recovered_at)

    assert traffic.unexpected() == []
    slowest = traffic.slowest()
    assert slowest.elapsed < daemons.RPC_TIMEOUT + MARGIN_SECONDS, slowest
    assert traffic.missing_or_wrong() == []
    # Nothing was restarted: the same api master, workers and registry serve again.
    assert process_ids.service_pids(bus_service) == pids
    resp, _ = _list_images(bus_service)
    assert resp.status_code == 200


def test_daemons_during_a_broker_outage_answer_503_api_stops_promptly_both_start_again(
        running_broker, bus_service):
    running_broker.stop()
    # A fresh api worker has no reply queue yet: oslo.messaging would set it up during the
    # first call, retrying the broker without bound while every other call waits for it.
    old_workers = process_ids.children(bus_service.api.pid)
    for worker in old_workers:
        # gunicorn's master replaces each killed worker with a fresh one.
        os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        workers = process_ids.children(bus_service.api.pid)
        if len(workers) == daemons.API_WORKERS and not set(workers) & set(old_workers):
            break
        assert time.monotonic() < deadline, 'gunicorn did not replace its workers'
        time.sleep(0.2)
    for _ in range(2 * daemons.API_WORKERS):
        _assert_503_in_time(*_list_images(bus_service))

    # Closing connections that are retrying the broker must not hold up the api's exit.
    started = time.monotonic()
    bus_service.api.signal(signal.SIGTERM)
    assert bus_service.api.wait_stopped() == 0
    assert time.monotonic() - started < STOP_SECONDS
    # Not SIGTERM: glance-registry's graceful stop waits for its calls in progress, and a
    # call whose reply oslo.messaging is still trying to send retries until the broker is
    # back (the registry's reply connections have no retry bound).
    for registry in bus_service.live_registries():
        registry.kill()

    # Daemons started while the broker is away wait for it and then serve.
    bus_service.start_registry()
    bus_service.start_api()
    bus_service.wait_for_api()
    _assert_503_in_time(*_list_images(bus_service))
    running_broker.start()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        resp, _ = _list_images(bus_service)
        if resp.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert resp.status_code == 200, resp.text
