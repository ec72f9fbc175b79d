import re
from urllib import parse

import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB

PATCH = 'application/openstack-images-v2.1-json-patch'
TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
BASE_KEYS = {'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
             'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size',
             'container_format', 'disk_format', 'min_ram', 'min_disk', 'created_at',
             'updated_at', 'tags', 'self', 'file', 'schema'}


def patch(client, image_id, ops, headers=ALICE, content_type=PATCH):
    return client.patch('/v2/images/%s' % image_id, json=ops,
                        headers=dict(headers, **{'Content-Type': content_type}))


# --- create -------------------------------------------------------------------------------

def test_create_returns_201_image_and_headers(client):
    response = client.post('/v2/images', headers=ALICE, json={
        'name': 'cirros', 'disk_format': 'qcow2', 'container_format': 'bare',
        'tags': ['b', 'a'], 'os_distro': 'cirros', 'min_ram': 64})
    assert response.status_code == 201
    image = response.get_json()
    assert BASE_KEYS <= set(image)
    assert image['status'] == 'queued'
    assert image['owner'] == 'project-a'
    assert image['visibility'] == 'shared'
    assert image['os_distro'] == 'cirros'
    assert image['min_ram'] == 64
    assert sorted(image['tags']) == ['a', 'b']
    assert image['checksum'] is None and image['size'] is None
    assert image['self'] == '/v2/images/%s' % image['id']
    assert image['file'] == '/v2/images/%s/file' % image['id']
    assert image['schema'] == '/v2/schemas/image'
    assert TIMESTAMP.match(image['created_at']) and TIMESTAMP.match(image['updated_at'])
    assert 'location' not in image and 'locations' not in image
    assert response.headers['Location'].endswith('/v2/images/%s' % image['id'])
    assert 'OpenStack-image-import-methods' in response.headers


def test_create_with_client_chosen_id(client):
    wanted = '5f0c1e5c-6d3a-4a8e-9a55-0c7b0e6b1f11'
    response = client.post('/v2/images', headers=ALICE, json={'id': wanted})
    assert response.status_code == 201
    assert response.get_json()['id'] == wanted
    again = client.post('/v2/images', headers=ALICE, json={'id': wanted})
    assert again.status_code == 409


@pytest.mark.parametrize('attribute,value', [
    ('self', '/x'), ('file', '/x'), ('schema', '/x'), ('direct_url', 'file:///x'),
    ('stores', 'a'), ('status', 'active'), ('checksum', 'a' * 32), ('size', 1),
    ('virtual_size', 1), ('created_at', '2020-01-01T00:00:00Z'),
    ('os_hash_algo', 'sha512'), ('os_hash_value', 'ab'),
])
def test_create_with_read_only_attribute_is_403(client, attribute, value):
    response = client.post('/v2/images', headers=ALICE, json={attribute: value})
    assert response.status_code == 403, response.get_json()
    assert attribute in response.get_json()['error']['message']


@pytest.mark.parametrize('attribute', ['location', 'deleted', 'deleted_at',
                                       'os_glance_import_task'])
def test_create_with_reserved_attribute_is_403(client, attribute):
    response = client.post('/v2/images', headers=ALICE, json={attribute: 'x'})
    assert response.status_code == 403
    assert 'reserved' in response.get_json()['error']['message']


@pytest.mark.parametrize('body', [
    {'disk_format': 'floppy'}, {'container_format': 'crate'}, {'visibility': 'everyone'},
    {'min_ram': 'lots'}, {'name': 'n' * 256}, {'os_distro': 5}, {'x' * 256: 'v'},
    {'tags': 'not-a-list'}, ['not', 'an', 'object'],
])
def test_create_with_invalid_values_is_400(client, body):
    response = client.post('/v2/images', headers=ALICE, json=body)
    assert response.status_code == 400, response.get_json()


def test_owner_may_be_set_by_admin_only(client):
    response = client.post('/v2/images', headers=ADMIN, json={'owner': 'project-z'})
    assert response.status_code == 201
    assert response.get_json()['owner'] == 'project-z'
    response = client.post('/v2/images', headers=ALICE, json={'owner': 'project-z'})
    assert response.status_code == 403


def test_public_visibility_needs_admin(client):
    assert client.post('/v2/images', headers=ALICE,
                       json={'visibility': 'public'}).status_code == 403
    assert client.post('/v2/images', headers=ADMIN,
                       json={'visibility': 'public'}).status_code == 201


def test_noauth_without_headers_uses_a_fixed_non_admin_identity(client):
    response = client.post('/v2/images', json={'name': 'anon'})
    assert response.status_code == 201
    assert response.get_json()['owner'] == 'noauth-project'
    assert client.post('/v2/images', json={'visibility': 'public'}).status_code == 403


def test_tenant_id_header_is_an_alias_for_project_id(client):
    response = client.post('/v2/images', json={}, headers={'X-Tenant-Id': 'tenant-t',
                                                           'X-User-Id': 'u'})
    assert response.get_json()['owner'] == 'tenant-t'


def test_roles_header_is_case_insensitive(client):
    response = client.post('/v2/images', json={'owner': 'elsewhere'},
                           headers={'X-Project-Id': 'p', 'X-Roles': 'Member, ADMIN'})
    assert response.status_code == 201


# --- show ----------------------------------------------------------------------------------

def test_show_returns_the_image(client, create_image):
    image = create_image(os_distro='debian')
    response = client.get('/v2/images/%s' % image['id'], headers=ALICE)
    assert response.status_code == 200
    assert response.get_json() == image


def test_private_image_of_another_project_is_404(client, create_image):
    image = create_image(visibility='private')
    assert client.get('/v2/images/%s' % image['id'], headers=BOB).status_code == 404
    assert client.get('/v2/images/%s' % image['id'], headers=ADMIN).status_code == 200


# --- list ----------------------------------------------------------------------------------

def test_list_shape_and_filters(client, create_image):
    create_image(name='one', os_distro='debian')
    create_image(name='two', os_distro='fedora')
    body = client.get('/v2/images', headers=ALICE).get_json()
    assert body['first'] == '/v2/images'
    assert body['schema'] == '/v2/schemas/images'
    assert 'next' not in body
    assert {i['name'] for i in body['images']} == {'one', 'two'}
    names = [i['name'] for i in client.get('/v2/images?name=two',
                                           headers=ALICE).get_json()['images']]
    assert names == ['two']
    names = [i['name'] for i in client.get('/v2/images?os_distro=debian',
                                           headers=ALICE).get_json()['images']]
    assert names == ['one']


def test_list_paging_follows_next_links_to_the_end(client, create_image):
    made = {create_image(name='img-%d' % n)['id'] for n in range(5)}
    seen, url, pages = [], '/v2/images?limit=2&sort_key=name&sort_dir=asc', 0
    while url:
        body = client.get(url, headers=ALICE).get_json()
        seen.extend(i['id'] for i in body['images'])
        pages += 1
        next_url = body.get('next')
        if next_url:
            query = parse.parse_qs(parse.urlsplit(next_url).query)
            assert query['limit'] == ['2'] and query['sort_key'] == ['name']
            assert query['marker'] == [seen[-1]]
        url = next_url
    assert pages == 3
    assert set(seen) == made and len(seen) == 5


def test_list_sort_syntaxes(client, create_image):
    for name in ('b', 'c', 'a'):
        create_image(name=name)
    classic = client.get('/v2/images?sort_key=name&sort_dir=asc', headers=ALICE).get_json()
    new = client.get('/v2/images?sort=name:asc', headers=ALICE).get_json()
    assert [i['name'] for i in classic['images']] == ['a', 'b', 'c']
    assert [i['name'] for i in new['images']] == ['a', 'b', 'c']
    desc = client.get('/v2/images?sort=name', headers=ALICE).get_json()
    assert [i['name'] for i in desc['images']] == ['c', 'b', 'a']


@pytest.mark.parametrize('query', [
    'limit=-1', 'limit=abc', 'sort_key=owner', 'sort_dir=sideways',
    'sort=name&sort_key=name', 'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc'
    '&sort_dir=asc', 'visibility=everyone', 'changes-since=2020-01-01',
])
def test_list_bad_parameters_are_400(client, query):
    assert client.get('/v2/images?' + query, headers=ALICE).status_code == 400


def test_list_limit_is_capped_by_api_limit_max(conf, registry, create_image):
    from api_service.wsgi import app as app_module
    conf.set_override('api_limit_max', 2)
    client = app_module.create_app(conf, registry=registry).test_client()
    for n in range(3):
        client.post('/v2/images', headers=ALICE, json={'name': str(n)})
    body = client.get('/v2/images?limit=100', headers=ALICE).get_json()
    assert len(body['images']) == 2 and 'next' in body


def test_list_default_limit(conf, registry):
    from api_service.wsgi import app as app_module
    conf.set_override('limit_param_default', 1)
    client = app_module.create_app(conf, registry=registry).test_client()
    for n in range(2):
        client.post('/v2/images', headers=ALICE, json={'name': str(n)})
    body = client.get('/v2/images', headers=ALICE).get_json()
    assert len(body['images']) == 1 and 'marker=' in body['next']


# --- update (JSON patch) -----------------------------------------------------------------------

def test_patch_add_replace_remove(client, create_image):
    image = create_image(name='before', os_distro='debian')
    response = patch(client, image['id'], [
        {'op': 'replace', 'path': '/name', 'value': 'after'},
        {'op': 'add', 'path': '/hw~1disk~0bus', 'value': 'virtio'},
        {'op': 'remove', 'path': '/os_distro'},
        {'op': 'add', 'path': '/tags', 'value': ['x', 'y']},
        {'op': 'replace', 'path': '/min_disk', 'value': 3},
    ])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body['name'] == 'after'
    assert body['hw/disk~bus'] == 'virtio'
    assert 'os_distro' not in body
    assert sorted(body['tags']) == ['x', 'y']
    assert body['min_disk'] == 3
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json() == body


def test_patch_deprecated_draft4_media_type(client, create_image):
    image = create_image()
    response = patch(client, image['id'], [{'replace': '/name', 'value': 'd4'}],
                     content_type='application/openstack-images-v2.0-json-patch')
    assert response.status_code == 200
    assert response.get_json()['name'] == 'd4'


def test_patch_with_other_media_type_is_415_with_accept_patch(client, create_image):
    image = create_image()
    response = patch(client, image['id'], [{'op': 'replace', 'path': '/name', 'value': 'x'}],
                     content_type='application/json')
    assert response.status_code == 415
    assert response.get_json()['error']['code'] == 415
    accepted = {t.strip() for t in response.headers['Accept-Patch'].split(',')}
    assert accepted == {'application/openstack-images-v2.1-json-patch',
                        'application/openstack-images-v2.0-json-patch'}


@pytest.mark.parametrize('path', ['/id', '/status', '/checksum', '/size', '/virtual_size',
                                  '/os_hash_algo', '/os_hash_value', '/created_at',
                                  '/updated_at', '/direct_url', '/self', '/file', '/schema',
                                  '/stores', '/location', '/deleted', '/deleted_at',
                                  '/os_glance_anything', '/locations'])
def test_patch_read_only_or_reserved_path_is_403(client, create_image, path):
    image = create_image()
    response = patch(client, image['id'], [{'op': 'replace', 'path': path, 'value': 'x'}])
    assert response.status_code == 403, response.get_json()


@pytest.mark.parametrize('ops', [
    {'op': 'replace', 'path': '/name', 'value': 'x'},        # not an array
    [{'op': 'move', 'path': '/name', 'value': 'x'}],
    [{'op': 'test', 'path': '/name', 'value': 'x'}],
    [{'op': 'replace', 'value': 'x'}],
    [{'op': 'replace', 'path': 'name', 'value': 'x'}],
    [{'op': 'replace', 'path': '/name/first', 'value': 'x'}],
    [{'op': 'replace', 'path': '/na~2me', 'value': 'x'}],
    [{'op': 'replace', 'path': '/name'}],
    [{'op': 'replace', 'path': '/disk_format', 'value': 'floppy'}],
    [{'op': 'replace', 'path': '/min_ram', 'value': 'lots'}],
    [{'op': 'add', 'path': '/os_distro', 'value': 7}],
    ['not-an-object'],
])
def test_patch_malformed_is_400(client, create_image, ops):
    image = create_image()
    assert patch(client, image['id'], ops).status_code == 400


def test_patch_owner_is_admin_only(client, create_image):
    image = create_image()
    ops = [{'op': 'replace', 'path': '/owner', 'value': 'project-b'}]
    assert patch(client, image['id'], ops).status_code == 403
    response = patch(client, image['id'], ops, headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json()['owner'] == 'project-b'


def test_patch_by_another_project_is_refused(client, create_image):
    image = create_image(visibility='shared')
    private = create_image(visibility='private')
    ops = [{'op': 'replace', 'path': '/name', 'value': 'mine'}]
    assert patch(client, private['id'], ops, headers=BOB).status_code == 404
    assert patch(client, image['id'], ops, headers=BOB).status_code in (403, 404)


def test_patch_remove_missing_property_is_409(client, create_image):
    image = create_image()
    response = patch(client, image['id'], [{'op': 'remove', 'path': '/nothing'}])
    assert response.status_code == 409


# --- delete ----------------------------------------------------------------------------------

def test_delete_is_204_then_404(client, create_image):
    image = create_image()
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).status_code == 404
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 404


def test_delete_protected_is_403(client, create_image):
    image = create_image(protected=True)
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 403
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).status_code == 200
