"""GET /healthcheck with a live registry, a silent one and one that refuses."""

import threading
import time

from api_service.http.views import health
from api_service.wsgi import app as app_module
from common import exceptions


def test_healthcheck_is_200_ok_without_credentials(client):
    response = client.get('/healthcheck')
    assert response.status_code == 200
    assert response.data == b'OK'
    assert response.mimetype == 'text/plain'
    assert response.headers['x-openstack-request-id'].startswith('req-')
    assert client.head('/healthcheck').status_code == 204


class SilentRegistry:
    """A registry client whose ping hangs until released, counting the pings sent."""

    def __init__(self):
        self.release = threading.Event()
        self.pings = 0

    def ping(self, ctxt):
        self.pings += 1
        self.release.wait(30)
        raise exceptions.RegistryUnavailable()


def test_healthcheck_is_503_in_time_when_the_registry_is_silent(conf, monkeypatch):
    monkeypatch.setattr(health, 'PROBE_TIMEOUT', 0.05)
    registry = SilentRegistry()
    client = app_module.create_app(conf, registry=registry, stores=object()).test_client()
    try:
        for _ in range(3):
            started = time.monotonic()
            response = client.get('/healthcheck')
            assert response.status_code == 503
            assert time.monotonic() - started < 2
        assert client.head('/healthcheck').status_code == 503
        # One hung ping is shared by every check that comes while it hangs.
        assert registry.pings == 1
    finally:
        registry.release.set()


class RefusingRegistry:
    def ping(self, ctxt):
        raise exceptions.DatabaseUnavailable()


def test_healthcheck_is_503_when_the_ping_fails(conf):
    client = app_module.create_app(conf, registry=RefusingRegistry(),
                                   stores=object()).test_client()
    response = client.get('/healthcheck')
    assert response.status_code == 503
    assert b'unreachable' in response.data
