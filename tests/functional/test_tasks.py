"""The tasks API on the real daemons, driven by openstacksdk as an admin would drive it.

A legacy import task fetches its data from the loopback HTTP server (tests/store_backends.py)
and the image ends active with those bytes; a source that does not resolve, or answers 404,
fails the task with a clear message and leaves no image. An api worker SIGKILLed while it
runs a task (its source dribbles the data from a server in this test) leaves the task to the
registry's sweep: failure within the (short) lease, and the image queued again, not stuck.
So does one killed while it hashes the data of a location added by POST /locations (the
image importing under that location_import task's lock).
"""

import hashlib
import http.server
import json
import os
import signal
import threading
import time
import uuid

import openstack.exceptions
import pytest
import requests

from tests.functional import daemons
from tests.functional import process_ids
from tests.functional import sdk
from tests.functional.test_glanceclient_cli import GlanceCli
from tests.functional.test_upload_leases import _socket_inode
from tests.functional.test_upload_leases import _wait_for
from tests.store_backends import http_server  # noqa: F401 (a fixture)

LEASE_SECONDS = 6
SWEEP_SECONDS = 1
TASK_TIMEOUT = 60
MiB = 1024 * 1024


# The glance CLI cannot send identity headers: under noauth it acts as the api's default
# project, which this policy lets into the tasks API (everyone else keeps the default rule).
CLI_PROJECT = 'noauth-project'
POLICY = '"tasks_api_access": "rule:context_is_admin or project_id:%s"\n' % CLI_PROJECT


@pytest.fixture(scope='module')
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('glance-tasks')
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text(POLICY)
    with daemons.private_service(
            workdir, name='tasks',
            extra_api_options={
                'DEFAULT': {'upload_lease_seconds': LEASE_SECONDS},
                'oslo_policy': {'policy_file': str(policy_file)},
                # One task at a time per worker: a second one waits in the queue.
                'taskflow_executor': {'max_workers': 1},
                # Upstream's default allows ports 80 and 443 only; the test servers
                # listen on free ports.
                'import_filtering_opts': {'allowed_ports': '[]'},
                # The http store, for POST /v2/images/{id}/locations.
                'glance_store': {'stores': 'file,http'},
            },
            extra_registry_options={'DEFAULT': {'upload_sweep_interval': SWEEP_SECONDS}}) \
            as service:
        yield service


def admin_headers(project):
    return daemons.project_headers(project, roles='admin,member,reader')


@pytest.fixture
def project():
    return f'project-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def admin(service, project):
    conn = sdk.connection(service.base_url)
    conn.session.additional_headers = admin_headers(project)
    yield conn
    conn.close()


def import_input(url, **properties):
    return {'import_from': url, 'import_from_format': 'raw',
            'image_properties': dict({'name': 'imported', 'disk_format': 'raw',
                                      'container_format': 'bare'}, **properties)}


def finished(conn, task_id, timeout=TASK_TIMEOUT):
    """The task once it succeeded or failed."""
    deadline = time.monotonic() + timeout
    while True:
        task = conn.image.get_task(task_id)
        if task.status in ('success', 'failure'):
            return task
        assert time.monotonic() < deadline, f'task {task_id} still {task.status}'
        time.sleep(0.2)


def task_json(service, project, task_id):
    """The task as the API shows it (openstacksdk's Task has no image_id)."""
    resp = requests.get(f'{service.base_url}/v2/tasks/{task_id}',
                        headers=admin_headers(project), timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def image_status(service, project, image_id):
    resp = requests.get(f'{service.base_url}/v2/images/{image_id}',
                        headers=admin_headers(project), timeout=30)
    return resp.status_code, resp.json().get('status') if resp.ok else None


def test_a_legacy_import_task_brings_the_bytes_from_http(service, admin, project,
                                                         http_server):  # noqa: F811
    data = os.urandom(3 * MiB + 11)
    url = http_server.add_file(f'tasks/{uuid.uuid4().hex}.raw', data)
    created = admin.image.create_task(type='import', input=import_input(url, ram='1'))
    assert created.status == 'pending'
    assert created.owner_id == project

    task = finished(admin, created.id)
    assert task.status == 'success', task.message
    image_id = task.result['image_id']
    image = admin.image.get_image(image_id)
    assert (image.status, image.size, image.name) == ('active', len(data), 'imported')
    assert image.checksum == hashlib.md5(data).hexdigest()
    assert image.properties.get('ram') == '1'
    assert admin.image.download_image(image_id).content == data
    assert task.expires_at is not None

    assert created.id in [t.id for t in admin.image.tasks()]
    # The image's tasks (API 2.12), for its owner.
    listed = requests.get(f'{service.base_url}/v2/images/{image_id}/tasks',
                          headers=admin_headers(project), timeout=30).json()['tasks']
    assert [(t['id'], t['status'], t['image_id']) for t in listed] == \
        [(created.id, 'success', image_id)]


def test_a_source_that_does_not_resolve_fails_the_task(service, admin, project):
    # tempest's ImageTaskCreate.test_task_create_fake_image_location does this.
    url = f'http://{uuid.uuid4().hex}.qcow2'
    try:
        created = admin.image.create_task(type='import', input=import_input(url))
    except openstack.exceptions.BadRequestException:
        return  # refused at once: also what tempest accepts
    task = finished(admin, created.id)
    assert task.status == 'failure'
    assert task.message.startswith(f'The image data at {url} could not be fetched')
    assert task.result is None
    image_id = task_json(service, project, created.id).get('image_id')
    if image_id:
        assert image_status(service, project, image_id)[0] == 404


def test_a_404_source_fails_the_task_and_leaves_no_image(service, admin, project,
                                                         http_server):  # noqa: F811
    url = f'{http_server.url}/tasks/not-there.raw'
    task = finished(admin, admin.image.create_task(type='import',
                                                   input=import_input(url)).id)
    assert task.status == 'failure'
    assert task.message == f'The image data at {url} could not be fetched: HTTP 404 Not Found'
    image_id = task_json(service, project, task.id)['image_id']
    assert image_status(service, project, image_id)[0] == 404


def test_redirects_are_followed_up_to_a_limit(service, admin, project,
                                             http_server):  # noqa: F811
    data = os.urandom(MiB // 2)
    name = f'tasks/{uuid.uuid4().hex}.raw'
    http_server.add_file(name, data)
    task = finished(admin, admin.image.create_task(
        type='import', input=import_input(f'{http_server.url}/redirect/{name}')).id)
    assert task.status == 'success', task.message
    assert admin.image.download_image(task.result['image_id']).content == data

    loop = f'{http_server.url}/redirect-loop'
    task = finished(admin, admin.image.create_task(type='import',
                                                   input=import_input(loop)).id)
    assert (task.status, task.message) == (
        'failure', f'The image data at {loop} could not be fetched: more than 5 redirects')
    assert image_status(service, project,
                        task_json(service, project, task.id)['image_id'])[0] == 404


def test_the_glance_cli_creates_shows_and_lists_tasks(service, http_server,  # noqa: F811
                                                      tmp_path):
    cli = GlanceCli(service, tmp_path)
    data = os.urandom(MiB + 3)
    url = http_server.add_file(f'tasks/{uuid.uuid4().hex}.raw', data)
    created = cli.table('task-create', '--type', 'import', '--input',
                        json.dumps(import_input(url)))
    assert (created['type'], created['status'], created['owner']) == ('import', 'pending',
                                                                      CLI_PROJECT)
    deadline = time.monotonic() + TASK_TIMEOUT
    while (shown := cli.table('task-show', created['id']))['status'] not in ('success',
                                                                            'failure'):
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)
    assert shown['status'] == 'success', shown['message']
    image_id = json.loads(shown['result'].replace("'", '"'))['image_id']
    assert cli.table('image-show', image_id)['checksum'] == hashlib.md5(data).hexdigest()
    assert created['id'] in cli.run('task-list').stdout
    assert created['id'] in cli.run('task-list', '--status', 'success', '--sort-key', 'id',
                                    '--page-size', '1').stdout
    assert created['id'] not in cli.run('task-list', '--status', 'failure').stdout


def test_the_tasks_api_is_refused_to_a_member(service, project):
    conn = sdk.connection(service.base_url, project)
    try:
        with pytest.raises(openstack.exceptions.ForbiddenException):
            conn.image.create_task(type='import', input=import_input('http://x/y'))
        with pytest.raises(openstack.exceptions.ForbiddenException):
            list(conn.image.tasks())
    finally:
        conn.close()


class DribblingSource:
    """A loopback HTTP server whose one file arrives slowly (64 KiB every 0.1 s), noting
    the client port of each request."""

    def __init__(self, size):
        self.size = size
        self.clients = []
        self.stop = threading.Event()
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's naming)
                source.clients.append(self.client_address[1])
                self.send_response(200)
                self.send_header('Content-Length', str(source.size))
                self.end_headers()
                block = os.urandom(64 * 1024)
                sent = 0
                try:
                    while sent < source.size and not source.stop.is_set():
                        self.wfile.write(block[:source.size - sent])
                        sent += len(block)
                        time.sleep(0.1)
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/slow.raw'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def _worker_fetching(service, source):
    """The pid of the glance-api worker whose connection the source is serving."""
    server_port = source.server.server_address[1]
    inode = _socket_inode(source.clients[-1], server_port)
    for pid in process_ids.children(service.api.pid):
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                if os.readlink(f'/proc/{pid}/fd/{fd}') == f'socket:[{inode}]':
                    return pid
            except OSError:
                continue
    raise AssertionError('no glance-api worker holds the connection to the source')


def test_a_task_whose_worker_is_killed_fails_and_its_image_is_not_stuck(service, admin,
                                                                       project):
    source = DribblingSource(256 * MiB)
    try:
        created = admin.image.create_task(type='import', input=import_input(source.url))
        _wait_for(lambda: source.clients, 30, 'the task fetching its source')
        _wait_for(lambda: task_json(service, project, created.id).get('image_id'), 30,
                  'the image made')
        image_id = task_json(service, project, created.id)['image_id']
        _wait_for(lambda: image_status(service, project, image_id)[1] == 'saving', 30,
                  'the upload begun')
        worker = _worker_fetching(service, source)
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        admin.session.session.close()

        task = finished(admin, created.id, timeout=LEASE_SECONDS * 4)
        took = time.monotonic() - killed
        print(f'\nworker SIGKILL -> task failure: {took:.2f} s')
        assert task.status == 'failure'
        assert task.message == ('The glance-api worker running this task stopped before it '
                                'finished; retry the import.')
        assert took < LEASE_SECONDS + 3 * SWEEP_SECONDS + 5
        # The image is not left in saving: glance-api's master handed the upload back.
        _wait_for(lambda: image_status(service, project, image_id)[1] == 'queued', 30,
                  'the image queued again')
    finally:
        source.close()


def test_a_stopping_worker_fails_its_waiting_tasks_and_leaves_the_running_one_to_the_sweep(
        service, project):
    source = DribblingSource(256 * MiB)
    session = requests.Session()  # one kept-alive connection: one api worker
    try:
        ids = []
        for _ in range(3):
            resp = session.post(f'{service.base_url}/v2/tasks', headers=admin_headers(project),
                                json={'type': 'import', 'input': import_input(source.url)},
                                timeout=30)
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()['id'])
        _wait_for(lambda: source.clients, 30, 'the first task fetching its source')
        session.close()
        assert [task_json(service, project, i)['status'] for i in ids] == \
            ['processing', 'pending', 'pending']

        service.api.stop(grace=60)
        service.start_api()
        service.wait_for_api()

        for task_id in ids[1:]:
            task = task_json(service, project, task_id)
            assert (task['status'], task['message']) == (
                'failure', 'glance-api stopped before running this task; retry.')
        _wait_for(lambda: task_json(service, project, ids[0])['status'] == 'failure',
                  LEASE_SECONDS * 4, 'the running task failed by the sweep')
        assert task_json(service, project, ids[0])['message'].startswith(
            'The glance-api worker running this task stopped')
    finally:
        source.close()


class StallingSource:
    """A loopback HTTP server whose file never arrives whole: HEAD tells its size, GET sends
    the headers and 64 KiB, then nothing until the server closes (noting each GET's client
    port)."""

    def __init__(self, size):
        self.clients = []
        self.stop = threading.Event()
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _headers(self):
                self.send_response(200)
                self.send_header('Content-Length', str(size))
                self.end_headers()

            def do_HEAD(self):  # noqa: N802 (http.server's naming)
                self._headers()

            def do_GET(self):  # noqa: N802
                source.clients.append(self.client_address[1])
                self._headers()
                try:
                    self.wfile.write(os.urandom(64 * 1024))
                    self.wfile.flush()
                except OSError:
                    return
                source.stop.wait()

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/stalled.raw'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def image_json(service, project, image_id):
    resp = requests.get(f'{service.base_url}/v2/images/{image_id}',
                        headers=admin_headers(project), timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_location_hash_whose_worker_is_killed_leaves_the_image_queued(service, project,
                                                                       tmp_path):
    cli = GlanceCli(service, tmp_path)
    source = StallingSource(4 * MiB)
    try:
        image = cli.table('image-create', '--name', 'stalled-location', '--disk-format',
                          'raw', '--container-format', 'bare')
        cli.run('add-location', '--url', source.url, '--validation-data',
                json.dumps({'os_hash_algo': 'sha512', 'os_hash_value': 'ab' * 64}),
                image['id'])
        _wait_for(lambda: source.clients, 30, 'the hash reading the location')
        importing = image_json(service, project, image['id'])
        assert importing['status'] == 'importing'
        tasks = requests.get(f'{service.base_url}/v2/images/{image["id"]}/tasks',
                             headers=admin_headers(project), timeout=30).json()['tasks']
        assert [(t['type'], t['status']) for t in tasks] == [('location_import',
                                                               'processing')]
        assert importing['os_glance_import_task'] == tasks[0]['id']
        worker = _worker_fetching(service, source)
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()

        _wait_for(lambda: image_status(service, project, image['id'])[1] == 'queued',
                  LEASE_SECONDS * 4, 'the image queued again')
        took = time.monotonic() - killed
        print(f'\nworker SIGKILL -> location import failed, image queued: {took:.2f} s')
        assert took < LEASE_SECONDS + 3 * SWEEP_SECONDS + 5
        task = task_json(service, project, tasks[0]['id'])
        assert task['status'] == 'failure'
        assert task['message'].startswith('The glance-api worker running this task stopped')
        after = image_json(service, project, image['id'])
        assert 'os_glance_import_task' not in after
        assert (after['checksum'], after['os_hash_algo'], after['os_hash_value']) == \
            (None, None, None)
        # Queued again, it takes a location as any queued image does.
        assert cli.table('image-show', image['id'])['status'] == 'queued'
    finally:
        source.close()
