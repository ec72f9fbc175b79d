"""Deactivate / reactivate through Flask's test client, with the in-memory registry."""

import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB


@pytest.fixture
def active_image(client, create_image):
    def make(**body):
        image = create_image(disk_format='raw', container_format='bare', **body)
        response = client.put('/v2/images/%s/file' % image['id'], data=b'data',
                              headers={**ALICE, 'Content-Type': 'application/octet-stream'})
        assert response.status_code == 204
        return image
    return make


def action(client, image_id, name, headers=ALICE):
    return client.post('/v2/images/%s/actions/%s' % (image_id, name), headers=headers)


def status_of(client, image_id):
    return client.get('/v2/images/%s' % image_id, headers=ALICE).get_json()['status']


def test_deactivate_and_reactivate_are_204_and_idempotent(client, active_image):
    image = active_image()
    for _ in range(2):
        response = action(client, image['id'], 'deactivate')
        assert response.status_code == 204 and response.data == b''
        assert status_of(client, image['id']) == 'deactivated'
    for _ in range(2):
        assert action(client, image['id'], 'reactivate').status_code == 204
        assert status_of(client, image['id']) == 'active'


@pytest.mark.parametrize('name', ['deactivate', 'reactivate'])
def test_actions_on_a_queued_image_are_403_with_upstreams_message(client, create_image, name):
    image = create_image()
    response = action(client, image['id'], name)
    assert response.status_code == 403
    assert response.get_json()['error']['message'] == (
        "Not allowed to %s image in status 'queued'" % name)
    assert status_of(client, image['id']) == 'queued'


def test_actions_by_others_are_403_when_visible_and_404_when_not(client, active_image):
    private = active_image(visibility='private')
    community = active_image(visibility='community')
    assert action(client, private['id'], 'deactivate', BOB).status_code == 404
    assert action(client, community['id'], 'deactivate', BOB).status_code == 403
    assert action(client, community['id'], 'deactivate', ADMIN).status_code == 204
    assert status_of(client, community['id']) == 'deactivated'


def test_unknown_action_is_404_and_get_is_405(client, active_image):
    image = active_image()
    assert action(client, image['id'], 'explode').status_code == 404
    assert client.get('/v2/images/%s/actions/deactivate' % image['id'],
                      headers=ALICE).status_code == 405
