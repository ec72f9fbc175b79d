"""GET /v2/openapi.json: the OpenAPI document, complete, public and true to the config.

The live check of responses against it (schemathesis) is
tests/functional/test_openapi_schemathesis.py.
"""

import re

import openapi_spec_validator
import schemathesis

from api_service.http.views import openapi
from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ALICE
from tests.unit.api.test_policy_auth import keystone_conf

# Methods Flask adds to every route by itself.
IMPLICIT_METHODS = {'HEAD', 'OPTIONS'}


def served_routes(app):
    """{(METHOD, '/path/{param}')} of every view the app routes to."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == 'static':
            continue
        path = re.sub(r'<(?:[^:>]+:)?([^>]+)>', r'{\1}', rule.rule)
        for method in rule.methods - IMPLICIT_METHODS:
            routes.add((method, path))
    return routes


def documented_routes(document):
    return {(method.upper(), path)
            for path, item in document['paths'].items()
            for method in item if method != 'parameters'}


def test_the_document_is_served_as_json_without_credentials(client):
    response = client.get('/v2/openapi.json')
    assert response.status_code == 200
    assert response.mimetype == 'application/json'
    document = response.get_json()
    assert document['openapi'].startswith('3.0.')
    assert document['info']['title'] == 'Glimpse Images API v2'


def test_version_negotiation_serves_it_under_every_known_version(client):
    expected = client.get('/v2/openapi.json').get_json()
    assert client.get('/v2.0/openapi.json').get_json() == expected
    assert client.get('/v2.1/openapi.json').get_json() == expected


def test_it_needs_no_token_with_keystone(conf, registry):
    conf.set_override('auth_strategy', 'keystone')
    client = app_module.create_app(keystone_conf(conf), registry=registry).test_client()
    assert client.get('/v2/images').status_code == 401
    response = client.get('/v2/openapi.json')
    assert response.status_code == 200
    assert response.get_json()['paths']


# The document describes the Images API; the metadata definitions catalog (its routes and
# its /v2/schemas/metadefs documents) is not in it.
METADEF_PREFIXES = ('/v2/metadefs/', '/v2/schemas/metadefs/')


def test_every_served_route_is_documented_and_nothing_else(app, client):
    document = client.get('/v2/openapi.json').get_json()
    documented = documented_routes(document) - {('HEAD', '/healthcheck')}
    served = {route for route in served_routes(app) if not route[1].startswith(METADEF_PREFIXES)}
    assert documented == served
    assert not any(path.startswith(METADEF_PREFIXES) for _, path in documented)


def test_format_enums_follow_the_configuration(conf, registry):
    conf.set_override('container_formats', ['bare', 'ovf'], group='image_format')
    conf.set_override('disk_formats', ['raw', 'qcow2'], group='image_format')
    client = app_module.create_app(conf, registry=registry).test_client()
    schemas = client.get('/v2/openapi.json').get_json()['components']['schemas']
    assert schemas['ContainerFormat']['enum'] == [None, 'bare', 'ovf']
    assert schemas['DiskFormat']['enum'] == [None, 'raw', 'qcow2']


def test_the_shipped_document_has_the_default_formats(conf):
    from api_service import config as api_config
    api_config.register_opts(conf)
    assert openapi.document_for(conf) == openapi.source_document()


def test_the_document_is_valid_openapi_3_0():
    # A stray comma in a YAML flow mapping still loads, as a different document.
    openapi_spec_validator.validate(openapi.source_document())


def test_schemathesis_loads_every_operation(client):
    document = client.get('/v2/openapi.json').get_json()
    schema = schemathesis.openapi.from_dict(document)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == {'%s %s' % route for route in documented_routes(document)}


def test_image_and_member_responses_match_the_documented_schemas(client, create_image):
    # The same validator schemathesis uses, on the shapes the views produce.
    document = client.get('/v2/openapi.json').get_json()
    schema = schemathesis.openapi.from_dict(document)
    image = create_image(os_distro='debian', tags=['t'])
    member = client.post('/v2/images/%s/members' % image['id'], headers=ALICE,
                         json={'member': 'project-b'})
    cases = [
        ('GET', '/v2/images/{image_id}', client.get('/v2/images/%s' % image['id'],
                                                    headers=ALICE)),
        ('GET', '/v2/images', client.get('/v2/images?limit=1', headers=ALICE)),
        ('POST', '/v2/images/{image_id}/members', member),
        ('GET', '/v2/images/{image_id}', client.get('/v2/images/not-a-uuid',
                                                    headers=ALICE)),
        ('GET', '/v2/images', client.get('/v2/images?limit=-1', headers=ALICE)),
    ]
    for method, path, response in cases:
        operation = schema[path][method]
        operation.validate_response(response)
