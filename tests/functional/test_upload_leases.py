"""Uploads that end badly, for real: a client cut mid-body, the whole glance-api SIGKILLed
mid-upload (as when its host dies: the lease covers it), a client slower than the upload
lease, and SIGTERM to glance-api while an upload runs. A worker SIGKILLed alone, which its
master hands back at once, is test_upload_worker_death.py's.

This module runs its own api + registry on SQLite with a 3 s upload lease and 1 s sweeps
(registry leases, store partial files), so abandoned uploads are cleaned up in seconds; it
kills and restarts daemons without disturbing the shared services of the other tests.
"""

import hashlib
import os
import signal
import socket
import threading
import time
import uuid

import pytest

from tests.functional import daemons
from tests.functional import process_ids
from tests.functional.http_api import ImagesApi

MiB = 1024 * 1024
LEASE_SECONDS = 3
SWEEP_SECONDS = 1
# Slack for a loaded 2-core machine on every deadline that follows from the lease.
MARGIN_SECONDS = 5


@pytest.fixture(scope='module')
def lease_service(tmp_path_factory):
    with daemons.private_service(
            tmp_path_factory.mktemp('glance-leases'), name='leases',
            extra_api_options={
                'DEFAULT': {'upload_lease_seconds': LEASE_SECONDS},
                'glance_store': {'filesystem_store_partial_sweep_interval': SWEEP_SECONDS},
            },
            extra_registry_options={'DEFAULT': {'upload_sweep_interval': SWEEP_SECONDS}},
    ) as service:
        yield service


@pytest.fixture
def images(lease_service):
    # The SIGTERM test stops glance-api: every test starts with one serving.
    if not lease_service.api.alive():
        lease_service.api.wait_stopped()
        lease_service.start_api()
        lease_service.wait_for_api()
    api = ImagesApi(lease_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield api
    api.session.close()


# -- helpers --------------------------------------------------------------------------------

def _status(images, image_id):
    resp = images.show(image_id)
    assert resp.status_code == 200, resp.text
    return resp.json()['status']


def _wait_for(predicate, timeout, what):
    """Poll ``predicate`` until true; -> seconds it took. Fails after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        elapsed = time.monotonic() - started
        assert elapsed < timeout, f'{what}: not after {elapsed:.1f} s'
        time.sleep(0.02)
    return time.monotonic() - started


def _files_of(service, image_id):
    """Names in the store directory that belong to ``image_id`` (final or partial)."""
    return sorted(p.name for p in service.datadir.iterdir() if p.name.startswith(image_id))


def _open_upload(service, images, image_id, content_length):
    """A socket with the headers of a Content-Length PUT sent; the body is the caller's."""
    head = (f'PUT /v2/images/{image_id}/file HTTP/1.1\r\n'
            f'Host: 127.0.0.1:{service.api_port}\r\n'
            'Content-Type: application/octet-stream\r\n'
            f'Content-Length: {content_length}\r\n')
    for name, value in daemons.project_headers(images.project_id).items():
        head += f'{name}: {value}\r\n'
    sock = socket.create_connection(('127.0.0.1', service.api_port), timeout=30)
    sock.sendall(head.encode() + b'\r\n')
    return sock


# Random, so nothing along the way can compress it; one block sent over and over.
RANDOM_BLOCK = os.urandom(MiB)


def _send(sock, size):
    for start in range(0, size, MiB):
        sock.sendall(RANDOM_BLOCK[:min(MiB, size - start)])


def _socket_inode(local_port, remote_port):
    """The inode of the server side of a loopback TCP connection, from /proc/net/tcp."""
    local = f'0100007F:{local_port:04X}'
    remote = f'0100007F:{remote_port:04X}'
    with open('/proc/net/tcp') as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == remote:
                return fields[9]
    raise AssertionError(f'no connection {local} <- {remote} in /proc/net/tcp')


def _worker_holding(service, sock):
    """The pid of the gunicorn worker that accepted ``sock``'s connection."""
    inode = _socket_inode(service.api_port, sock.getsockname()[1])
    for pid in process_ids.children(service.api.pid):
        fd_dir = f'/proc/{pid}/fd'
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == f'socket:[{inode}]':
                    return pid
            except OSError:
                continue
    raise AssertionError('no glance-api worker holds the upload connection')


def _paced(data, piece, pause):
    """DATA in PIECE-byte chunks, PAUSE seconds apart (a chunked upload's body)."""
    for start in range(0, len(data), piece):
        yield data[start:start + piece]
        time.sleep(pause)


def _upload_in_background(images, image_id, chunks):
    """Start uploading CHUNKS in a thread; -> (the thread, a dict that gets 'resp')."""
    result = {}
    uploader = threading.Thread(
        target=lambda: result.update(resp=images.upload(image_id, chunks)))
    uploader.start()
    return uploader, result


def _assert_stored(images, image_id, data):
    image = images.show(image_id).json()
    assert image['status'] == 'active'
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()
    assert image['os_hash_value'] == hashlib.sha512(data).hexdigest()
    resp = images.download(image_id)
    assert resp.status_code == 200
    assert resp.content == data


# -- tests ----------------------------------------------------------------------------------

def test_client_cut_halfway_through_200_mib_requeues_within_1_s_and_keeps_no_file(
        lease_service, images):
    image_id = images.create_ok(name='cut-200')['id']
    size = 200 * MiB
    sock = _open_upload(lease_service, images, image_id, size)
    with sock:
        _send(sock, size // 2)
        _wait_for(lambda: _status(images, image_id) == 'saving', 10, 'upload begun')
    # The socket is closed: the client went away with half the body sent.

    took = _wait_for(lambda: _status(images, image_id) == 'queued', 1.0, 'queued again')

    assert took < 1.0
    assert _files_of(lease_service, image_id) == []


def test_killed_api_upload_is_requeued_after_its_lease_and_its_partial_file_swept(
        lease_service, images):
    image_id = images.create_ok(name='killed')['id']
    sock = _open_upload(lease_service, images, image_id, 64 * MiB)
    with sock:
        _send(sock, 8 * MiB)
        _wait_for(lambda: any(n.endswith('.partial') for n in _files_of(lease_service,
                                                                       image_id)),
                  10, 'partial file written')
        assert _worker_holding(lease_service, sock)
        marks = lease_service.log_marks()
        # The master and every worker at once, as when the host dies: nobody aborts, and
        # no master is left to hand the upload back.
        lease_service.api.signal(signal.SIGKILL)
        killed = time.monotonic()
        lease_service.api.wait_stopped()
        images.session.close()
        # Another glance-api on the shared directory (here, the same one restarted).
        lease_service.start_api()
        lease_service.wait_for_api()

        _wait_for(lambda: _status(images, image_id) == 'queued',
                  LEASE_SECONDS + SWEEP_SECONDS + MARGIN_SECONDS, 'queued again')
        _wait_for(lambda: _files_of(lease_service, image_id) == [],
                  LEASE_SECONDS + 2 * SWEEP_SECONDS + MARGIN_SECONDS, 'partial file swept')

    # The registry's sweep, not an abort nor a master's hand-back, returned it (and said
    # so).
    logs = lease_service.logs_since(marks)
    assert f'Upload of image {image_id}' in logs and 'its lease passed' in logs
    assert 'died; the image is queued again' not in logs
    assert time.monotonic() - killed < 2 * (LEASE_SECONDS + SWEEP_SECONDS + MARGIN_SECONDS)
    data = os.urandom(3 * MiB + 5)
    assert images.upload(image_id, data).status_code == 204
    _assert_stored(images, image_id, data)


def test_renewal_keeps_a_slow_upload_saving_past_its_lease_until_it_completes(
        lease_service, images):
    image_id = images.create_ok(name='slow')['id']
    data = os.urandom(8 * MiB)
    started = time.monotonic()
    # 128 pieces, 50 ms apart: more than two leases long, ~1.3 MB/s.
    uploader, result = _upload_in_background(images, image_id,
                                             _paced(data, 64 * 1024, 0.05))
    try:
        _wait_for(lambda: _status(images, image_id) == 'saving', 10, 'upload begun')
        # Past the first lease and a few sweeps, the upload still holds its image.
        time.sleep(max(0.0, started + LEASE_SECONDS + 2 * SWEEP_SECONDS - time.monotonic()))
        assert uploader.is_alive(), 'the upload ended too early to prove anything'
        assert _status(images, image_id) == 'saving'
    finally:
        uploader.join(timeout=60)

    assert time.monotonic() - started > 2 * LEASE_SECONDS
    assert result['resp'].status_code == 204, result['resp'].text
    _assert_stored(images, image_id, data)


def test_sigterm_to_the_api_master_lets_an_upload_in_flight_complete(lease_service, images):
    image_id = images.create_ok(name='graceful')['id']
    data = os.urandom(16 * MiB)
    # 64 pieces, 40 ms apart: about 2.5 s, so SIGTERM arrives mid-body.
    uploader, result = _upload_in_background(images, image_id,
                                             _paced(data, 256 * 1024, 0.04))
    try:
        _wait_for(lambda: _status(images, image_id) == 'saving', 10, 'upload begun')
        master = lease_service.api
        signalled = time.monotonic()
        os.kill(master.pid, signal.SIGTERM)
        returncode = master.proc.wait(timeout=60)
        exited = time.monotonic() - signalled
    finally:
        uploader.join(timeout=60)

    assert result['resp'].status_code == 204, result['resp'].text
    assert returncode == 0, master.log_text()
    # The body's remaining ~2.5 s, plus a worker's exit (about a second), with slack;
    # far below gunicorn's graceful timeout (120 s), which would mean a hung worker.
    assert exited < 15, exited
    lease_service.api.wait_stopped()
    lease_service.start_api()
    lease_service.wait_for_api()
    _assert_stored(images, image_id, data)
