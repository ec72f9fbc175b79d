"""Several stores on the real daemons (issue 11): enabled_backends = fast:file, cold:file,
web:http (the loopback HTTP server), driven by python-glanceclient's `glance` CLI unmodified
(stores-info, image-create --store, image-upload --store, stores-delete) and by REST.

An image gets a second location only by copy-image or the locations API, which Glimpse does
not have yet; the tests stand in for them by recording the location in the registry's
database (image_locations) after putting the data where that store reads it.
"""

import datetime
import hashlib
import json
import re

import pytest
import requests
import sqlalchemy as sa

from registry_service.db import models
from tests.functional import daemons
from tests.functional.test_glanceclient_cli import GlanceCli

DATA = bytes(range(256)) * 4096 + b'tail'
# The glance CLI sends no roles (an ordinary member under noauth); the two admin rules it
# needs here are opened to members in this service's policy file.
POLICY = {'stores_info_detail': 'role:member', 'delete_image_location': 'role:member'}
ADMIN = daemons.project_headers('admin-project', roles='admin')


@pytest.fixture(scope='module')
def service(tmp_path_factory, http_server):
    workdir = tmp_path_factory.mktemp('multi-store')
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text(json.dumps(POLICY))
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, cold:file, web:http'},
        'glance_store': {'default_backend': 'fast'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast'),
                 'store_description': 'Fast disks'},
        'cold': {'filesystem_store_datadir': str(workdir / 'cold'), 'weight': '5'},
        'web': {'store_description': 'Read-only web'},
        'oslo_policy': {'policy_file': str(policy_file)},
    }
    with daemons.private_service(workdir, extra_api_options=options) as running:
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


def _add_location(service, image_id, url, store_id):
    """What copy-image or the locations API would record: one more active location."""
    engine = sa.create_engine(service.db_url)
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(models.ImageLocation).values(
                image_id=image_id, url=url, store_id=store_id, status='active',
                created_at=now, updated_at=now, deleted=False))
    finally:
        engine.dispose()


def _show(service, image_id):
    return requests.get(f'{service.base_url}/v2/images/{image_id}', headers=ADMIN,
                        timeout=30).json()


def _unwrapped(table):
    """The CLI table's text without borders, padding or line breaks: it wraps a value at 80
    columns, and where the breaks fall moves with the length of the temporary paths shown
    (a break once fell inside '"type": "http"')."""
    return re.sub(r'[\s|]', '', table)


def test_stores_info_with_the_glance_cli(cli):
    out = cli.run('stores-info').stdout
    for text in ('"id": "fast"', '"default": "true"', '"description": "Fast disks"',
                 '"id": "cold"', '"id": "web"', '"read-only": "true"'):
        assert _unwrapped(text) in _unwrapped(out), out
    detail = cli.run('stores-info', '--detail').stdout
    for text in ('"type": "file"', '"type": "http"', '"weight": 5', '"data_dir"'):
        assert _unwrapped(text) in _unwrapped(detail), detail


def test_create_and_upload_to_the_store_named(cli, service, image_file):
    created = cli.table('image-create', '--name', 'cold-one', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(image_file),
                        '--store', 'cold')
    assert created['status'] == 'active' and created['stores'] == 'cold'
    assert (service.stores_dir / 'cold' / created['id']).read_bytes() == DATA
    assert not (service.stores_dir / 'fast' / created['id']).exists()

    queued = cli.table('image-create', '--name', 'fast-one', '--disk-format', 'raw',
                       '--container-format', 'bare')
    cli.run('image-upload', '--store', 'fast', '--file', str(image_file), queued['id'])
    shown = cli.table('image-show', queued['id'])
    assert shown['stores'] == 'fast' and shown['status'] == 'active'
    assert (service.stores_dir / 'fast' / queued['id']).read_bytes() == DATA

    # The read-only store refuses (410) and the image stays queued.
    other = cli.table('image-create', '--name', 'web-one', '--disk-format', 'raw',
                      '--container-format', 'bare')
    refused = cli.run('image-upload', '--store', 'web', '--file', str(image_file),
                      other['id'], check=False)
    assert refused.returncode != 0 and 'read-only' in refused.stdout + refused.stderr
    assert cli.table('image-show', other['id'])['status'] == 'queued'
    # An id the cloud does not list: the client itself refuses it.
    unknown = cli.run('image-upload', '--store', 'nowhere', '--file', str(image_file),
                      other['id'], check=False)
    assert unknown.returncode != 0 and 'nowhere' in unknown.stdout + unknown.stderr


def test_rest_headers_and_an_unknown_store(service):
    created = requests.post(f'{service.base_url}/v2/images', headers=ADMIN, timeout=30,
                            json={'disk_format': 'raw', 'container_format': 'bare'})
    assert created.status_code == 201
    assert created.headers['OpenStack-image-store-ids'] == 'fast,cold,web'
    image_id = created.json()['id']
    response = requests.put(f'{service.base_url}/v2/images/{image_id}/file', data=b'x',
                            timeout=30, headers=dict(ADMIN, **{
                                'Content-Type': 'application/octet-stream',
                                'X-Image-Meta-Store': 'nowhere'}))
    assert response.status_code == 400
    assert requests.get(f'{service.base_url}/v2/info/stores/detail', timeout=30,
                        headers=daemons.project_headers('p', roles='reader')
                        ).status_code == 403


def test_stores_delete_keeps_the_other_copy(cli, service, image_file):
    created = cli.table('image-create', '--name', 'two-copies', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(image_file))
    image_id = created['id']
    assert created['stores'] == 'fast'
    copy = service.stores_dir / 'cold' / image_id
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(DATA)
    _add_location(service, image_id, f'file://{copy}', 'cold')
    # cold weighs 5, fast 0: cold comes first, as upstream sorts by weight.
    assert cli.table('image-show', image_id)['stores'] == 'cold,fast'

    cli.run('stores-delete', '--store', 'fast', image_id)
    assert not (service.stores_dir / 'fast' / image_id).exists() and copy.exists()
    shown = cli.table('image-show', image_id)
    assert shown['stores'] == 'cold' and shown['status'] == 'active'
    out = service.stores_dir / 'download'
    cli.run('image-download', '--file', str(out), image_id)
    assert out.read_bytes() == DATA

    last = cli.run('stores-delete', '--store', 'cold', image_id, check=False)
    assert last.returncode != 0 and 'only store' in last.stdout + last.stderr
    assert copy.exists()


def test_data_read_from_the_http_store_with_ranges(cli, service, http_server, image_file):
    created = cli.table('image-create', '--name', 'on-the-web', '--disk-format', 'raw',
                        '--container-format', 'bare', '--file', str(image_file))
    image_id = created['id']
    url = http_server.add_file(f'multi/{image_id}.raw', DATA)
    _add_location(service, image_id, f'{http_server.url}/redirect/multi/{image_id}.raw',
                  'web')
    cli.run('stores-delete', '--store', 'fast', image_id)
    assert _show(service, image_id)['stores'] == 'web'
    file_url = f'{service.base_url}/v2/images/{image_id}/file'
    whole = requests.get(file_url, headers=ADMIN, timeout=30)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers['Content-MD5'] == hashlib.md5(DATA).hexdigest()
    ranged = requests.get(file_url, headers=dict(ADMIN, Range='bytes=1000-1999'),
                          timeout=30)
    assert ranged.status_code == 206 and ranged.content == DATA[1000:2000]
    # The location's file gone: a clear 404, not a 500.
    (http_server.root / 'multi' / f'{image_id}.raw').unlink()
    gone = requests.get(file_url, headers=ADMIN, timeout=30)
    assert gone.status_code == 404, gone.text
    assert url


def test_versions_offer_the_stores_minors(service):
    listed = requests.get(f'{service.base_url}/versions', timeout=30).json()['versions']
    assert [v['id'] for v in listed] == ['v2.17', 'v2.15', 'v2.12', 'v2.11', 'v2.10', 'v2.9',
                                         'v2.8', 'v2.7', 'v2.6', 'v2.1', 'v2.0']
    assert requests.get(f'{service.base_url}/v2.15/info/stores/detail', headers=ADMIN,
                        timeout=30).status_code == 200
