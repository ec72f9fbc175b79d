"""openstacksdk against the running service: create, upload, streamed download.

The session carries a fixed token and an endpoint override, the way a deployment without
keystone (auth_strategy = noauth) is reached.
"""

import hashlib
import os

import pytest

from tests.functional import sdk


@pytest.fixture
def conn(sqlite_service):
    connection = sdk.connection(sqlite_service.base_url)
    yield connection
    connection.close()


def test_openstacksdk_creates_uploads_and_streams_the_download(conn):
    data = os.urandom(2 * 1024 * 1024 + 5)

    image = conn.image.create_image(
        name='sdk-image', data=data, disk_format='raw', container_format='bare',
        visibility='private', allow_duplicates=True, validate_checksum=True)

    fetched = conn.image.get_image(image.id)
    assert fetched.status == 'active'
    assert fetched.size == len(data)
    assert fetched.checksum == hashlib.md5(data).hexdigest()
    assert fetched.hash_algo == 'sha512'
    assert fetched.hash_value == hashlib.sha512(data).hexdigest()

    resp = conn.image.download_image(image, stream=True)
    try:
        assert resp.status_code == 200
        received = b''.join(resp.iter_content(chunk_size=256 * 1024))
    finally:
        resp.close()
    assert received == data

    conn.image.delete_image(image)
    assert conn.image.find_image(image.id) is None
