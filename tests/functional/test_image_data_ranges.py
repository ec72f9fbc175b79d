"""Ranged downloads and the x-openstack-image-size upload header (the HTTP side on SQLite
alone, what reaches the registry on every backend)."""

import hashlib
import os

import pytest

from tests.functional.one_database import database_independent

DATA = os.urandom(1000)


def _chunks(data, size=100):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _store_files(service):
    return [p for p in service.datadir.rglob('*') if p.is_file()]


@pytest.fixture
def stored(images):
    image = images.create_ok(name='ranged')
    assert images.upload(image['id'], DATA).status_code == 204
    return image


@database_independent
@pytest.mark.parametrize('header, first, last', [
    ('bytes=0-9', 0, 9),
    ('bytes=100-199', 100, 199),
    ('bytes=990-', 990, 999),
    ('bytes=-5', 995, 999),
    ('bytes=995-5000', 995, 999),   # an end past the data is clipped
    ('bytes=-5000', 0, 999),        # a suffix longer than the data is all of it
    ('bytes=999-999', 999, 999),
])
def test_single_range_is_206_with_content_range(images, stored, header, first, last):
    resp = images.download(stored['id'], headers={'Range': header})

    assert resp.status_code == 206, resp.text
    assert resp.content == DATA[first:last + 1]
    assert resp.headers['Content-Range'] == f'bytes {first}-{last}/{len(DATA)}'
    assert int(resp.headers['Content-Length']) == last - first + 1
    # The whole image's checksum, as upstream sends it on 206 too.
    assert resp.headers['Content-MD5'] == hashlib.md5(DATA).hexdigest()


@database_independent
@pytest.mark.parametrize('header', ['bytes=1000-', 'bytes=5000-6000', 'bytes=9-3',
                                    'bytes=x-y', 'pages=1-2', 'bytes=-0'])
def test_unsatisfiable_range_is_416_with_the_size(images, stored, header):
    resp = images.download(stored['id'], headers={'Range': header})

    assert resp.status_code == 416, resp.text
    assert resp.headers['Content-Range'] == f'bytes */{len(DATA)}'


@database_independent
def test_multiple_ranges_are_refused_with_400_as_upstream(images, stored):
    resp = images.download(stored['id'], headers={'Range': 'bytes=0-1,5-6'})

    assert resp.status_code == 400


@database_independent
def test_legacy_content_range_request_header_is_honoured(images, stored):
    resp = images.download(stored['id'], headers={'Content-Range': 'bytes 10-19/*'})

    assert resp.status_code == 206
    assert resp.content == DATA[10:20]
    assert resp.headers['Content-Range'] == f'bytes 10-19/{len(DATA)}'


def test_full_download_is_200_with_content_md5(images, stored):
    resp = images.download(stored['id'])

    assert resp.status_code == 200
    assert resp.content == DATA
    assert resp.headers['Content-MD5'] == hashlib.md5(DATA).hexdigest()
    assert 'Content-Range' not in resp.headers


def test_deactivated_image_download_is_403_for_users_and_200_for_admins(
        images, stored, glance_service):
    from tests.functional.http_api import ImagesApi
    admin = ImagesApi(glance_service.base_url, 'admin-project', roles='admin,member,reader')
    try:
        resp = images.request('POST', f'/v2/images/{stored["id"]}/actions/deactivate')
        assert resp.status_code == 204, resp.text
        assert images.download(stored['id']).status_code == 403
        assert images.download(stored['id'], headers={'Range': 'bytes=0-1'}).status_code == 403
        resp = admin.download(stored['id'])
        assert resp.status_code == 200
        assert resp.content == DATA
    finally:
        admin.session.close()


def test_image_size_header_matching_the_data_uploads(images):
    image = images.create_ok(name='announced')

    resp = images.upload(image['id'], _chunks(DATA),
                         headers={'x-openstack-image-size': str(len(DATA))})

    assert resp.status_code == 204, resp.text
    assert images.show(image['id']).json()['size'] == len(DATA)


@pytest.mark.parametrize('announced, body', [
    (len(DATA) + 1, 'chunked'),     # fewer bytes than announced
    (len(DATA) - 1, 'chunked'),     # more bytes than announced
    (len(DATA) + 1, 'sized'),       # Content-Length disagrees with the header
])
def test_image_size_header_mismatch_is_400_and_keeps_nothing(images, glance_service,
                                                            announced, body):
    image = images.create_ok(name='mismatch')
    before = _store_files(glance_service)
    data = _chunks(DATA) if body == 'chunked' else DATA

    resp = images.upload(image['id'], data, headers={'x-openstack-image-size': str(announced)})

    assert resp.status_code == 400, resp.text
    shown = images.show(image['id']).json()
    assert shown['status'] == 'queued'
    assert shown['size'] is None
    assert _store_files(glance_service) == before
    # Nothing was kept, so the same image takes a correct upload afterwards.
    assert images.upload(image['id'], DATA).status_code == 204


@database_independent
@pytest.mark.parametrize('value', ['ten', '-1', '1.5'])
def test_malformed_image_size_header_is_400(images, value):
    image = images.create_ok(name='malformed')

    resp = images.upload(image['id'], DATA, headers={'x-openstack-image-size': value})

    assert resp.status_code == 400
    assert images.show(image['id']).json()['status'] == 'queued'
