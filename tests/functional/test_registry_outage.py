"""Registry faults for real: SIGKILL, restart, two registries on one topic, SIGTERM.

This module runs its own api + registry on SQLite (a private topic), so killing registries
here never disturbs the shared services of the other tests.
"""

import signal
import time
import uuid

import pytest
import requests

from tests.functional import daemons
from tests.functional.http_api import ImagesApi

# How much later than rpc_timeout a 503 may come: api overhead plus a loaded CI machine.
MARGIN_SECONDS = 5
CLIENT_TIMEOUT = daemons.RPC_TIMEOUT + 20


@pytest.fixture(scope='module')
def outage_service(tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp('glance-outage'),
                                 name='outage') as service:
        yield service


@pytest.fixture
def images(outage_service):
    api = ImagesApi(outage_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    # Every test starts with exactly one healthy registry, whatever the previous one left.
    if not outage_service.live_registries():
        outage_service.start_registry()
        outage_service.wait_for_registry()
    yield api
    api.session.close()


def _request_id():
    return f'req-{uuid.uuid4()}'


def _show(images, image_id, request_id=None):
    headers = {'X-Openstack-Request-ID': request_id or _request_id()}
    return images.request('GET', f'/v2/images/{image_id}', headers=headers,
                          timeout=CLIENT_TIMEOUT)


def _served(daemon, request_ids):
    """The ids among ``request_ids`` that appear in this registry's log."""
    text = daemon.log_path.read_text(errors='replace') if daemon.log_path.exists() else ''
    return {rid for rid in request_ids if rid in text}


def _wait_until_serving(images, image_id, daemon, timeout=60):
    """Send calls until ``daemon``'s log shows it served one (it shares the topic)."""
    deadline = time.monotonic() + timeout
    sent = []
    while time.monotonic() < deadline:
        assert daemon.alive(), daemon.log_text()
        sent.append(_request_id())
        assert _show(images, image_id, sent[-1]).status_code == 200
        if _served(daemon, sent):
            return
        time.sleep(0.1)
    raise AssertionError(f'{daemon.name} served none of {len(sent)} calls:\n'
                         f'{daemon.log_text()}')


def _kill_all_registries(service):
    for registry in service.live_registries():
        registry.kill()
    assert not service.live_registries()


def _assert_503_in_time(resp, started):
    elapsed = time.monotonic() - started
    assert resp.status_code == 503, (resp.status_code, resp.text)
    assert resp.headers['Content-Type'].startswith('application/json')
    body = resp.json()
    assert body.get('error', body)['code'] == 503
    assert elapsed < daemons.RPC_TIMEOUT + MARGIN_SECONDS, elapsed


def test_killed_registry_makes_metadata_calls_503_within_rpc_timeout(outage_service, images):
    image = images.create_ok(name='before-outage')
    assert images.upload(image['id'], b'bytes').status_code == 204
    _kill_all_registries(outage_service)

    calls = [
        lambda: _show(images, image['id']),
        lambda: images.request('GET', '/v2/images', timeout=CLIENT_TIMEOUT),
        lambda: images.request('POST', '/v2/images', json={'name': 'during-outage'},
                               timeout=CLIENT_TIMEOUT),
        lambda: images.request('DELETE', f'/v2/images/{image["id"]}', timeout=CLIENT_TIMEOUT),
        lambda: images.request('GET', f'/v2/images/{image["id"]}/file',
                               timeout=CLIENT_TIMEOUT),
    ]
    for call in calls:
        started = time.monotonic()
        _assert_503_in_time(call(), started)
    # The api itself is up: what does not need the registry still answers.
    assert requests.get(outage_service.base_url + '/versions', timeout=10).status_code == 200
    assert outage_service.api.alive()


def test_new_registry_on_the_same_topic_serves_again_without_api_restart(outage_service,
                                                                          images):
    image = images.create_ok(name='survives')
    api_pid = outage_service.api.pid
    _kill_all_registries(outage_service)
    started = time.monotonic()
    _assert_503_in_time(_show(images, image['id']), started)

    outage_service.start_registry()

    deadline = time.monotonic() + 60
    while True:
        resp = _show(images, image['id'])
        if resp.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert resp.status_code == 200, resp.text
    assert resp.json()['name'] == 'survives'
    assert outage_service.api.pid == api_pid and outage_service.api.alive()
    assert images.create(name='after-outage', disk_format='raw',
                         container_format='bare').status_code == 201


def test_a_create_that_answered_503_never_appears_later(outage_service, images):
    _kill_all_registries(outage_service)
    name = f'ghost-{uuid.uuid4().hex[:8]}'
    started = time.monotonic()
    resp = images.request('POST', '/v2/images', json={'name': name}, timeout=CLIENT_TIMEOUT)
    _assert_503_in_time(resp, started)

    outage_service.start_registry()
    outage_service.wait_for_registry()
    # Give a queued copy of the call every chance to be consumed by the new registry.
    time.sleep(2)

    listed = images.list(name=name).json()['images']
    assert listed == []


def test_two_registries_on_one_topic_both_serve_calls(outage_service, images):
    image = images.create_ok(name='shared-topic')
    first = outage_service.live_registries()[0]
    second = outage_service.start_registry()
    _wait_until_serving(images, image['id'], second)

    request_ids = [_request_id() for _ in range(20)]
    for request_id in request_ids:
        resp = _show(images, image['id'], request_id)
        assert resp.status_code == 200
        assert resp.headers['x-openstack-request-id'] == request_id

    by_first, by_second = _served(first, request_ids), _served(second, request_ids)
    assert by_first and by_second, (len(by_first), len(by_second))
    # Each call was served exactly once, by one of the two.
    assert by_first | by_second == set(request_ids)
    assert not by_first & by_second
    second.stop()


def test_sigterm_stops_a_registry_promptly_with_exit_code_0(outage_service, images):
    image = images.create_ok(name='sigterm')
    extra = outage_service.start_registry()
    _wait_until_serving(images, image['id'], extra)

    started = time.monotonic()
    extra.signal(signal.SIGTERM)
    returncode = extra.proc.wait(timeout=15)

    elapsed = time.monotonic() - started
    extra.stop()
    assert returncode == 0, extra.log_text()
    assert elapsed < 10
    # The remaining registry keeps serving the topic.
    assert _show(images, image['id']).status_code == 200
