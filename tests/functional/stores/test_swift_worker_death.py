"""An api worker SIGKILLed while it streams an image into Swift as segments: its master
hands the image back (queued) and removes the segments the dead upload wrote, so nothing
stays in Swift; the image then takes a new upload.
"""

import os
import signal
import time
import uuid

import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi
from tests.functional.stores.test_swift_service import connect
from tests.functional.stores.test_swift_service import names
from tests.functional.stores.test_swift_service import swift_options
from tests.functional.test_upload_leases import MiB
from tests.functional.test_upload_leases import _open_upload
from tests.functional.test_upload_leases import _send
from tests.functional.test_upload_leases import _status
from tests.functional.test_upload_leases import _wait_for
from tests.functional.test_upload_leases import _worker_holding


@pytest.fixture(scope='module')
def container():
    return f'glance-death-{uuid.uuid4().hex[:8]}'


@pytest.fixture(scope='module')
def swift_service(tmp_path_factory, swift_tempauth, container):
    workdir = tmp_path_factory.mktemp('glance-swift-death')
    options = swift_options(workdir, swift_tempauth.info, container,
                            swift_store_large_object_size=1,
                            swift_store_large_object_chunk_size=1)
    with daemons.private_service(workdir, name='swiftdeath', extra_api_options=options) as svc:
        yield svc


def test_killed_worker_leaves_no_segments(swift_service, swift_tempauth, container):
    images = ImagesApi(swift_service.base_url, f'project-{uuid.uuid4().hex[:8]}')
    image_id = images.create_ok(name='swift-worker-killed')['id']
    sock = _open_upload(swift_service, images, image_id, 64 * MiB)
    with sock:
        _send(sock, 6 * MiB)
        _wait_for(lambda: len([n for n in names(swift_tempauth.info, container)
                               if n.startswith(f'{image_id}-')]) >= 3,
                  30, 'segments written')
        assert _status(images, image_id) == 'saving'
        worker = _worker_holding(swift_service, sock)
        marks = swift_service.log_marks()
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        images.session.close()
        _wait_for(lambda: _status(images, image_id) == 'queued' and
                  not [n for n in names(swift_tempauth.info, container)
                       if n.startswith(image_id)],
                  60, 'queued with no segment left')
    print(f'\nworker SIGKILL -> queued, no segment in Swift: '
          f'{time.monotonic() - killed:.2f} s')
    _wait_for(lambda: 'left by an unfinished upload' in swift_service.logs_since(marks), 10,
              "the master's log line")

    data = os.urandom(2 * MiB + 9)
    assert images.upload(image_id, data).status_code == 204
    assert images.download(image_id).content == data
    assert sorted(n for n in names(swift_tempauth.info, container)
                  if n.startswith(image_id)) == [image_id, f'{image_id}-00001',
                                                 f'{image_id}-00002', f'{image_id}-00003']


def test_deleting_an_image_removes_segments_a_lost_upload_left(swift_service, swift_tempauth,
                                                                container):
    """Segments nobody removed (the whole host of the upload went down; put here by hand)
    go when the image, queued with no data, is deleted."""
    images = ImagesApi(swift_service.base_url, f'project-{uuid.uuid4().hex[:8]}')
    image_id = images.create_ok(name='swift-host-lost')['id']
    other_id = images.create_ok(name='swift-neighbour')['id']
    conn = connect(swift_tempauth.info)
    for name in (f'{image_id}-00001', f'{image_id}-00002', f'{other_id}-00001'):
        conn.put_object(container, name, b'x' * 1000)
    assert images.delete(image_id).status_code == 204
    left = names(swift_tempauth.info, container)
    assert not [n for n in left if n.startswith(image_id)]
    assert f'{other_id}-00001' in left
    conn.delete_object(container, f'{other_id}-00001')
