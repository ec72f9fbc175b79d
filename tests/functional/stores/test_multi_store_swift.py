"""Issue 11's multi-store acceptance on the real daemons and a real Swift (tempauth):
enabled_backends = fast:file, cold:swift, web:http, driven by the glance CLI unmodified.
An upload to each writable store by header, the ``stores`` attribute, stores-info, a second
copy made by copy-image, and deleting one copy keeps the other.
"""

import hashlib
import json
import time
import uuid

import pytest

from tests.functional import daemons
from tests.functional.stores.test_swift_service import names
from tests.functional.stores.test_swift_store import write_reference
from tests.functional.test_glanceclient_cli import GlanceCli

DATA = bytes(range(256)) * 4096 + b'fast, cold and web'
# The glance CLI sends no roles (a member under noauth): the admin rules these commands need
# are opened to members in this service's policy file.
POLICY = {'stores_info_detail': 'role:member', 'delete_image_location': 'role:member',
          'copy_image': 'role:member'}


@pytest.fixture(scope='module')
def container():
    return f'glance-multi-{uuid.uuid4().hex[:8]}'


@pytest.fixture(scope='module')
def service(tmp_path_factory, swift_tempauth, container):
    workdir = tmp_path_factory.mktemp('multi-swift')
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text(json.dumps(POLICY))
    reference = write_reference(workdir / 'swift-store.conf', swift_tempauth.info)
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, cold:swift, web:http'},
        'glance_store': {'default_backend': 'fast'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast'),
                 'store_description': 'Fast disks'},
        # cold weighs more: upstream lists an image's stores by weight, highest first.
        'cold': {'swift_store_config_file': reference, 'default_swift_reference': 'ref1',
                 'swift_store_container': container,
                 'swift_store_create_container_on_put': 'True', 'weight': '10',
                 'store_description': 'Swift'},
        'web': {'store_description': 'Read-only web'},
        'os_glance_staging_store': {'filesystem_store_datadir': str(workdir / 'staging')},
        'oslo_policy': {'policy_file': str(policy_file)},
    }
    with daemons.private_service(workdir, name='multi-swift',
                                 extra_api_options=options) as running:
        running.stores_dir = workdir
        yield running


@pytest.fixture
def cli(service, tmp_path):
    return GlanceCli(service, tmp_path)


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / 'disk.raw'
    path.write_bytes(DATA)
    return path


def md5(data):
    return hashlib.md5(data).hexdigest()


def test_stores_info_lists_the_three_stores(cli):
    # The CLI wraps the JSON over table rows; table() joins them back.
    stores = {s['id']: s for s in json.loads(cli.table('stores-info')['stores'])}
    assert list(stores) == ['fast', 'cold', 'web']
    assert stores['fast'].get('default') == 'true' and 'default' not in stores['cold']
    assert stores['cold']['description'] == 'Swift'
    assert stores['web'].get('read-only') == 'true' and 'read-only' not in stores['cold']
    detail = {s['id']: s for s in
              json.loads(cli.table('stores-info', '--detail')['stores'])}
    assert {k: v['type'] for k, v in detail.items()} == {
        'fast': 'file', 'cold': 'swift', 'web': 'http'}
    assert detail['cold']['weight'] == 10


def test_upload_to_each_writable_store_by_header(cli, service, swift_tempauth, container,
                                                 image_file, tmp_path):
    cold = cli.table('image-create', '--name', 'to-swift', '--disk-format', 'raw',
                     '--container-format', 'bare', '--file', str(image_file),
                     '--store', 'cold')
    assert cold['status'] == 'active' and cold['stores'] == 'cold'
    assert cold['id'] in names(swift_tempauth.info, container)
    assert not (service.stores_dir / 'fast' / cold['id']).exists()

    fast = cli.table('image-create', '--name', 'to-file', '--disk-format', 'raw',
                     '--container-format', 'bare')
    cli.run('image-upload', '--store', 'fast', '--file', str(image_file), fast['id'])
    assert cli.table('image-show', fast['id'])['stores'] == 'fast'
    assert (service.stores_dir / 'fast' / fast['id']).read_bytes() == DATA
    assert fast['id'] not in names(swift_tempauth.info, container)

    for image_id in (cold['id'], fast['id']):
        out = tmp_path / f'{image_id}.out'
        cli.run('image-download', '--file', str(out), image_id)
        assert md5(out.read_bytes()) == md5(DATA)
        cli.run('image-delete', image_id)
    assert cold['id'] not in names(swift_tempauth.info, container)
    assert not (service.stores_dir / 'fast' / fast['id']).exists()


def test_copy_to_swift_then_delete_the_file_copy(cli, service, swift_tempauth, container,
                                                 image_file, tmp_path):
    created = cli.table('image-create', '--name', 'two-copies', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(image_file))
    image_id = created['id']
    assert created['stores'] == 'fast'
    cli.run('image-import', '--import-method', 'copy-image', '--stores', 'cold', image_id)
    deadline = time.monotonic() + 60
    while (shown := cli.table('image-show', image_id))['stores'] != 'cold,fast':
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)
    assert image_id in names(swift_tempauth.info, container)

    cli.run('stores-delete', '--store', 'fast', image_id)
    assert not (service.stores_dir / 'fast' / image_id).exists()
    shown = cli.table('image-show', image_id)
    assert shown['stores'] == 'cold' and shown['status'] == 'active'
    out = tmp_path / 'from-swift'
    cli.run('image-download', '--file', str(out), image_id)
    assert md5(out.read_bytes()) == md5(DATA)

    cli.run('image-delete', image_id)
    assert image_id not in names(swift_tempauth.info, container)
