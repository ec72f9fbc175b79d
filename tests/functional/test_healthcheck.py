"""GET /healthcheck against a service of its own: OK, 503 while no registry runs, OK again."""

import time

import pytest
import requests

from tests.functional import daemons


@pytest.fixture(scope='module')
def health_service(tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp('glance-health'),
                                 name='health') as service:
        yield service


def _check(service, method='GET'):
    return requests.request(method, service.base_url + '/healthcheck', timeout=15)


def _wait_for(service, status, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        resp = _check(service)
        if resp.status_code == status or time.monotonic() > deadline:
            return resp
        time.sleep(0.2)


def test_healthcheck_follows_the_registry_down_and_up_again(health_service):
    resp = _check(health_service)
    assert resp.status_code == 200 and resp.text == 'OK'
    assert resp.headers['Content-Type'].startswith('text/plain')
    assert _check(health_service, 'HEAD').status_code == 204

    for registry in health_service.live_registries():
        registry.kill()
    started = time.monotonic()
    resp = _check(health_service)
    assert resp.status_code == 503, resp.text
    # The check answers in its own short time, not after the registry rpc_timeout.
    assert time.monotonic() - started < 5
    assert _check(health_service, 'HEAD').status_code == 503

    health_service.start_registry()
    resp = _wait_for(health_service, 200)
    assert resp.status_code == 200 and resp.text == 'OK'
