"""Bad input anywhere in the Images API: a JSON error with upstream's status, never a 500.

Each case goes through the whole app (middleware, routing, views) to the registry (the
FakeRegistry of conftest.py, which applies the registry's own value checks); what the
databases and gunicorn see is in tests/functional/test_bad_input_http.py.
"""

import json

import pytest

from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.test_errors import assert_error_body

PATCH = 'application/openstack-images-v2.1-json-patch'
MISSING_ID = '6a0f5c0e-0000-4000-8000-000000000000'
JSON = {'Content-Type': 'application/json'}


def post_raw(client, path, data, headers=ALICE, content_type='application/json'):
    return client.post(path, data=data, headers=dict(headers, **{'Content-Type': content_type}))


def patch_raw(client, image_id, data, headers=ALICE):
    return client.patch('/v2/images/%s' % image_id, data=data,
                        headers=dict(headers, **{'Content-Type': PATCH}))


def patch_ops(client, image_id, ops, headers=ALICE):
    return patch_raw(client, image_id, json.dumps(ops), headers=headers)


def image_count(client, headers=ALICE):
    return len(client.get('/v2/images', headers=headers).get_json()['images'])


@pytest.fixture
def image(create_image):
    return create_image(name='victim', visibility='shared')


# --- request bodies that are not JSON objects ------------------------------------------------

MALFORMED_BODIES = [
    b'{"name": ',                # truncated
    b"{'name': 'x'}",            # not JSON quoting
    b'\xff\xfe{}',               # not UTF-8
    b'{"name": "\xc3"}',         # truncated UTF-8 sequence inside a string
    b'{"min_ram": NaN}',         # Python's extension, not JSON
    b'{"min_ram": Infinity}',
    b'[' * 100000 + b']' * 100000,  # deeper than any parser recursion
]


def test_malformed_json_on_create_is_400_and_creates_nothing(client):
    for body in MALFORMED_BODIES:
        assert_error_body(post_raw(client, '/v2/images', body), 400, 'Bad Request')
    assert image_count(client) == 0


def test_malformed_json_on_patch_is_400(client, image):
    for body in MALFORMED_BODIES:
        assert_error_body(patch_raw(client, image['id'], body), 400, 'Bad Request')


def test_malformed_json_on_members_is_400(client, image):
    path = '/v2/images/%s/members' % image['id']
    for body in MALFORMED_BODIES:
        assert_error_body(post_raw(client, path, body), 400, 'Bad Request')
        response = client.put(path + '/project-b', data=body, headers=dict(ALICE, **JSON))
        assert_error_body(response, 400, 'Bad Request')


def test_malformed_json_message_says_what_is_wrong(client):
    message = post_raw(client, '/v2/images', b'{"name": ').get_json()['error']['message']
    assert message.startswith('Malformed JSON in request body')
    message = post_raw(client, '/v2/images', b'\xff').get_json()['error']['message']
    assert 'UTF-8' in message


@pytest.mark.parametrize('body', ['[]', '"image"', 'null', '5', 'true', '[{"name": "x"}]'])
def test_create_body_that_is_not_an_object_is_400(client, body):
    response = post_raw(client, '/v2/images', body)
    assert_error_body(response, 400, 'Bad Request')
    assert response.get_json()['error']['message'] == 'Request body must be a JSON object.'


@pytest.mark.parametrize('body', ['{}', '"op"', 'null', '5', '{"op": "add"}'])
def test_patch_body_that_is_not_an_array_is_400(client, image, body):
    response = patch_raw(client, image['id'], body)
    assert_error_body(response, 400, 'Bad Request')
    assert 'JSON array' in response.get_json()['error']['message']


@pytest.mark.parametrize('ops', [[5], ['add'], [None], [[{'op': 'add'}]]])
def test_patch_operations_that_are_not_objects_are_400(client, image, ops):
    assert_error_body(patch_ops(client, image['id'], ops), 400, 'Bad Request')


@pytest.mark.parametrize('body', ['[]', '"project-b"', 'null', '5', '{"member": null}',
                                  '{"member": 5}', '{"member": ["project-b"]}',
                                  '{"member": {"id": "project-b"}}', '{"member": ""}'])
def test_member_create_bodies_of_the_wrong_shape_are_400(client, image, body):
    response = post_raw(client, '/v2/images/%s/members' % image['id'], body)
    assert_error_body(response, 400, 'Bad Request')


@pytest.mark.parametrize('body', ['[]', '"accepted"', 'null', '{"status": null}',
                                  '{"status": ["accepted"]}', '{"status": {}}',
                                  '{"status": "maybe"}'])
def test_member_update_bodies_of_the_wrong_shape_are_400(client, image, body):
    path = '/v2/images/%s/members/project-b' % image['id']
    assert client.post('/v2/images/%s/members' % image['id'], headers=ALICE,
                       json={'member': 'project-b'}).status_code == 200
    member = {'X-Project-Id': 'project-b', 'X-Roles': 'member'}
    response = client.put(path, data=body, headers=dict(member, **JSON))
    assert_error_body(response, 400, 'Bad Request')


def test_unknown_member_body_fields_are_ignored_as_upstream(client, image):
    # Upstream reads "member" (and "status") and ignores the rest; so do we.
    response = client.post('/v2/images/%s/members' % image['id'], headers=ALICE,
                           json={'member': 'project-b', 'note': 'x', 'status': 'accepted'})
    assert response.status_code == 200
    assert response.get_json()['status'] == 'pending'
    assert set(response.get_json()) == {'created_at', 'image_id', 'member_id', 'schema',
                                        'status', 'updated_at'}


# --- strings no database can store alike ------------------------------------------------------

NUL_BODIES = [
    {'name': 'a\x00b'},
    {'os_distro': 'deb\x00ian'},
    {'os_\x00distro': 'debian'},
    {'tags': ['ok', 'b\x00d']},
]


@pytest.mark.parametrize('body', NUL_BODIES, ids=['name', 'value', 'key', 'tag'])
def test_nul_in_a_create_body_is_400_and_creates_nothing(client, body):
    response = client.post('/v2/images', headers=ALICE, json=body)
    assert_error_body(response, 400, 'Bad Request')
    assert 'NUL' in response.get_json()['error']['message']
    assert image_count(client) == 0


@pytest.mark.parametrize('op', [
    {'op': 'replace', 'path': '/name', 'value': 'a\x00'},
    {'op': 'add', 'path': '/os_distro', 'value': '\x00'},
    {'op': 'add', 'path': '/os_\x00distro', 'value': 'x'},
    {'op': 'replace', 'path': '/tags', 'value': ['\x00']},
])
def test_nul_in_a_patch_is_400_and_changes_nothing(client, image, op):
    assert_error_body(patch_ops(client, image['id'], [op]), 400, 'Bad Request')
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json() == image


def test_nul_in_a_member_id_is_400(client, image):
    response = client.post('/v2/images/%s/members' % image['id'], headers=ALICE,
                           json={'member': 'project\x00b'})
    assert_error_body(response, 400, 'Bad Request')


@pytest.mark.parametrize('raw', [b'{"name": "\\ud800"}', b'{"\\udfff": "x"}',
                                 b'{"tags": ["\\ud83d"]}'])
def test_lone_surrogate_escapes_are_400(client, raw):
    response = post_raw(client, '/v2/images', raw)
    assert_error_body(response, 400, 'Bad Request')
    assert 'surrogate' in response.get_json()['error']['message']


def test_a_surrogate_pair_is_a_character_and_is_kept(client):
    response = post_raw(client, '/v2/images', b'{"name": "\\ud83d\\ude00"}')
    assert response.status_code == 201
    assert response.get_json()['name'] == '\U0001F600'


# --- wrong value types for every base attribute ---------------------------------------------

WRONG_TYPES = [
    ('name', 5), ('name', ['x']), ('name', True),
    ('visibility', 'everyone'), ('visibility', None), ('visibility', 1),
    ('protected', 'yes'), ('protected', None), ('protected', 1),
    ('os_hidden', 'no'), ('os_hidden', None), ('os_hidden', 0),
    ('container_format', 'crate'), ('container_format', 5),
    ('disk_format', 'floppy'), ('disk_format', ['raw']),
    ('min_ram', '64'), ('min_ram', 1.5), ('min_ram', None), ('min_ram', True),
    ('min_disk', '1'), ('min_disk', 2.0), ('min_disk', None), ('min_disk', False),
    ('tags', 'a,b'), ('tags', [1]), ('tags', [None]), ('tags', {'a': 'b'}),
    ('id', 5), ('id', 'not-a-uuid'), ('id', None),
    ('os_distro', 5), ('os_distro', None), ('os_distro', ['x']), ('os_distro', {'a': 1}),
]


def test_create_with_a_wrong_value_type_is_400(client):
    for name, value in WRONG_TYPES:
        response = client.post('/v2/images', headers=ALICE, json={name: value})
        assert response.status_code == 400, (name, value, response.get_json())
        assert_error_body(response, 400, 'Bad Request')
    assert image_count(client) == 0


def test_create_with_a_wrong_owner_type_is_400_even_for_admin(client):
    for value in (5, ['p'], 'o' * 256):
        response = client.post('/v2/images', headers=ADMIN, json={'owner': value})
        assert_error_body(response, 400, 'Bad Request')


def test_patch_with_a_wrong_value_type_is_400_and_changes_nothing(client, image):
    for name, value in WRONG_TYPES:
        if name == 'id':
            continue  # read-only: 403, before its value is looked at
        response = patch_ops(client, image['id'], [{'op': 'replace', 'path': '/' + name,
                                                    'value': value}])
        assert response.status_code == 400, (name, value, response.get_json())
        assert_error_body(response, 400, 'Bad Request')
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json() == image


# --- sizes: names, values, integers ------------------------------------------------------

def test_name_of_255_characters_is_kept_and_256_is_400(client):
    assert client.post('/v2/images', headers=ALICE,
                       json={'name': '\u00e9' * 255}).status_code == 201
    assert_error_body(client.post('/v2/images', headers=ALICE, json={'name': 'n' * 256}),
                      400, 'Bad Request')


def test_property_name_of_255_characters_is_kept_and_256_is_400(client, image):
    assert client.post('/v2/images', headers=ALICE,
                       json={'p' * 255: 'v'}).status_code == 201
    assert_error_body(client.post('/v2/images', headers=ALICE, json={'p' * 256: 'v'}),
                      400, 'Bad Request')
    response = patch_ops(client, image['id'], [{'op': 'add', 'path': '/' + 'p' * 256,
                                                'value': 'v'}])
    assert_error_body(response, 400, 'Bad Request')


def test_property_value_limit_is_65535_bytes_of_utf8(client, image):
    assert client.post('/v2/images', headers=ALICE,
                       json={'blob': 'v' * 65535}).status_code == 201
    for value in ('v' * 65536, '\u00e9' * 32768):  # the second is 65536 bytes
        response = client.post('/v2/images', headers=ALICE, json={'blob': value})
        assert_error_body(response, 400, 'Bad Request')
        assert '65535 bytes' in response.get_json()['error']['message']
        response = patch_ops(client, image['id'], [{'op': 'add', 'path': '/blob',
                                                    'value': value}])
        assert_error_body(response, 400, 'Bad Request')


def test_tag_longer_than_255_characters_is_400_everywhere(client, image):
    long_tag = 't' * 256
    assert_error_body(client.post('/v2/images', headers=ALICE, json={'tags': [long_tag]}),
                      400, 'Bad Request')
    assert_error_body(patch_ops(client, image['id'], [{'op': 'replace', 'path': '/tags',
                                                       'value': [long_tag]}]),
                      400, 'Bad Request')
    assert_error_body(client.put('/v2/images/%s/tags/%s' % (image['id'], long_tag),
                                 headers=ALICE), 400, 'Bad Request')


@pytest.mark.parametrize('name', ['min_ram', 'min_disk'])
def test_min_ram_and_min_disk_must_fit_a_4_byte_int(client, image, name):
    assert client.post('/v2/images', headers=ALICE,
                       json={name: 2 ** 31 - 1}).status_code == 201
    for value in (2 ** 31, 10 ** 30):
        response = client.post('/v2/images', headers=ALICE, json={name: value})
        assert_error_body(response, 400, 'Bad Request')
        assert 'must not exceed 2147483647' in response.get_json()['error']['message']
        response = patch_ops(client, image['id'], [{'op': 'replace', 'path': '/' + name,
                                                    'value': value}])
        assert_error_body(response, 400, 'Bad Request')
    assert_error_body(client.post('/v2/images', headers=ALICE, json={name: -1}),
                      400, 'Bad Request')


# --- path parameters -------------------------------------------------------------------------

IMAGE_ROUTES = [
    ('GET', '/v2/images/%s'), ('PATCH', '/v2/images/%s'), ('DELETE', '/v2/images/%s'),
    ('GET', '/v2/images/%s/file'), ('PUT', '/v2/images/%s/file'),
    ('GET', '/v2/images/%s/members'), ('POST', '/v2/images/%s/members'),
    ('GET', '/v2/images/%s/members/project-b'), ('PUT', '/v2/images/%s/members/project-b'),
    ('DELETE', '/v2/images/%s/members/project-b'),
    ('PUT', '/v2/images/%s/tags/t'), ('DELETE', '/v2/images/%s/tags/t'),
    ('POST', '/v2/images/%s/actions/deactivate'), ('POST', '/v2/images/%s/actions/reactivate'),
]
NOT_UUIDS = ['not-a-uuid', '12345', MISSING_ID[:-1], MISSING_ID + '0', 'x' * 300,
             MISSING_ID.replace('-', ''), '{%s}' % MISSING_ID]


class RegistryNeverAsked:
    def __getattr__(self, name):
        raise AssertionError('the registry was asked %s for a malformed id' % name)


@pytest.mark.parametrize('method,route', IMAGE_ROUTES)
def test_an_image_id_that_is_not_a_uuid_is_404_on_every_route(conf, method, route):
    # A registry that would turn any call into a 500: the 404 comes before it is asked.
    client = app_module.create_app(conf, registry=RegistryNeverAsked()).test_client()
    headers = dict(ALICE, **{'Content-Type': PATCH if method == 'PATCH' else
                             'application/json'})
    for image_id in NOT_UUIDS:
        response = client.open(route % image_id, method=method, headers=headers, data='{}')
        assert_error_body(response, 404, 'Not Found')
        assert (response.get_json()['error']['message']
                == 'No image found with ID %s' % image_id)


def test_an_upper_case_uuid_reaches_the_registry(client):
    response = client.get('/v2/images/%s' % MISSING_ID.upper(), headers=ALICE)
    assert_error_body(response, 404, 'Not Found')


def test_an_unknown_member_id_is_404(client, image):
    for method in ('GET', 'DELETE'):
        response = client.open('/v2/images/%s/members/%s' % (image['id'], 'm' * 300),
                               method=method, headers=ALICE)
        assert_error_body(response, 404, 'Not Found')


# --- the URL itself -------------------------------------------------------------------------

@pytest.mark.parametrize('url', [
    '/v2/images?name=a%00b', '/v2/images?os_%00distro=x', '/v2/images?marker=%00',
    '/v2/images?tag=%00', '/v2/images/%s/tags/a%%00b' % MISSING_ID,
    '/v2/images/%s/members/p%%00' % MISSING_ID, '/v2/images/%00',
])
def test_nul_anywhere_in_the_url_is_400(client, url):
    method = 'PUT' if '/tags/' in url else 'GET'
    response = client.open(url, method=method, headers=ALICE)
    assert_error_body(response, 400, 'Bad Request')
    assert 'NUL' in response.get_json()['error']['message']


@pytest.mark.parametrize('query', ['name=%ff', 'name=%c3', '%fe=x', 'tag=%ed%a0%80'])
def test_a_query_string_that_is_not_utf8_is_400(client, query):
    response = client.get('/v2/images?' + query, headers=ALICE)
    assert_error_body(response, 400, 'Bad Request')
    assert 'UTF-8' in response.get_json()['error']['message']


def test_a_path_that_is_not_utf8_is_400(client):
    # A WSGI server hands the path over as its bytes decoded as latin-1.
    response = client.put('/', headers=ALICE, environ_overrides={
        'PATH_INFO': '/v2/images/%s/tags/\xff' % MISSING_ID})
    assert_error_body(response, 400, 'Bad Request')
    assert 'UTF-8' in response.get_json()['error']['message']


def test_a_utf8_tag_in_the_path_is_kept(client, image):
    tag = '\U0001F600-\u00e9'
    path = '/v2/images/%s/tags/%s' % (image['id'], tag)
    assert client.put(path, headers=ALICE).status_code == 204
    assert tag in client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()['tags']


# --- list parameters ------------------------------------------------------------------------

BAD_LIST_QUERIES = [
    'sort_key=owner', 'sort_key=', 'sort_dir=up', 'sort_dir=ASC', 'sort=name:up',
    'sort=nope', 'sort=', 'sort=,', 'sort=name:asc:desc', 'sort=name&sort_dir=asc',
    'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc',
    'limit=-1', 'limit=abc', 'limit=1.5', 'limit=0x10', 'limit=' + '9' * 5000,
    'marker=not-an-image', 'marker=' + MISSING_ID,
    'member_status=maybe', 'member_status=', 'visibility=everyone', 'visibility=',
    'protected=maybe', 'os_hidden=maybe',
    'changes-since=2020-01-01T00:00:00Z', 'changes-since=garbage',
    'created_at=yesterday', 'created_at=gt:', 'updated_at=gt:2020-13-01T00:00:00Z',
    'created_at=soon:2020-01-01T00:00:00Z', 'updated_at=in:2020-01-01T00:00:00Z',
    'created_at=gt:9999-12-31T23:59:59-10:00', 'updated_at=lt:0001-01-01T00:00:00%2B10:00',
    'size_min=big', 'size_max=1e3', 'size_min=99999999999999999999',
    'min_ram=-99999999999999999999', 'virtual_size_max=9223372036854775808',
    'size=abc', 'name=in:"unclosed', 'status=zz:active',
]


def test_bad_list_parameters_are_400(client, create_image):
    create_image(name='present')
    for query in BAD_LIST_QUERIES:
        response = client.get('/v2/images?' + query, headers=ALICE)
        assert response.status_code == 400, (query, response.get_json())
        assert_error_body(response, 400, 'Bad Request')


def test_limit_zero_is_an_empty_page_without_next_as_upstream(client, create_image):
    create_image(name='present')
    body = client.get('/v2/images?limit=0', headers=ALICE).get_json()
    assert body['images'] == [] and 'next' not in body


def test_a_huge_limit_is_capped_not_refused(client, create_image):
    create_image(name='present')
    response = client.get('/v2/images?limit=99999999999999999999999', headers=ALICE)
    assert response.status_code == 200
    assert len(response.get_json()['images']) == 1


def test_integer_filters_at_the_64_bit_limits_are_accepted(client, create_image):
    create_image(name='present')
    for query in ('size_min=-9223372036854775808', 'size_max=9223372036854775807',
                  'min_ram=2147483648'):
        assert client.get('/v2/images?' + query, headers=ALICE).status_code == 200


# --- media types and bodies where none is expected ------------------------------------------

def test_create_reads_json_whatever_the_content_type_claims_as_upstream(client):
    for content_type in ('text/plain', 'application/octet-stream', 'x/y'):
        response = post_raw(client, '/v2/images', b'{"name": "typed"}',
                            content_type=content_type)
        assert response.status_code == 201
        assert response.get_json()['name'] == 'typed'


@pytest.mark.parametrize('content_type', [
    'application/json', 'text/plain', 'application/json-patch+json', '', 'garbage',
])
def test_patch_with_a_non_patch_media_type_is_415_with_accept_patch(client, image,
                                                                   content_type):
    response = client.patch('/v2/images/%s' % image['id'], data='[]', headers=dict(
        ALICE, **{'Content-Type': content_type}))
    assert_error_body(response, 415, 'Unsupported Media Type')
    assert 'openstack-images-v2.1-json-patch' in response.headers['Accept-Patch']


def test_a_body_on_get_and_delete_is_ignored(client, image):
    response = client.get('/v2/images/%s' % image['id'], data=b'\xff garbage',
                          headers=ALICE)
    assert response.status_code == 200
    response = client.delete('/v2/images/%s' % image['id'], data=b'{"protected": true}',
                             headers=ALICE)
    assert response.status_code == 204
