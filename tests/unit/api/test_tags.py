"""Tags, property/tag quotas and the reserved-name rules through Flask's test client, with
the in-memory registry."""

import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB

JSON_PATCH = 'application/openstack-images-v2.1-json-patch'


def patch(client, image_id, ops, headers=ALICE):
    return client.patch('/v2/images/%s' % image_id, json=ops,
                        headers={**headers, 'Content-Type': JSON_PATCH})


def tags_of(client, image_id, headers=ALICE):
    return client.get('/v2/images/%s' % image_id, headers=headers).get_json()['tags']


def test_put_tag_is_204_idempotent_and_delete_is_204_then_404(client, create_image):
    image = create_image()
    url = '/v2/images/%s/tags/blue' % image['id']
    for _ in range(2):
        response = client.put(url, headers=ALICE)
        assert response.status_code == 204 and response.data == b''
    assert tags_of(client, image['id']) == ['blue']
    assert client.delete(url, headers=ALICE).status_code == 204
    assert tags_of(client, image['id']) == []
    assert client.delete(url, headers=ALICE).status_code == 404


def test_tag_longer_than_255_is_400(client, create_image):
    image = create_image()
    assert client.put('/v2/images/%s/tags/%s' % (image['id'], 't' * 256),
                      headers=ALICE).status_code == 400
    assert client.put('/v2/images/%s/tags/%s' % (image['id'], 't' * 255),
                      headers=ALICE).status_code == 204


def test_tags_of_unknown_or_unseen_images_are_404_and_of_others_403(client, create_image):
    private = create_image(visibility='private')
    community = create_image(visibility='community')
    assert client.put('/v2/images/%s/tags/x' % private['id'], headers=BOB).status_code == 404
    assert client.put('/v2/images/%s/tags/x' % community['id'],
                      headers=BOB).status_code == 403
    assert client.put('/v2/images/00000000-0000-0000-0000-000000000000/tags/x',
                      headers=ALICE).status_code == 404


def test_tag_quota_is_413_on_put_create_and_patch(conf, client, create_image):
    conf.set_override('image_tag_quota', 2)
    image = create_image(tags=['a', 'b'])
    response = client.put('/v2/images/%s/tags/c' % image['id'], headers=ALICE)
    assert response.status_code == 413
    assert 'Maximum: 2' in response.get_json()['error']['message']
    assert client.put('/v2/images/%s/tags/a' % image['id'], headers=ALICE).status_code == 204
    assert client.post('/v2/images', headers=ALICE,
                       json={'tags': ['a', 'b', 'c']}).status_code == 413
    response = patch(client, image['id'],
                     [{'op': 'replace', 'path': '/tags', 'value': ['x', 'y', 'z']}])
    assert response.status_code == 413
    assert tags_of(client, image['id']) == ['a', 'b']


def test_property_quota_is_413_on_create_and_patch(conf, client, create_image):
    conf.set_override('image_property_quota', 2)
    assert client.post('/v2/images', headers=ALICE,
                       json={'a': '1', 'b': '2', 'c': '3'}).status_code == 413
    image = create_image(a='1', b='2')
    response = patch(client, image['id'], [{'op': 'add', 'path': '/c', 'value': '3'}])
    assert response.status_code == 413
    assert 'image properties' in response.get_json()['error']['message']
    assert patch(client, image['id'], [{'op': 'replace', 'path': '/a',
                                        'value': '9'}]).status_code == 200


def test_tags_in_create_and_patch_bodies(client, create_image):
    image = create_image(tags=['b', 'a', 'a'])
    assert image['tags'] == ['a', 'b']
    response = patch(client, image['id'], [{'op': 'replace', 'path': '/tags',
                                            'value': ['z']}])
    assert response.status_code == 200 and response.get_json()['tags'] == ['z']
    assert patch(client, image['id'], [{'op': 'replace', 'path': '/tags',
                                        'value': ['t' * 256]}]).status_code == 400


def test_create_with_locations_is_403_reserved(client):
    response = client.post('/v2/images', headers=ALICE, json={'locations': []})
    assert response.status_code == 403
    assert response.get_json()['error']['message'] == "Attribute 'locations' is reserved."


def test_owner_rules_and_messages_match_upstream(client, create_image):
    response = client.post('/v2/images', headers=ALICE, json={'owner': 'project-z'})
    assert response.status_code == 403
    assert response.get_json()['error']['message'] == (
        "You are not permitted to create images owned by 'project-z'.")
    assert client.post('/v2/images', headers=ALICE,
                       json={'owner': 'project-a'}).status_code == 201
    image = create_image()
    for op in ('replace', 'add'):
        # Even naming the caller's own project: owner writes are for admins.
        response = patch(client, image['id'], [{'op': op, 'path': '/owner',
                                                'value': 'project-a'}])
        assert response.status_code == 403
        assert response.get_json()['error']['message'] == "Owner can't be updated by non admin."
    assert patch(client, image['id'], [{'op': 'remove', 'path': '/owner'}]).status_code == 403
    response = patch(client, image['id'], [{'op': 'replace', 'path': '/owner',
                                            'value': 'project-b'}], headers=ADMIN)
    assert response.status_code == 200 and response.get_json()['owner'] == 'project-b'


def test_publicize_is_admin_only_with_upstreams_message(client, create_image):
    image = create_image()
    response = patch(client, image['id'], [{'op': 'replace', 'path': '/visibility',
                                            'value': 'public'}])
    assert response.status_code == 403
    assert 'publicize_image' in response.get_json()['error']['message']
    assert patch(client, image['id'], [{'op': 'replace', 'path': '/visibility',
                                        'value': 'community'}]).status_code == 200


@pytest.mark.parametrize('name', ['os_glance_import_task', 'os_glance', 'location',
                                  'deleted', 'deleted_at'])
def test_patch_add_or_remove_of_a_reserved_name_is_403(client, create_image, name):
    image = create_image()
    for op in ({'op': 'add', 'path': '/' + name, 'value': 'x'},
               {'op': 'remove', 'path': '/' + name}):
        response = patch(client, image['id'], [op])
        assert response.status_code == 403
        assert response.get_json()['error']['message'] == "Attribute '%s' is reserved." % name
