"""Format inspection on upload, over real HTTP against the real daemons.

Safe images of each disk format, made by qemu-img (or laid out byte by byte where qemu-img
cannot: ISO 9660, partition tables), become active with the virtual size qemu-img reports.
Unsafe or mislabelled ones get upstream Glance's answer under the default ``[image_format]``
options: 415, the image back in ``queued``, no bytes left in the store. The corpus runs on
SQLite; one refusal-then-success scenario runs on every database backend.
"""

import hashlib
import os
import uuid

import pytest

from tests.functional import disk_images
from tests.functional.http_api import ImagesApi

MiB = 1024 * 1024

pytestmark = pytest.mark.skipif(disk_images.QEMU_IMG is None,
                                reason='qemu-img (qemu-utils) is not installed')


@pytest.fixture
def api(sqlite_service):
    client = ImagesApi(sqlite_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield client
    client.session.close()


def _qemu_size(data):
    return disk_images.qemu_img_info(data)['virtual-size']


def _files_of(service, image_id):
    return [p.name for p in service.datadir.rglob('*') if p.name.startswith(image_id)]


def _upload(api, data, disk_format, container_format='bare'):
    image = api.create_ok(name=f'{disk_format}-image', disk_format=disk_format,
                          container_format=container_format)
    return image['id'], api.upload(image['id'], data)


def _assert_refused(api, service, image_id, response, words):
    assert response.status_code == 415, response.text
    error = response.json()['error']
    assert error['code'] == 415
    assert words in error['message']
    shown = api.show(image_id).json()
    assert (shown['status'], shown['size'], shown['virtual_size'], shown['checksum']) == \
        ('queued', None, None, None)
    assert _files_of(service, image_id) == []


SAFE = {
    # name: (disk_format, builder, expected virtual size: None = ask qemu-img)
    'qcow2': ('qcow2', lambda: disk_images.qcow2(20 * MiB), None),
    'vmdk-monolithicSparse': ('vmdk', lambda: disk_images.converted('vmdk', 12 * MiB), None),
    'vmdk-streamOptimized': ('vmdk', lambda: disk_images.converted(
        'vmdk', 12 * MiB, 'subformat=streamOptimized'), None),
    'vhd': ('vhd', lambda: disk_images.converted('vpc', 10 * MiB), None),
    'vhdx': ('vhdx', lambda: disk_images.converted('vhdx', 6 * MiB), None),
    'vdi': ('vdi', lambda: disk_images.converted('vdi', 14 * MiB), None),
    'iso': ('iso', lambda: disk_images.iso9660(blocks=300), 300 * 2048),
    'bootable-iso': ('iso', lambda: disk_images.hybrid_iso(blocks=200), 200 * 2048),
    'raw': ('raw', lambda: os.urandom(3 * MiB + 5), 3 * MiB + 5),
    'raw-partitioned': ('raw', lambda: disk_images.mbr_disk(2 * MiB), 2 * MiB),
}


@pytest.mark.parametrize('case', list(SAFE))
def test_safe_image_becomes_active_with_its_virtual_size(api, sqlite_service, case):
    disk_format, build, expected = SAFE[case]
    data = build()
    expected = expected if expected is not None else _qemu_size(data)

    image_id, response = _upload(api, data, disk_format)

    assert response.status_code == 204, response.text
    shown = api.show(image_id).json()
    assert (shown['status'], shown['size'], shown['virtual_size']) == \
        ('active', len(data), expected)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert _files_of(sqlite_service, image_id) == [image_id]


REFUSED = {
    # name: (disk_format, builder, words of the 415 message)
    'qcow2-with-backing-file': ('qcow2', disk_images.qcow2_with_backing_file,
                                'backing_file'),
    'qcow2-with-data-file': ('qcow2', disk_images.qcow2_with_data_file, 'data_file'),
    'vmdk-with-external-extent': ('vmdk', disk_images.vmdk_with_external_extent,
                                  'Invalid extent filenames'),
    'vmdk-monolithicFlat': ('vmdk', disk_images.vmdk_flat_descriptor,
                            'Unsupported subformat'),
    'raw-labelled-qcow2': ('qcow2', lambda: os.urandom(16 * MiB),
                           'does not match disk_format qcow2'),
    'qcow2-labelled-raw': ('raw', lambda: disk_images.qcow2(4 * MiB),
                           'the content is qcow2, which does not match disk_format raw'),
    'iso-labelled-raw': ('raw', lambda: disk_images.iso9660(blocks=64),
                         'the content is iso, which does not match disk_format raw'),
    'vhdx-labelled-vhd': ('vhd', lambda: disk_images.converted('vhdx', 4 * MiB),
                          'does not match disk_format vhd'),
    'malformed-partition-table': ('raw', disk_images.malformed_mbr_disk,
                                  'invalid boot flag'),
}


@pytest.mark.parametrize('case', list(REFUSED))
def test_unsafe_or_mislabelled_image_is_415_queued_and_stores_nothing(api, sqlite_service,
                                                                      case):
    disk_format, build, words = REFUSED[case]

    image_id, response = _upload(api, build(), disk_format)

    _assert_refused(api, sqlite_service, image_id, response, words)


def test_chunked_upload_of_a_mislabelled_image_is_refused_without_reading_it_all(
        api, sqlite_service):
    data = os.urandom(16 * MiB)
    image = api.create_ok(name='mislabelled', disk_format='vmdk')

    # A generator body goes with Transfer-Encoding: chunked (no Content-Length).
    response = api.upload(image['id'], (data[i:i + 256 * 1024]
                                        for i in range(0, len(data), 256 * 1024)))

    _assert_refused(api, sqlite_service, image['id'], response, 'disk_format vmdk')


def test_non_bare_container_is_stored_as_sent(api, sqlite_service):
    data = disk_images.qcow2(4 * MiB)

    image_id, response = _upload(api, data, 'raw', container_format='ovf')

    assert response.status_code == 204, response.text
    shown = api.show(image_id).json()
    assert (shown['status'], shown['virtual_size']) == ('active', None)
    assert _files_of(sqlite_service, image_id) == [image_id]


def test_refused_upload_leaves_the_image_ready_for_a_good_one(images, glance_service):
    """On every backend: 415 and queued, then a safe upload sets size and virtual_size."""
    image = images.create_ok(name='second-chance', disk_format='qcow2')

    refused = images.upload(image['id'], disk_images.qcow2_with_backing_file())
    _assert_refused(images, glance_service, image['id'], refused, 'backing_file')

    good = disk_images.qcow2(40 * MiB)
    assert images.upload(image['id'], good).status_code == 204
    shown = images.show(image['id']).json()
    assert (shown['status'], shown['size'], shown['virtual_size']) == \
        ('active', len(good), 40 * MiB)
    assert images.download(image['id']).content == good
