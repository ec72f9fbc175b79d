"""glance_store's own drivers through glance-api (api_service/stores/glance_store_bridge.py).

One backend of a multi-store glance-api is glance_store's file driver behind the bridge
(type glance_store.file), driven by python-glanceclient's `glance` CLI: upload, stores,
download, delete. And a driver whose library is missing here (rbd without rados, cinder
without os-brick, vmware without oslo.vmware) stops glance-api at start with the reason on
stderr.
"""

import importlib
import subprocess

import pytest

from tests.functional import daemons
from tests.functional.test_glanceclient_cli import GlanceCli

DATA = bytes(range(256)) * 4096 + b'bridged'


@pytest.fixture(scope='module')
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('bridged')
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, upstream:glance_store.file'},
        'glance_store': {'default_backend': 'upstream'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast')},
        'upstream': {'filesystem_store_datadir': str(workdir / 'upstream'),
                     'store_description': 'glance_store file driver'},
    }
    with daemons.private_service(workdir, extra_api_options=options) as running:
        running.stores_dir = workdir
        yield running


def test_upload_download_and_delete_through_the_bridged_driver(service, tmp_path):
    cli = GlanceCli(service, tmp_path)
    image_file = tmp_path / 'disk.raw'
    image_file.write_bytes(DATA)
    created = cli.table('image-create', '--name', 'bridged', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(image_file))
    image_id = created['id']
    assert created['status'] == 'active' and created['stores'] == 'upstream'
    assert created['size'] == str(len(DATA))
    # glance_store's file driver wrote it where its own option says.
    assert (service.stores_dir / 'upstream' / image_id).read_bytes() == DATA
    out = tmp_path / 'out.raw'
    cli.run('image-download', '--file', str(out), image_id)
    assert out.read_bytes() == DATA
    # The other backend is Glimpse's own file store, beside it.
    queued = cli.table('image-create', '--name', 'native', '--disk-format', 'raw',
                       '--container-format', 'bare')
    cli.run('image-upload', '--store', 'fast', '--file', str(image_file), queued['id'])
    assert (service.stores_dir / 'fast' / queued['id']).read_bytes() == DATA
    cli.run('image-delete', image_id)
    assert not (service.stores_dir / 'upstream' / image_id).exists()


@pytest.mark.parametrize('driver,library', [('rbd', 'rados'), ('cinder', 'os_brick'),
                                            ('vmware', 'oslo_vmware')])
def test_a_driver_without_its_library_stops_glance_api(tmp_path, driver, library):
    try:
        importlib.import_module(library)
        pytest.skip('%s is installed here' % library)
    except ImportError:
        pass
    conf = daemons.write_conf(tmp_path / 'glance-api.conf', {
        'DEFAULT': {'log_file': str(tmp_path / 'api.log'), 'use_stderr': 'False'},
        'glance_store': {'stores': 'file,%s' % driver,
                         'filesystem_store_datadir': str(tmp_path / 'images')},
    })
    result = subprocess.run([daemons.console_script('glance-api'), '--config-file', conf],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith('glance-api: ')
    assert '[glance_store] stores' in result.stderr and library in result.stderr
    assert 'Traceback' not in result.stderr
