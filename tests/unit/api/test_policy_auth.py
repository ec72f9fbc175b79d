"""auth_strategy / [paste_deploy] flavor, and keystonemiddleware's auth_token in the pipeline.

No Keystone here: a request without a token is refused before auth_token would call one.
Real tokens are in tests/functional/test_keystone_auth.py.
"""

import pytest
from keystonemiddleware import auth_token

from api_service import config as api_config
from api_service import exceptions as api_exceptions
from api_service.wsgi import app as app_module

AUTH_URI = 'http://127.0.0.1:1/identity/v3'


def keystone_conf(conf):
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('www_authenticate_uri', AUTH_URI, group='keystone_authtoken')
    return conf


@pytest.fixture
def keystone_client(conf, registry):
    conf.set_override('auth_strategy', 'keystone')
    return app_module.create_app(keystone_conf(conf), registry=registry).test_client()


def test_without_a_token_the_api_answers_401_with_upstreams_challenge(keystone_client):
    response = keystone_client.get('/v2/images', headers={'X-Roles': 'admin',
                                                          'X-Project-Id': 'p'})
    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'] == 'Keystone uri="%s"' % AUTH_URI
    assert response.get_json()['error']['code'] == 401
    assert response.get_json()['error']['title'] == 'Unauthorized'
    assert response.headers['x-openstack-request-id'].startswith('req-')


def test_versions_and_healthcheck_need_no_token(keystone_client):
    assert keystone_client.get('/versions').status_code == 200
    assert keystone_client.get('/').status_code == 300
    # An unknown version is sent to / by version negotiation: still public.
    assert keystone_client.get('/v9/').status_code == 300
    # Whatever the registry answers (a loaded machine may make it slow), no token is asked.
    health = keystone_client.get('/healthcheck')
    assert health.status_code in (200, 503)
    assert health.get_data(as_text=True) == 'OK' or 'registry' in health.get_data(as_text=True)


def test_keystone_flavor_selects_keystone(conf, registry):
    conf.set_override('flavor', 'keystone+caching', group='paste_deploy')
    assert api_config.auth_strategy(conf) == 'keystone'
    client = app_module.create_app(keystone_conf(conf), registry=registry).test_client()
    assert client.get('/v2/images').status_code == 401


def test_explicit_auth_strategy_wins_over_the_flavor(conf, registry):
    conf.set_override('flavor', 'keystone', group='paste_deploy')
    conf.set_override('auth_strategy', 'noauth')
    client = app_module.create_app(conf, registry=registry).test_client()
    assert client.get('/v2/images', headers={'X-Project-Id': 'p'}).status_code == 200


def test_unset_flavor_and_strategy_mean_noauth(conf):
    assert api_config.auth_strategy(conf) == 'noauth'
    conf.set_override('flavor', 'caching', group='paste_deploy')
    assert api_config.auth_strategy(conf) == 'noauth'


def test_unknown_flavor_stops_glance_api(conf, registry):
    conf.set_override('flavor', 'keystone+everything', group='paste_deploy')
    with pytest.raises(api_exceptions.ConfigurationError, match='keystone\\+everything'):
        app_module.create_app(conf, registry=registry)
