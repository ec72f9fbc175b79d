"""Ownership across projects over real HTTP: a private image exists only for its owner."""

import uuid

import pytest

from tests.functional.http_api import ImagesApi
from tests.functional.one_database import database_independent


@pytest.fixture
def other_project(glance_service):
    api = ImagesApi(glance_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield api
    api.session.close()


@pytest.fixture
def private_image(images):
    image = images.create_ok(name='secret', visibility='private')
    assert images.upload(image['id'], b'private bytes').status_code == 204
    return image


def test_private_image_of_another_project_is_404_on_show(other_project, private_image):
    assert other_project.show(private_image['id']).status_code == 404


def test_private_image_of_another_project_is_404_on_download(other_project, private_image):
    resp = other_project.download(private_image['id'])

    assert resp.status_code == 404
    assert b'private bytes' not in resp.content


def test_another_project_cannot_delete_a_private_image(images, other_project, private_image):
    assert other_project.delete(private_image['id']).status_code == 404

    assert images.show(private_image['id']).json()['status'] == 'active'
    assert images.download(private_image['id']).content == b'private bytes'


def test_another_project_cannot_patch_a_private_image(images, other_project, private_image):
    resp = other_project.patch(private_image['id'],
                               [{'op': 'replace', 'path': '/name', 'value': 'stolen'}])

    assert resp.status_code == 404
    assert images.show(private_image['id']).json()['name'] == 'secret'


def test_private_image_is_absent_from_another_projects_list(other_project, private_image):
    listed = other_project.list(limit=1000).json()['images']

    assert private_image['id'] not in [i['id'] for i in listed]


@database_independent
def test_error_bodies_are_json_in_upstream_shape(other_project, private_image):
    resp = other_project.show(private_image['id'])

    assert resp.headers['Content-Type'].startswith('application/json')
    error = resp.json()
    # Upstream's shape, which python-glanceclient parses: {"code", "title", "message"}
    # possibly wrapped under "error"; either way the code must match the status.
    body = error.get('error', error)
    assert body['code'] == 404
    assert body['title']
    assert body['message']
