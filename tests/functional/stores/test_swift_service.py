"""glance-api with the swift store on the real daemons and a real Swift: the seed
configuration ([glance_store] stores = file,http,swift / default_store = swift /
swift_store_create_container_on_put = True) through the API and the glance CLI, and the
failure paths: Swift stopped mid-upload, wrong credentials, a missing container.
"""

import hashlib
import os
import time
import uuid

import pytest
import swiftclient

from api_service.stores import catalog
from tests.functional import daemons
from tests.functional.http_api import ImagesApi
from tests.functional.stores.store_failures import first_upload_refused
from tests.functional.stores.store_failures import start_refused
from tests.functional.stores.store_failures import upload_cut_by_a_stop
from tests.functional.stores.test_swift_store import write_reference
from tests.functional.test_glanceclient_cli import GlanceCli
from tools.backends import swift_server as swift_backend

MIB = 1024 * 1024
# The http driver is written beside this one; the seed lists it when it is there.
STORES = 'file,http,swift' if 'http' in catalog.DRIVERS else 'file,swift'


def swift_options(workdir, info, container, key=None, **extra):
    """The [glance_store] options of a swift default store, writing its config file."""
    config_file = write_reference(workdir / f'swift-{uuid.uuid4().hex[:6]}.conf', info,
                                  key=key)
    options = {'stores': STORES, 'default_store': 'swift',
               'swift_store_create_container_on_put': 'True',
               'swift_store_config_file': config_file,
               'default_swift_reference': 'ref1', 'swift_store_container': container}
    options.update({k: str(v) for k, v in extra.items()})
    return {'glance_store': options}


def connect(info):
    return swiftclient.Connection(authurl=info['auth_url'], user=info['user'],
                                  key=info['key'], retries=1)


def names(info, container):
    try:
        return [o['name'] for o in connect(info).get_container(container,
                                                                full_listing=True)[1]]
    except swiftclient.ClientException as exc:
        if exc.http_status == 404:
            return []
        raise


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture(scope='module')
def container():
    return f'glance-{uuid.uuid4().hex[:8]}'


@pytest.fixture(scope='module')
def swift_service(tmp_path_factory, swift_tempauth, container):
    workdir = tmp_path_factory.mktemp('glance-swift')
    options = swift_options(workdir, swift_tempauth.info, container,
                            swift_store_large_object_size=8,
                            swift_store_large_object_chunk_size=4)
    with daemons.private_service(workdir, name='swift', extra_api_options=options) as svc:
        yield svc


@pytest.fixture
def images(swift_service):
    return ImagesApi(swift_service.base_url, f'project-{uuid.uuid4().hex[:8]}')


def test_upload_download_ranges_delete(images, swift_tempauth, container):
    info = swift_tempauth.info
    small = os.urandom(3 * MIB + 11)
    image = images.create_ok(name='small')
    assert images.upload(image['id'], small).status_code == 204
    # Content-Length under swift_store_large_object_size: one object.
    assert names(info, container) == [image['id']]
    got = images.download(image['id'])
    assert got.status_code == 200 and md5(got.content) == md5(small)
    assert images.show(image['id']).json()['checksum'] == md5(small)

    big = os.urandom(10 * MIB + 7)
    other = images.create_ok(name='big')

    def chunked():
        for start in range(0, len(big), MIB):
            yield big[start:start + MIB]

    assert images.upload(other['id'], chunked()).status_code == 204
    assert sorted(n for n in names(info, container) if n.startswith(other['id'])) == [
        other['id'], f'{other["id"]}-00001', f'{other["id"]}-00002', f'{other["id"]}-00003']
    ranged = images.download(other['id'], headers={'Range': f'bytes={4 * MIB - 5}-{8 * MIB}'})
    assert ranged.status_code == 206
    assert ranged.content == big[4 * MIB - 5:8 * MIB + 1]
    assert md5(images.download(other['id']).content) == md5(big)

    assert images.delete(image['id']).status_code == 204
    assert images.delete(other['id']).status_code == 204
    assert names(info, container) == []


def test_a_missing_container_without_create_on_put(tmp_path, swift_tempauth):
    info = swift_tempauth.info
    container = f'absent-{uuid.uuid4().hex[:8]}'
    options = swift_options(tmp_path, info, container,
                            swift_store_create_container_on_put='False')
    with daemons.private_service(tmp_path, name='nocontainer',
                                 extra_api_options=options) as service:
        api = ImagesApi(service.base_url, 'project-nocontainer')
        image, message = first_upload_refused(api)
        assert container in message and 'swift_store_create_container_on_put' in message
        assert names(info, container) == []
        # Once the operator creates it, the same upload works.
        connect(info).put_container(container)
        assert api.upload(image['id'], b'data').status_code == 204
        assert names(info, container) == [image['id']]


def test_wrong_credentials_fail_the_first_use_clearly(tmp_path, swift_tempauth):
    options = swift_options(tmp_path, swift_tempauth.info, 'glance-wrongkey', key='wrong')
    with daemons.private_service(tmp_path, name='wrongkey',
                                 extra_api_options=options) as service:
        api = ImagesApi(service.base_url, 'project-wrongkey')
        _, message = first_upload_refused(api)
        assert 'authentication failed' in message and 'ref1' in message
        assert 'wrong' not in message  # the key never shows


@pytest.mark.parametrize('with_config_file,words', [
    (True, ['swift_store_config_file', 'mutually exclusive']),
    (False, ['auth_strategy = keystone'])])
def test_multi_tenant_without_keystone_or_with_a_config_file_stops_the_start(
        tmp_path, swift_tempauth, with_config_file, words):
    """Multi-tenant mode works with the users' tokens: under noauth there are none, and a
    swift store config file is refused beside it, as upstream refuses it. (It working is
    test_swift_multi_tenant.py.)"""
    options = swift_options(tmp_path, swift_tempauth.info, 'glance-mt',
                            swift_store_multi_tenant='True')
    if not with_config_file:
        del options['glance_store']['swift_store_config_file']
    stderr = start_refused(tmp_path, 'mt', options)
    assert 'swift_store_multi_tenant' in stderr
    for word in words:
        assert word in stderr


def test_swift_stopped_mid_upload(tmp_path):
    """The image goes back to queued; the segments written are removed once Swift is back."""
    server = swift_backend.SwiftServer(tmp_path / 'swift')
    info = server.start()
    container = 'glance-stopped'
    options = swift_options(tmp_path, info, container, swift_store_large_object_size=1,
                            swift_store_large_object_chunk_size=1)
    try:
        with daemons.private_service(tmp_path, name='swiftstop',
                                     extra_api_options=options) as service:
            api = ImagesApi(service.base_url, 'project-swiftstop')
            image = api.create_ok(name='cut')
            upload_cut_by_a_stop(api, image['id'], chunks=40, slow_after=6,
                                 written=lambda: len(names(info, container)) >= 2,  # segments
                                 stop=server.stop, join_seconds=120)
            # Swift back (same ports and data): what the failed upload wrote goes away.
            server = swift_backend.SwiftServer(tmp_path / 'swift', ports=info['ports'])
            info = server.start()
            deadline = time.monotonic() + 60
            while names(info, container):
                assert time.monotonic() < deadline, names(info, container)
                time.sleep(1)
            # And the image can be uploaded again.
            data = os.urandom(MIB + 3)
            assert api.upload(image['id'], data).status_code == 204
            assert md5(api.download(image['id']).content) == md5(data)
    finally:
        server.stop()


def test_glance_cli_300_mib_as_segments(swift_tempauth, tmp_path):
    """The seed configuration and swift_store_large_object_size = 100: 300 MiB from glance
    image-create --file goes up as segments (200 MB by default) and a manifest. (Glimpse
    knows the size of this upload, and with upstream's default of 5120 MB an image of known
    size under it is one object.)"""
    container = f'glance-cli-{uuid.uuid4().hex[:6]}'
    options = swift_options(tmp_path, swift_tempauth.info, container,
                            swift_store_large_object_size=100)
    with daemons.private_service(tmp_path, name='swiftcli',
                                 extra_api_options=options) as service:
        _cli_round_trip(service, swift_tempauth, container, tmp_path)


def _cli_round_trip(swift_service, swift_tempauth, container, tmp_path):
    path = tmp_path / 'big.raw'
    digest = hashlib.md5()
    with open(path, 'wb') as f:
        block = os.urandom(MIB)
        for n in range(300):
            chunk = block[:-8] + n.to_bytes(8, 'big')
            digest.update(chunk)
            f.write(chunk)
    cli = GlanceCli(swift_service, tmp_path)
    created = cli.table('image-create', '--name', 'big', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(path), '--progress')
    image_id = created['id']
    assert created['status'] == 'active' and created['checksum'] == digest.hexdigest()
    stored = [n for n in names(swift_tempauth.info, container) if n.startswith(image_id)]
    assert stored == [image_id, f'{image_id}-00001', f'{image_id}-00002']
    out = tmp_path / 'out.raw'
    cli.run('image-download', '--file', str(out), image_id)
    got = hashlib.md5()
    with open(out, 'rb') as f:
        for chunk in iter(lambda: f.read(MIB), b''):
            got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()
    cli.run('image-delete', image_id)
    assert [n for n in names(swift_tempauth.info, container) if n.startswith(image_id)] == []
