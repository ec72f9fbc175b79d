import time

import pytest

from api_service.wsgi import app as app_module
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import MEMORY_URL
from tests.unit.api.conftest import make_conf


def assert_error_body(response, code, title):
    assert response.status_code == code
    assert response.headers['Content-Type'] == 'application/json'
    body = response.get_json()
    assert body['error']['code'] == code
    assert body['error']['title'] == title
    assert isinstance(body['error']['message'], str) and body['error']['message']
    # python-glanceclient's parser: every value is an object with a message.
    assert all(v.get('message') for v in body.values())


def test_unknown_route_is_json_404(client):
    assert_error_body(client.get('/v2/nothing-here'), 404, 'Not Found')


def test_missing_image_is_json_404(client):
    response = client.get('/v2/images/6a0f5c0e-0000-4000-8000-000000000000', headers=ALICE)
    assert_error_body(response, 404, 'Not Found')
    message = response.get_json()['error']['message']
    assert message == 'No image found with ID 6a0f5c0e-0000-4000-8000-000000000000'


def test_wrong_method_is_405_with_allow(client):
    response = client.put('/v2/images', headers=ALICE)
    assert_error_body(response, 405, 'Method Not Allowed')
    allowed = {m.strip() for m in response.headers['Allow'].split(',')}
    assert {'GET', 'POST'} <= allowed


def test_malformed_json_is_400(client):
    response = client.post('/v2/images', data='{"name": ', headers=dict(
        ALICE, **{'Content-Type': 'application/json'}))
    assert_error_body(response, 400, 'Bad Request')


def test_missing_body_is_400(client):
    assert_error_body(client.post('/v2/images', headers=ALICE), 400, 'Bad Request')


def test_unexpected_error_is_500_with_request_id(conf, registry, datadir):
    class BrokenRegistry:
        def image_get(self, ctxt, image_id):
            raise ZeroDivisionError('boom')

    client = app_module.create_app(conf, registry=BrokenRegistry()).test_client()
    response = client.get('/v2/images/6a0f5c0e-0000-4000-8000-000000000000',
                          headers={'X-Openstack-Request-ID': 'req-oops'})
    assert_error_body(response, 500, 'Internal Server Error')
    assert 'req-oops' in response.get_json()['error']['message']
    assert 'boom' not in response.get_json()['error']['message']


@pytest.fixture
def silent_registry_client(tmp_path):
    """A RegistryClient on a topic nobody consumes, with a 1 s timeout."""
    conf = make_conf(tmp_path, registry__rpc_timeout=1)
    transport = rpc_transport.get_transport(conf, url=MEMORY_URL)
    yield conf, rpc_client.RegistryClient(conf, transport=transport)
    transport.cleanup()


def test_unreachable_registry_is_503(silent_registry_client):
    conf, registry = silent_registry_client
    client = app_module.create_app(conf, registry=registry).test_client()
    started = time.monotonic()
    response = client.get('/v2/images', headers=ALICE)
    assert time.monotonic() - started < 5
    assert_error_body(response, 503, 'Service Unavailable')
    assert response.headers['x-openstack-request-id'].startswith('req-')
