import re

from tests.unit.api.conftest import ALICE

GENERATED = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-'
                       r'[0-9a-f]{12}$')


def test_generated_when_absent(client):
    first = client.get('/versions').headers['x-openstack-request-id']
    second = client.get('/versions').headers['x-openstack-request-id']
    assert GENERATED.match(first)
    assert first != second


def test_callers_id_is_echoed(client):
    response = client.get('/versions', headers={'X-Openstack-Request-ID': 'req-mine-1'})
    assert response.headers['x-openstack-request-id'] == 'req-mine-1'


def test_present_on_404_of_unknown_route(client):
    # Within the version prefix: any other path gets the versions document (300).
    response = client.get('/v2/no/such/route', headers={'X-Openstack-Request-ID': 'abc'})
    assert response.status_code == 404
    assert response.headers['x-openstack-request-id'] == 'abc'


def test_present_on_registry_errors(client):
    response = client.get('/v2/images/00000000-0000-0000-0000-000000000000', headers=ALICE)
    assert response.status_code == 404
    assert GENERATED.match(response.headers['x-openstack-request-id'])


def test_too_long_id_is_refused_with_431_and_a_fresh_id(client, conf):
    long_id = 'x' * (conf.max_request_id_length + 1)
    response = client.get('/versions', headers={'X-Openstack-Request-ID': long_id})
    assert response.status_code == 431
    assert response.get_json()['error']['code'] == 431
    assert GENERATED.match(response.headers['x-openstack-request-id'])


def test_id_at_the_limit_is_accepted(client, conf):
    exact = 'y' * conf.max_request_id_length
    response = client.get('/versions', headers={'X-Openstack-Request-ID': exact})
    assert response.status_code == 200
    assert response.headers['x-openstack-request-id'] == exact


def test_request_id_reaches_the_context(app, client):
    seen = {}

    @app.get('/v2/test-context')
    def probe():
        from api_service.http import app_parts
        seen['ctx'] = app_parts.request_context()
        return ''

    client.get('/v2/test-context', headers={'X-Openstack-Request-ID': 'req-ctx'})
    assert seen['ctx'].request_id == 'req-ctx'
