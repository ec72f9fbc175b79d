"""Upload and download over real HTTP: bytes, checksums, status codes and failed uploads."""

import hashlib
import os
import socket
import threading
import time

from tests.functional import daemons
from tests.functional import disk_images

PAYLOAD_SIZE = 3 * 1024 * 1024 + 17  # not a multiple of any chunk size


def _payload(size=PAYLOAD_SIZE):
    return os.urandom(size)


def _chunks(data, size=64 * 1024):
    # A generator makes requests send Transfer-Encoding: chunked (no Content-Length).
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _store_files(service):
    return {str(p.relative_to(service.datadir)) for p in service.datadir.rglob('*')
            if p.is_file()}


def _assert_active_with_hashes(images, image_id, data):
    image = images.show(image_id).json()
    assert image['status'] == 'active'
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()
    assert image['os_hash_algo'] == 'sha512'
    assert image['os_hash_value'] == hashlib.sha512(data).hexdigest()
    return image


def _assert_download_equals(images, image_id, data):
    resp = images.download(image_id)
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers['Content-Type'] == 'application/octet-stream'
    assert int(resp.headers['Content-Length']) == len(data)
    assert resp.headers['Content-MD5'] == hashlib.md5(data).hexdigest()


def test_upload_with_content_length_then_download_gives_the_same_bytes(images):
    image = images.create_ok(name='sized')
    data = _payload()

    resp = images.upload(image['id'], data)

    assert resp.status_code == 204, resp.text
    _assert_active_with_hashes(images, image['id'], data)
    _assert_download_equals(images, image['id'], data)


def test_upload_chunked_then_download_gives_the_same_bytes(images):
    image = images.create_ok(name='chunked')
    data = _payload()

    resp = images.upload(image['id'], _chunks(data))

    assert resp.request.headers.get('Transfer-Encoding') == 'chunked'
    assert 'Content-Length' not in resp.request.headers
    assert resp.status_code == 204, resp.text
    _assert_active_with_hashes(images, image['id'], data)
    _assert_download_equals(images, image['id'], data)


def test_download_streams_in_pieces_with_the_announced_length(images):
    image = images.create_ok(name='streamed')
    data = _payload()
    assert images.upload(image['id'], data).status_code == 204

    with images.download(image['id'], stream=True) as resp:
        assert resp.status_code == 200
        received = b''.join(resp.iter_content(256 * 1024))

    assert received == data


def test_upload_of_a_qcow2_sets_virtual_size_from_its_header(images):
    image = images.create_ok(name='qcow', disk_format='qcow2')
    data = disk_images.qcow2(virtual_size=32 * 1024 * 1024)

    assert images.upload(image['id'], data).status_code == 204

    shown = _assert_active_with_hashes(images, image['id'], data)
    assert shown['virtual_size'] == 32 * 1024 * 1024


def test_download_of_a_queued_image_is_204_with_no_body(images):
    image = images.create_ok(name='empty')

    resp = images.download(image['id'])

    assert resp.status_code == 204
    assert resp.content == b''


def test_second_upload_is_409_and_keeps_the_first_data(images):
    image = images.create_ok(name='once')
    first = _payload(4096)
    assert images.upload(image['id'], first).status_code == 204

    resp = images.upload(image['id'], _payload(4096))

    assert resp.status_code == 409
    _assert_active_with_hashes(images, image['id'], first)
    _assert_download_equals(images, image['id'], first)


def test_upload_while_another_is_in_progress_is_409_and_the_first_wins(images):
    image = images.create_ok(name='raced')
    data = _payload(1024 * 1024)
    release = threading.Event()
    results = {}

    def held_open():
        # The first chunk starts the upload; the rest waits until the rival has been refused.
        yield data[:4096]
        release.wait(timeout=30)
        yield data[4096:]

    first = threading.Thread(
        target=lambda: results.update(first=images.upload(image['id'], held_open())))
    first.start()
    try:
        _wait_for_status(images, image['id'], 'saving')
        rival = images.upload(image['id'], _payload(4096))
    finally:
        release.set()
        first.join(timeout=60)

    assert rival.status_code == 409
    assert results['first'].status_code == 204, results['first'].text
    _assert_active_with_hashes(images, image['id'], data)


def test_upload_without_disk_and_container_format_is_rejected_and_image_stays_queued(images):
    image = images.create(name='formatless').json()

    resp = images.upload(image['id'], b'data')

    assert resp.status_code == 400
    assert images.show(image['id']).json()['status'] == 'queued'


def test_delete_of_an_active_image_removes_its_data_from_the_store(glance_service, images):
    before = _store_files(glance_service)
    image = images.create_ok(name='to-delete')
    assert images.upload(image['id'], _payload(8192)).status_code == 204
    assert _store_files(glance_service) - before, 'upload wrote no file in the store'

    assert images.delete(image['id']).status_code == 204

    assert _store_files(glance_service) == before
    assert images.download(image['id']).status_code == 404


def _wait_for_status(images, image_id, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = images.show(image_id).json()['status']
        if status == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f'image {image_id} is {status!r}, not {wanted!r}, after {timeout}s')


def _half_upload_then_disconnect(service, images, image_id, size):
    """Send the headers and half the body of a Content-Length PUT, then close the socket."""
    head = (f'PUT /v2/images/{image_id}/file HTTP/1.1\r\n'
            f'Host: 127.0.0.1:{service.api_port}\r\n'
            'Content-Type: application/octet-stream\r\n'
            f'Content-Length: {size}\r\n')
    for name, value in daemons.project_headers(images.project_id).items():
        head += f'{name}: {value}\r\n'
    with socket.create_connection(('127.0.0.1', service.api_port), timeout=10) as sock:
        sock.sendall(head.encode() + b'\r\n')
        sock.sendall(os.urandom(size // 2))
        # Cut only once the upload has really begun, so this tests a failure mid-upload.
        _wait_for_status(images, image_id, 'saving')


def test_client_disconnect_mid_upload_leaves_image_queued_and_no_file(glance_service, images):
    before = _store_files(glance_service)
    image = images.create_ok(name='cut')

    _half_upload_then_disconnect(glance_service, images, image['id'], 4 * 1024 * 1024)

    _wait_for_status(images, image['id'], 'queued')
    deadline = time.monotonic() + 10
    while _store_files(glance_service) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _store_files(glance_service) == before
    # The image is usable again: a complete upload now succeeds.
    data = _payload(10000)
    assert images.upload(image['id'], data).status_code == 204
    _assert_active_with_hashes(images, image['id'], data)
