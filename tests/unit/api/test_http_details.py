"""HTTP details as upstream answers them: no HEAD on Images API paths (405 with Allow), the
versions document (300) for a path naming no version, and no Content-Type on a 204."""

import pytest

from tests.unit.api.conftest import ALICE


def test_head_on_an_image_is_405_with_allow(client, create_image):
    image = create_image()
    response = client.head('/v2/images/%s' % image['id'], headers=ALICE)
    assert response.status_code == 405
    assert set(response.headers['Allow'].replace(' ', '').split(',')) >= {'GET', 'PATCH',
                                                                          'DELETE'}
    assert 'HEAD' not in response.headers['Allow']


@pytest.mark.parametrize('path', ['/v2/images', '/v2/schemas/image'])
def test_head_elsewhere_in_v2_is_405(client, path):
    assert client.head(path, headers=ALICE).status_code == 405


def test_head_on_the_healthcheck_and_versions_stays(client):
    assert client.head('/healthcheck').status_code in (204, 503)
    assert client.head('/').status_code == 300
    assert client.head('/versions').status_code == 200


@pytest.mark.parametrize('path', ['/nothing', '/images', '/nothing/at/all'])
def test_unknown_top_level_path_gets_the_versions(client, path):
    response = client.get(path)
    assert response.status_code == 300
    assert 'versions' in response.get_json()


def test_versions_and_healthcheck_paths_are_untouched(client):
    assert client.get('/versions').status_code == 200


def test_204_has_no_content_type(client, create_image):
    image = create_image()
    deleted = client.delete('/v2/images/%s' % image['id'], headers=ALICE)
    assert deleted.status_code == 204
    assert 'Content-Type' not in deleted.headers


def test_download_of_an_image_without_data_is_204_without_content_type(client, create_image):
    image = create_image()
    response = client.get('/v2/images/%s/file' % image['id'], headers=ALICE)
    assert response.status_code == 204
    assert 'Content-Type' not in response.headers
