"""image_property_quota and image_tag_quota against real daemons with small limits.

A service of its own (SQLite): the quotas are api options, and the shared services keep the
defaults.
"""

import uuid

import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi

PROPERTY_QUOTA = 3
TAG_QUOTA = 2


@pytest.fixture(scope='module')
def quota_service(tmp_path_factory):
    quotas = {'image_property_quota': PROPERTY_QUOTA, 'image_tag_quota': TAG_QUOTA}
    with daemons.private_service(tmp_path_factory.mktemp('glance-quota'), name='quota',
                                 extra_api_options={'DEFAULT': quotas}) as service:
        yield service


@pytest.fixture
def images(quota_service):
    api = ImagesApi(quota_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield api
    api.session.close()


def test_create_over_the_property_or_tag_quota_is_413(images):
    assert images.create(name='p', a='1', b='2', c='3', d='4').status_code == 413
    assert images.create(name='t', tags=['a', 'b', 'c']).status_code == 413
    assert images.list().json()['images'] == []
    assert images.create(name='ok', a='1', b='2', c='3', tags=['a', 'b']).status_code == 201


def test_patch_over_the_property_quota_is_413_and_changes_nothing(images):
    image = images.create_ok(a='1', b='2', c='3')
    resp = images.patch(image['id'], [{'op': 'replace', 'path': '/a', 'value': 'new'},
                                      {'op': 'add', 'path': '/d', 'value': '4'}])
    assert resp.status_code == 413
    assert 'Maximum: 3' in resp.json()['error']['message']
    assert images.show(image['id']).json()['a'] == '1'
    assert images.patch(image['id'], [{'op': 'remove', 'path': '/a'},
                                      {'op': 'add', 'path': '/d', 'value': '4'}]
                        ).status_code == 200


def test_tag_quota_is_413_on_put_and_patch(images):
    image = images.create_ok(tags=['a', 'b'])
    assert images.request('PUT', f'/v2/images/{image["id"]}/tags/c').status_code == 413
    assert images.request('PUT', f'/v2/images/{image["id"]}/tags/a').status_code == 204
    resp = images.patch(image['id'], [{'op': 'replace', 'path': '/tags',
                                       'value': ['x', 'y', 'z']}])
    assert resp.status_code == 413
    assert images.show(image['id']).json()['tags'] == ['a', 'b']
