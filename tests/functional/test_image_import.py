"""Interoperable image import on the real daemons (issue 12), driven by the glance CLI and
openstacksdk unmodified: glance-direct (stage, then import), web-download from the loopback
HTTP server, qcow2 -> raw conversion, and the failures that must leave the image queued
with the reason on its task (unsafe qcow2, 404, link-local address, a server that never
answers); copy-image between two file stores.

Under noauth the glance CLI acts as an ordinary member; copy-image is admin only
(copy_image), so it goes over REST with admin headers.
"""

import hashlib
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from registry_service.db import models
from tests.functional import daemons
from tests.functional import sdk
from tests.functional.test_glanceclient_cli import GlanceCli
from tests.store_backends import http_server  # noqa: F401  (a session fixture)

DATA = bytes(range(256)) * 4096 + b'import tail'
MiB = 1024 * 1024
ADMIN = daemons.project_headers('admin-project', roles='admin')
WAIT_SECONDS = 60


class SilentServer:
    """A TCP server on loopback that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture(scope='module')
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(scope='module')
def service(tmp_path_factory, http_server, silent_server):  # noqa: F811 (the fixture)
    workdir = tmp_path_factory.mktemp('import')
    options = {
        'DEFAULT': {'node_staging_uri': 'file://%s' % (workdir / 'staging')},
        'image_import_opts': {'image_import_plugins': '[image_conversion]'},
        'image_conversion': {'output_format': 'raw'},
        'import_filtering_opts': {
            # bounds=True, as upstream: the list is written in brackets.
            'allowed_ports': '[%d,%d]' % (http_server.port, silent_server.port),
            'web_download_timeout': '3'},
    }
    with daemons.private_service(workdir, extra_api_options=options) as running:
        running.staging = workdir / 'staging'
        yield running


@pytest.fixture
def cli(service, tmp_path):
    return GlanceCli(service, tmp_path)


def show(service, image_id):
    return requests.get(f'{service.base_url}/v2/images/{image_id}', headers=ADMIN,
                        timeout=30).json()


def download(service, image_id):
    return requests.get(f'{service.base_url}/v2/images/{image_id}/file', headers=ADMIN,
                        timeout=60).content


def wait_for(service, image_id, statuses):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        image = show(service, image_id)
        if image['status'] in statuses and 'os_glance_import_task' not in image:
            return image
        if time.monotonic() > deadline:
            raise AssertionError('image %s still %s' % (image_id, image['status']))
        time.sleep(0.2)


def tasks_of(service, image_id):
    """The image's tasks, newest last, from the registry's database."""
    engine = sa.create_engine(service.db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(models.Task.status, models.Task.message, models.Task.type)
                .where(models.Task.image_id == image_id)
                .order_by(models.Task.created_at)).all()
    finally:
        engine.dispose()
    return rows


def wait_for_task(service, image_id):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows = tasks_of(service, image_id)
        if rows and rows[-1].status in ('success', 'failure'):
            return rows[-1]
        if time.monotonic() > deadline:
            raise AssertionError('the task of image %s did not finish: %s' % (image_id, rows))
        time.sleep(0.2)


def create(service, **values):
    body = dict({'name': 'imported', 'disk_format': 'raw', 'container_format': 'bare'},
                **values)
    answer = requests.post(f'{service.base_url}/v2/images', json=body, headers=ADMIN,
                           timeout=30)
    assert answer.status_code == 201, answer.text
    return answer


def start_import(service, image_id, method, headers=ADMIN, **body):
    return requests.post(f'{service.base_url}/v2/images/{image_id}/import',
                         json=dict(body, method=method), headers=headers, timeout=30)


def test_import_info_with_the_glance_cli(cli):
    # The table wraps the JSON value: join its cells back.
    out = ''.join(line.split('|')[2].strip() for line in cli.run('import-info').stdout
                  .splitlines() if line.count('|') == 3)
    assert '"value": ["glance-direct", "web-download"]' in out
    # One store: copy-image is not offered.


def test_glance_direct_with_the_glance_cli(cli, service, tmp_path):
    path = tmp_path / 'disk.raw'
    path.write_bytes(DATA)
    table = cli.table('image-create-via-import', '--disk-format', 'raw',
                      '--container-format', 'bare', '--name', 'direct',
                      '--import-method', 'glance-direct', '--file', str(path))
    image = wait_for(service, table['id'], ('active',))
    assert image['checksum'] == hashlib.md5(DATA).hexdigest()
    assert image['os_hash_value'] == hashlib.sha512(DATA).hexdigest()
    assert image['size'] == len(DATA)
    assert download(service, image['id']) == DATA
    assert wait_for_task(service, image['id']).status == 'success'
    assert not (service.staging / image['id']).exists()


def test_web_download_with_the_glance_cli(cli, service, http_server):  # noqa: F811 (the fixture)
    url = http_server.add_file('import/web.raw', DATA)
    table = cli.table('image-create-via-import', '--disk-format', 'raw',
                      '--container-format', 'bare', '--name', 'web',
                      '--import-method', 'web-download', '--uri', url)
    image = wait_for(service, table['id'], ('active',))
    assert download(service, image['id']) == DATA
    assert image['checksum'] == hashlib.md5(DATA).hexdigest()


def test_openstacksdk_stage_and_import(service):
    conn = sdk.connection(service.base_url, project='sdk-project')
    image = conn.image.create_image(name='sdk-import', disk_format='raw',
                                    container_format='bare')
    image.data = DATA
    conn.image.stage_image(image)
    assert conn.image.get_image(image.id).status == 'uploading'
    conn.image.import_image(image, method='glance-direct')
    assert wait_for(service, image.id, ('active',))['size'] == len(DATA)
    assert download(service, image.id) == DATA


def test_web_download_with_expected_hash_via_redirect(service, http_server):  # noqa: F811 (the fixture)
    http_server.add_file('import/hashed.raw', DATA)
    image_id = create(service).json()['id']
    answer = start_import(service, image_id, {
        'name': 'web-download', 'uri': f'{http_server.url}/redirect/import/hashed.raw',
        'expected_hash': 'sha256:' + hashlib.sha256(DATA).hexdigest()})
    assert answer.status_code == 202, answer.text
    assert wait_for(service, image_id, ('active', 'queued'))['status'] == 'active'


def qemu_img(*args):
    subprocess.run(('qemu-img',) + args, check=True, capture_output=True)


def test_qcow2_is_converted_to_raw(service, http_server, tmp_path):  # noqa: F811 (the fixture)
    source = tmp_path / 'disk.qcow2'
    raw = tmp_path / 'disk.raw'
    raw.write_bytes(DATA + b'\0' * (3 * MiB - len(DATA)))
    qemu_img('convert', '-f', 'raw', '-O', 'qcow2', str(raw), str(source))
    url = http_server.add_file('import/disk.qcow2', source.read_bytes())
    image_id = create(service, disk_format='qcow2').json()['id']
    assert start_import(service, image_id, {'name': 'web-download', 'uri': url}
                        ).status_code == 202
    image = wait_for(service, image_id, ('active', 'queued'))
    assert image['status'] == 'active', wait_for_task(service, image_id)
    expected = raw.read_bytes()
    assert image['disk_format'] == 'raw' and image['size'] == len(expected)
    assert image['checksum'] == hashlib.md5(expected).hexdigest()
    assert image['virtual_size'] == 3 * MiB
    assert download(service, image_id) == expected


def check_failed(service, image_id, reason):
    image = wait_for(service, image_id, ('queued',))
    task = wait_for_task(service, image_id)
    assert task.status == 'failure' and reason in task.message, task.message
    assert not any(p.name.startswith(image_id) for p in service.staging.iterdir())
    return image


def test_unsafe_qcow2_is_refused(service, http_server, tmp_path):  # noqa: F811 (the fixture)
    backing = tmp_path / 'secret'
    backing.write_bytes(b'secret' * 100)
    source = tmp_path / 'evil.qcow2'
    qemu_img('create', '-f', 'qcow2', '-F', 'raw', '-b', str(backing), str(source), '1M')
    # Staged: refused as a plain upload would be (415), the image still queued.
    image_id = create(service, disk_format='qcow2').json()['id']
    answer = requests.put(f'{service.base_url}/v2/images/{image_id}/stage',
                          data=source.read_bytes(), timeout=30,
                          headers=dict(ADMIN, **{'Content-Type': 'application/octet-stream'}))
    assert answer.status_code == 415 and 'backing' in answer.text
    assert show(service, image_id)['status'] == 'queued'
    assert not any(p.name.startswith(image_id) for p in service.staging.iterdir())
    # Downloaded: the task fails with the reason, before any conversion.
    url = http_server.add_file('import/evil.qcow2', source.read_bytes())
    assert start_import(service, image_id, {'name': 'web-download', 'uri': url}
                        ).status_code == 202
    check_failed(service, image_id, 'backing')


@pytest.mark.parametrize('path, reason', [
    ('/import/missing.raw', 'answered 404'),
])
def test_web_download_of_a_missing_file(service, http_server, path, reason):  # noqa: F811 (the fixture)
    image_id = create(service).json()['id']
    assert start_import(service, image_id, {'name': 'web-download',
                                            'uri': http_server.url + path}
                        ).status_code == 202
    check_failed(service, image_id, reason)


def test_web_download_to_a_link_local_address(service, http_server):  # noqa: F811 (the fixture)
    image_id = create(service).json()['id']
    uri = f'http://169.254.169.254:{http_server.port}/latest/meta-data'
    assert start_import(service, image_id, {'name': 'web-download', 'uri': uri}
                        ).status_code == 202
    check_failed(service, image_id, 'link-local')


def test_web_download_that_times_out(service, silent_server):
    image_id = create(service).json()['id']
    uri = f'http://127.0.0.1:{silent_server.port}/never'
    assert start_import(service, image_id, {'name': 'web-download', 'uri': uri}
                        ).status_code == 202
    check_failed(service, image_id, 'timed out')


def test_web_download_to_a_disallowed_port_is_refused(service):
    image_id = create(service).json()['id']
    answer = start_import(service, image_id, {'name': 'web-download',
                                              'uri': 'http://127.0.0.1:9/x'})
    assert answer.status_code == 400 and 'port 9' in answer.text
    assert show(service, image_id)['status'] == 'queued'


@pytest.fixture(scope='module')
def multi_service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('import-multi')
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, cold:file'},
        'glance_store': {'default_backend': 'fast'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast')},
        'cold': {'filesystem_store_datadir': str(workdir / 'cold')},
        'os_glance_staging_store': {'filesystem_store_datadir': str(workdir / 'staging')},
    }
    with daemons.private_service(workdir, name='sqlite', extra_api_options=options) as running:
        running.stores_dir = workdir
        yield running


def test_copy_image_to_a_second_store(multi_service):
    service = multi_service
    image_id = create(service).json()['id']
    assert requests.put(f'{service.base_url}/v2/images/{image_id}/file', data=DATA,
                        timeout=30,
                        headers=dict(ADMIN, **{'Content-Type': 'application/octet-stream'})
                        ).status_code == 204
    info = requests.get(f'{service.base_url}/v2/info/import', headers=ADMIN, timeout=30)
    assert 'copy-image' in info.json()['import-methods']['value']
    member = daemons.project_headers('admin-project')
    assert start_import(service, image_id, {'name': 'copy-image'}, headers=member,
                        stores=['cold']).status_code == 403
    answer = start_import(service, image_id, {'name': 'copy-image'}, stores=['cold'])
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + WAIT_SECONDS
    while show(service, image_id).get('stores') != 'fast,cold':
        assert time.monotonic() < deadline, show(service, image_id)
        time.sleep(0.2)
    assert (service.stores_dir / 'cold' / image_id).read_bytes() == DATA
    image = wait_for(service, image_id, ('active',))
    assert image['os_glance_failed_import'] == ''
    # The copy serves downloads once the first store's copy is removed.
    assert requests.delete(f'{service.base_url}/v2/stores/fast/{image_id}', headers=ADMIN,
                           timeout=30).status_code == 204
    assert show(service, image_id)['stores'] == 'cold'
    assert download(service, image_id) == DATA


LEASE_SECONDS = 6


@pytest.fixture(scope='module')
def killable_service(tmp_path_factory, http_server, silent_server):  # noqa: F811 (the fixture)
    """One api worker, a short task lease and a fast registry sweep."""
    workdir = tmp_path_factory.mktemp('import-kill')
    options = {
        'DEFAULT': {'node_staging_uri': 'file://%s' % (workdir / 'staging'), 'workers': '1',
                    'upload_lease_seconds': str(LEASE_SECONDS)},
        'import_filtering_opts': {
            'allowed_ports': '[%d,%d]' % (http_server.port, silent_server.port),
            'web_download_timeout': '300'},
    }
    with daemons.private_service(workdir, name='import-kill', extra_api_options=options,
                                 extra_registry_options={
                                     'DEFAULT': {'upload_sweep_interval': '1'}}) as running:
        yield running


def test_worker_killed_mid_import_leaves_importing_within_the_lease(killable_service,
                                                                    silent_server,
                                                                    http_server):  # noqa: F811
    from tests.functional import process_ids
    service = killable_service
    image_id = create(service).json()['id']
    held = len(silent_server.held)
    assert start_import(service, image_id, {
        'name': 'web-download', 'uri': f'http://127.0.0.1:{silent_server.port}/slow'}
    ).status_code == 202
    deadline = time.monotonic() + 30
    while len(silent_server.held) == held:
        assert time.monotonic() < deadline, 'the download never started'
        time.sleep(0.1)
    assert show(service, image_id)['status'] == 'importing'
    [worker] = process_ids.children(service.api.pid)
    os.kill(worker, signal.SIGKILL)
    killed = time.monotonic()
    image = wait_for(service, image_id, ('queued',))
    recovered = time.monotonic() - killed
    print(f'\nworker SIGKILL mid-import -> queued: {recovered:.2f} s')
    assert recovered < LEASE_SECONDS + 10
    task = wait_for_task(service, image_id)
    assert task.status == 'failure'
    assert 'os_glance_import_task' not in image
    # A retry (the master started a new worker) succeeds.
    url = http_server.add_file('import/retry.raw', DATA)
    deadline = time.monotonic() + 30
    while True:
        answer = start_import(service, image_id, {'name': 'web-download', 'uri': url})
        if answer.status_code == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answer.status_code == 202, answer.text
    assert wait_for(service, image_id, ('active', 'queued'))['status'] == 'active'
    assert download(service, image_id) == DATA


@pytest.fixture(scope='module')
def two_apis(tmp_path_factory):
    """Two glance-api daemons on one registry, each with a staging directory of its own;
    the second says where it is reached (worker_self_reference_url)."""
    import configparser
    workdir = tmp_path_factory.mktemp('import-two-apis')
    options = {'DEFAULT': {'node_staging_uri': 'file://%s' % (workdir / 'staging-a')}}
    with daemons.private_service(workdir, name='import-two', extra_api_options=options) as a:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(a.workdir / 'glance-api.conf')
        port = daemons.free_port()
        b_url = f'http://127.0.0.1:{port}'
        sections = {name: dict(parser[name]) for name in parser.sections()}
        sections['DEFAULT'] = dict(parser.defaults())
        sections['DEFAULT'].update({
            'bind_port': str(port), 'log_file': str(a.workdir / 'api-b.log'),
            'node_staging_uri': 'file://%s' % (workdir / 'staging-b'),
            'worker_self_reference_url': b_url})
        conf = daemons.write_conf(a.workdir / 'glance-api-b.conf', sections)
        b = daemons.Daemon('api-b', [daemons.console_script('glance-api'), '--config-file',
                                     conf], a.workdir / 'api-b.log', a.workdir).start()
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(b_url + '/versions', timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline and b.alive(), 'second glance-api'
                time.sleep(0.2)
            yield a, b_url, workdir
        finally:
            b.stop()


def test_import_on_another_api_is_proxied_to_the_one_holding_the_data(two_apis):
    a, b_url, workdir = two_apis
    image_id = create(a).json()['id']
    assert requests.put(f'{b_url}/v2/images/{image_id}/stage', data=DATA, timeout=30,
                        headers=dict(ADMIN, **{'Content-Type': 'application/octet-stream'})
                        ).status_code == 204
    assert (workdir / 'staging-b' / image_id).exists()
    # The stage host is internal: never shown.
    assert 'os_glance_stage_host' not in show(a, image_id)
    answer = start_import(a, image_id, {'name': 'glance-direct'})
    assert answer.status_code == 202, answer.text
    image = wait_for(a, image_id, ('active', 'queued'))
    assert image['status'] == 'active', wait_for_task(a, image_id)
    assert download(a, image_id) == DATA
    assert not (workdir / 'staging-b' / image_id).exists()
    assert 'Proxying the import to %s' % b_url in a.api.log_text()
