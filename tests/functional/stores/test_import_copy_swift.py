"""copy-image from a file store to a Swift store (issue 12), on the real daemons and a real
Swift with tempauth: enabled_backends = fast:file, cloud:swift."""

import hashlib
import time
import uuid

import pytest
import requests

from tests.functional import daemons
from tests.functional.stores.test_swift_service import names
from tests.functional.stores.test_swift_store import write_reference

DATA = bytes(range(256)) * 8192 + b'copy to swift'
ADMIN = daemons.project_headers('admin-project', roles='admin')
OCTET = {'Content-Type': 'application/octet-stream'}


@pytest.fixture(scope='module')
def container():
    return f'glance-copy-{uuid.uuid4().hex[:8]}'


@pytest.fixture(scope='module')
def service(tmp_path_factory, swift_tempauth, container):
    workdir = tmp_path_factory.mktemp('import-swift')
    reference = write_reference(workdir / 'swift-store.conf', swift_tempauth.info)
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, cloud:swift'},
        'glance_store': {'default_backend': 'fast'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast')},
        'cloud': {'swift_store_config_file': reference, 'default_swift_reference': 'ref1',
                  'swift_store_container': container,
                  'swift_store_create_container_on_put': 'True'},
        'os_glance_staging_store': {'filesystem_store_datadir': str(workdir / 'staging')},
    }
    with daemons.private_service(workdir, name='import-swift',
                                 extra_api_options=options) as running:
        running.stores_dir = workdir
        yield running


def show(service, image_id):
    return requests.get(f'{service.base_url}/v2/images/{image_id}', headers=ADMIN,
                        timeout=30).json()


def test_copy_image_from_file_to_swift(service, swift_tempauth, container):
    base = service.base_url
    image = requests.post(f'{base}/v2/images', headers=ADMIN, timeout=30, json={
        'name': 'copy-me', 'disk_format': 'raw', 'container_format': 'bare'}).json()
    assert requests.put(f'{base}/v2/images/{image["id"]}/file', data=DATA, timeout=60,
                        headers=dict(ADMIN, **OCTET)).status_code == 204
    answer = requests.post(f'{base}/v2/images/{image["id"]}/import', headers=ADMIN,
                           timeout=30, json={'method': {'name': 'copy-image'},
                                             'all_stores': True})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + 60
    while show(service, image['id']).get('stores') != 'fast,cloud':
        assert time.monotonic() < deadline, show(service, image['id'])
        time.sleep(0.3)
    assert image['id'] in names(swift_tempauth.info, container)
    # The file copy removed (DELETE /v2/stores/fast/{id}), the download comes whole from
    # Swift.
    assert requests.delete(f'{base}/v2/stores/fast/{image["id"]}', headers=ADMIN,
                           timeout=30).status_code == 204
    assert not (service.stores_dir / 'fast' / image['id']).exists()
    assert show(service, image['id'])['stores'] == 'cloud'
    got = requests.get(f'{base}/v2/images/{image["id"]}/file', headers=ADMIN, timeout=60)
    assert got.status_code == 200
    assert hashlib.md5(got.content).hexdigest() == hashlib.md5(DATA).hexdigest()
