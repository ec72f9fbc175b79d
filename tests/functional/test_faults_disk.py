"""The image store's disk fills up during an upload.

The api's filesystem_store_datadir is a small tmpfs mounted for this module (root only; the
module is skipped with the reason when mounting is not permitted). An upload larger than the
free space must end in 413 with a JSON body, leave the image queued and no partial file, and
free the space again so that a smaller upload then succeeds.
"""

import contextlib
import hashlib
import os
import subprocess

import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi

TMPFS_BYTES = 8 * 1024 * 1024
MIB = 1024 * 1024


def _mount_tmpfs(path, size):
    """Mount a tmpfs of ``size`` bytes on ``path``; '' on success, else why not."""
    if os.geteuid() != 0:
        return 'mounting a tmpfs needs root'
    result = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(path)],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return f'mount -t tmpfs is not permitted here: {result.stderr.strip()}'
    return ''


@contextlib.contextmanager
def small_tmpfs(path, size):
    reason = _mount_tmpfs(path, size)
    if reason:
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(['umount', str(path)], check=True, timeout=30)


@pytest.fixture(scope='module')
def full_disk_service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('glance-disk')
    # private_service() puts the store of its GlanceService at <workdir>/service/images.
    datadir = workdir / 'service' / 'images'
    datadir.mkdir(parents=True)
    with small_tmpfs(datadir, TMPFS_BYTES), \
            daemons.private_service(workdir, name='disk') as service:
        assert service.datadir == datadir
        yield service


@pytest.fixture
def images(full_disk_service):
    api = ImagesApi(full_disk_service.base_url, 'project-disk')
    yield api
    api.session.close()


def _stored_files(service):
    return sorted(p.name for p in service.datadir.iterdir())


def _free_bytes(service):
    stats = os.statvfs(service.datadir)
    return stats.f_bavail * stats.f_frsize


def _chunks(data, size=64 * 1024):
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.mark.parametrize('transfer', ['content-length', 'chunked'])
def test_upload_larger_than_the_free_space_gives_413_and_keeps_nothing(
        full_disk_service, images, transfer):
    image = images.create_ok(name=f'too-big-{transfer}')
    free_before = _free_bytes(full_disk_service)
    data = os.urandom(TMPFS_BYTES + 4 * MIB)
    body = data if transfer == 'content-length' else _chunks(data)

    resp = images.upload(image['id'], body)

    assert resp.status_code == 413, resp.text
    assert resp.headers['Content-Type'].startswith('application/json')
    assert resp.json()['error']['code'] == 413
    # On the same keep-alive connection, as clients do: the refused body's unread rest must
    # have been drained (or the 413 must have said Connection: close).
    shown = images.show(image['id']).json()
    assert shown['status'] == 'queued'
    assert shown['size'] is None and shown['checksum'] is None
    assert not [name for name in _stored_files(full_disk_service) if image['id'] in name]
    # The partial file's blocks were given back.
    assert _free_bytes(full_disk_service) >= free_before


def test_after_a_full_disk_a_smaller_upload_of_the_same_image_succeeds(full_disk_service,
                                                                         images):
    image = images.create_ok(name='retry-smaller')
    resp = images.upload(image['id'], os.urandom(TMPFS_BYTES + MIB))
    assert resp.status_code == 413, resp.text

    data = os.urandom(2 * MIB)
    assert images.upload(image['id'], data).status_code == 204
    shown = images.show(image['id']).json()
    assert shown['status'] == 'active'
    assert shown['size'] == len(data)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert _stored_files(full_disk_service).count(image['id']) == 1
    assert images.download(image['id']).content == data
