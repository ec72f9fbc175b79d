"""Create, show and delete over real HTTP, with upstream's status codes and JSON shapes."""

import uuid

from tests.functional.one_database import database_independent

# Attributes every image shows, set or not (null when unset), as upstream's schema lists them.
BASE_ATTRIBUTES = {
    'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
    'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format',
    'disk_format', 'created_at', 'updated_at', 'tags', 'min_ram', 'min_disk',
    'self', 'file', 'schema',
}
# What the registry keeps for itself and must never leak into a response.
INTERNAL_KEYS = {'location', 'upload_expires_at', 'deleted', 'deleted_at', 'properties'}


def test_create_returns_201_location_header_and_the_queued_image(images, project_id):
    resp = images.create(name='cirros', disk_format='qcow2', container_format='bare',
                         visibility='private', os_distro='cirros', tags=['b', 'a'])

    assert resp.status_code == 201, resp.text
    image = resp.json()
    assert resp.headers['Location'].endswith(f'/v2/images/{image["id"]}')
    uuid.UUID(image['id'])
    assert image['status'] == 'queued'
    assert image['name'] == 'cirros'
    assert image['owner'] == project_id
    assert image['visibility'] == 'private'
    assert sorted(image['tags']) == ['a', 'b']
    # Extra properties sit at the top level, next to the base attributes.
    assert image['os_distro'] == 'cirros'
    assert image['self'] == f'/v2/images/{image["id"]}'
    assert image['file'] == f'/v2/images/{image["id"]}/file'
    assert image['schema'] == '/v2/schemas/image'


def test_create_shows_unset_base_attributes_as_null_and_defaults_as_upstream(images):
    image = images.create(name=None).json()

    assert BASE_ATTRIBUTES <= set(image)
    assert not (INTERNAL_KEYS & set(image))
    for unset in ('name', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
                  'virtual_size', 'container_format', 'disk_format'):
        assert image[unset] is None, unset
    assert image['visibility'] == 'shared'
    assert image['protected'] is False
    assert image['os_hidden'] is False
    assert image['min_ram'] == 0 and image['min_disk'] == 0
    assert image['tags'] == []


def test_show_returns_the_same_image_as_create(images):
    created = images.create_ok(name='shown', hw_disk_bus='virtio')

    resp = images.show(created['id'])

    assert resp.status_code == 200
    shown = resp.json()
    assert shown == created
    assert not (INTERNAL_KEYS & set(shown))


def test_show_of_unknown_image_is_404(images):
    assert images.show(str(uuid.uuid4())).status_code == 404


@database_independent
def test_create_with_reserved_or_read_only_attribute_is_403(images):
    for body in ({'name': 'x', 'os_glance_foo': 'bar'}, {'name': 'x', 'location': 'file:///x'},
                 {'name': 'x', 'self': '/v2/images/x'}):
        resp = images.create(**body)
        assert resp.status_code == 403, (body, resp.status_code, resp.text)


@database_independent
def test_create_with_an_unknown_disk_format_is_400(images):
    resp = images.create(name='x', disk_format='floppy', container_format='bare')

    assert resp.status_code == 400


def test_delete_returns_204_then_the_image_is_gone(images):
    image = images.create_ok(name='doomed')

    resp = images.delete(image['id'])

    assert resp.status_code == 204
    assert resp.content == b''
    assert images.show(image['id']).status_code == 404
    assert images.delete(image['id']).status_code == 404
    listed = images.list(owner=images.project_id).json()['images']
    assert image['id'] not in [i['id'] for i in listed]


def test_delete_of_a_protected_image_is_403_until_unprotected(images):
    image = images.create_ok(name='keep', protected=True)

    assert images.delete(image['id']).status_code == 403
    assert images.show(image['id']).status_code == 200

    resp = images.patch(image['id'], [{'op': 'replace', 'path': '/protected', 'value': False}])
    assert resp.status_code == 200, resp.text
    assert images.delete(image['id']).status_code == 204
