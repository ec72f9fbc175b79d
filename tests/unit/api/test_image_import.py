"""Interoperable image import through the app: discovery, stage, import (glance-direct,
web-download, copy-image), their refusals, and what a failed import leaves (nothing).

The registry is the real one over the in-memory transport; the task's work runs inline at
submit (InlineRunner), so a test sees its outcome at once without waiting on a pool. A
web-download is answered by a requests adapter (no socket), resolving names to
addresses the test picks.
"""

import hashlib
import io

import pytest
import requests

from api_service import config as api_config
from api_service.http.views import imports as import_views
from api_service.imports import runtime
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

pytestmark = pytest.mark.real_registry

RAW = {'disk_format': 'raw', 'container_format': 'bare'}
OCTET = {'Content-Type': 'application/octet-stream'}
DATA = b'glimpse import data ' * 1000


class InlineRunner:
    """The TaskRunner's submit, run at once in the caller's thread."""

    def __init__(self, registry):
        self.registry = registry
        self.failures = []

    def submit(self, ctx, task, work):
        from api_service.tasks import runner
        self.registry.task_claim(ctx, task_id=task['id'], holder='inline', lease_seconds=60)
        try:
            result = work(None)
        except runner.TaskFailed as exc:
            self.failures.append(exc.message)
            self.registry.task_update(ctx, task_id=task['id'], holder='inline',
                                      values={'status': 'failure', 'message': exc.message})
            return
        self.registry.task_update(ctx, task_id=task['id'], holder='inline',
                                  values={'status': 'success', 'result': result})


class FakeWeb(requests.adapters.BaseAdapter):
    """Answers web-download's requests from a dict url -> (status, headers, body)."""

    def __init__(self, pages):
        super().__init__()
        self.pages = pages
        self.asked = []

    def send(self, request, **kwargs):
        self.asked.append(request.url)
        status, headers, body = self.pages.get(request.url, (404, {}, b'missing'))
        response = requests.Response()
        response.status_code, response.url = status, request.url
        response.request = request
        response.headers.update(headers)
        response.raw = io.BytesIO(body)
        response.reason = 'OK' if status == 200 else 'Status %d' % status
        return response

    def close(self):
        pass


@pytest.fixture
def staging_dir(tmp_path):
    return tmp_path / 'staging'


@pytest.fixture
def conf(tmp_path, staging_dir):
    return make_conf(tmp_path, node_staging_uri='file://%s' % staging_dir)


@pytest.fixture
def inline(app, registry):
    runner = InlineRunner(registry)
    with app.app_context():
        parts = import_views.parts()
    parts.runner = runner
    parts.resolver = lambda host, port: {'images.example': ['203.0.113.5'],
                                         'meta.example': ['169.254.169.254']}.get(host, [])
    return runner


@pytest.fixture
def web(monkeypatch):
    fake = FakeWeb({})
    session_init = requests.Session.__init__

    def init(self):
        session_init(self)
        self.mount('http://', fake)
        self.mount('https://', fake)
    monkeypatch.setattr(requests.Session, 'init_for_test', None, raising=False)
    monkeypatch.setattr(requests.Session, '__init__', init)
    return fake


def stage(client, image_id, data=DATA, headers=ALICE):
    return client.put('/v2/images/%s/stage' % image_id, data=data,
                      headers=dict(headers, **OCTET))


def do_import(client, image_id, body, headers=ALICE):
    return client.post('/v2/images/%s/import' % image_id, json=body, headers=headers)


def show(client, image_id, headers=ALICE):
    return client.get('/v2/images/%s' % image_id, headers=headers).get_json()


def download(client, image_id):
    return client.get('/v2/images/%s/file' % image_id, headers=ALICE).data


def tasks_of(registry, image_id):
    from common import context
    admin = context.RequestContext(project_id='admin-project', roles=['admin'],
                                   is_admin=True)
    return registry.image_task_list(admin, image_id=image_id)


def test_import_info_and_the_create_header(client):
    answer = client.get('/v2/info/import', headers=ALICE).get_json()
    # copy-image needs several stores: a single-store api does not offer it.
    assert answer == {'import-methods': {'description': 'Import methods available.',
                                         'type': 'array',
                                         'value': ['glance-direct', 'web-download']}}
    created = client.post('/v2/images', json=dict(RAW, name='x'), headers=ALICE)
    assert created.headers['OpenStack-image-import-methods'] == 'glance-direct,web-download'


def test_glance_direct_stage_then_import(client, create_image, inline, registry, staging_dir):
    image = create_image(**RAW)
    assert stage(client, image['id']).status_code == 204
    staged = show(client, image['id'])
    assert staged['status'] == 'uploading' and staged['size'] == len(DATA)
    assert (staging_dir / image['id']).read_bytes() == DATA
    assert do_import(client, image['id'], {'method': {'name': 'glance-direct'}}
                     ).status_code == 202
    active = show(client, image['id'])
    assert active['status'] == 'active', inline.failures
    assert active['checksum'] == hashlib.md5(DATA).hexdigest()
    assert active['os_hash_value'] == hashlib.sha512(DATA).hexdigest()
    # As the stage's inspection found it, as an upload's would be.
    assert active['virtual_size'] == len(DATA)
    assert 'os_glance_import_task' not in active
    assert download(client, active['id']) == DATA
    # The staged data is gone once imported.
    assert not (staging_dir / image['id']).exists()
    [task] = tasks_of(registry, image['id'])
    assert task['status'] == 'success' and task['type'] == 'api_image_import'


def test_stage_refusals_leave_the_image_queued_and_nothing_staged(client, create_image,
                                                                  inline, staging_dir):
    image = create_image(**RAW)
    # Not a qcow2: the format inspection refuses it, as a plain upload.
    bad = create_image(disk_format='qcow2', container_format='bare')
    assert stage(client, bad['id']).status_code == 415
    assert show(client, bad['id'])['status'] == 'queued'
    assert not (staging_dir / bad['id']).exists()
    assert client.put('/v2/images/%s/stage' % image['id'], data=DATA,
                      headers=dict(ALICE, **{'Content-Type': 'text/plain'})).status_code == 415
    assert stage(client, image['id']).status_code == 204
    # Staged already: a second stage is a conflict.
    assert stage(client, image['id']).status_code == 409


def test_import_refusals(client, create_image, inline):
    image = create_image(**RAW)
    answer = do_import(client, image['id'], {'method': {'name': 'glance-direct'}})
    assert answer.status_code == 409
    assert 'staged' in answer.get_json()['message'] if 'message' in answer.get_json() \
        else True
    assert do_import(client, image['id'], {'method': {'name': 'nope'}}).status_code == 400
    assert do_import(client, image['id'], {}).status_code == 400
    assert do_import(client, image['id'], {'method': {'name': 'web-download',
                                                      'uri': 'ftp://x/y'}}
                     ).status_code == 400
    assert do_import(client, image['id'], {
        'method': {'name': 'web-download', 'uri': 'http://images.example/a'},
        'all_stores_must_succeed': False}).status_code == 400
    assert show(client, image['id'])['status'] == 'queued'


def test_web_download_with_expected_hash(client, create_image, inline, web):
    web.pages['http://images.example/start'] = (302, {'Location': '/img.raw'}, b'')
    web.pages['http://images.example/img.raw'] = (200, {}, DATA)
    image = create_image(**RAW)
    digest = hashlib.sha256(DATA).hexdigest()
    assert do_import(client, image['id'], {'method': {
        'name': 'web-download', 'uri': 'http://images.example/start',
        'expected_hash': 'sha256:' + digest}}).status_code == 202
    active = show(client, image['id'])
    assert active['status'] == 'active', inline.failures
    assert download(client, image['id']) == DATA


@pytest.mark.parametrize('uri, page, reason', [
    ('http://images.example/404', None, 'answered 404'),
    ('http://meta.example/latest', (200, {}, DATA), 'link-local'),
    ('http://images.example/hash', (200, {}, DATA), 'expected hash'),
    ('http://images.example/bounce', (302, {'Location': 'http://169.254.169.254/x'}, b''),
     'link-local'),
])
def test_web_download_failures_queue_the_image(client, create_image, inline, web, registry,
                                               staging_dir, uri, page, reason):
    if page is not None:
        web.pages[uri] = page
    image = create_image(**RAW)
    body = {'method': {'name': 'web-download', 'uri': uri}}
    if 'hash' in uri:
        body['method']['expected_hash'] = 'sha256:' + '0' * 64
    assert do_import(client, image['id'], body).status_code == 202
    after = show(client, image['id'])
    assert after['status'] == 'queued'
    assert 'os_glance_import_task' not in after
    [message] = inline.failures
    assert reason in message
    [task] = tasks_of(registry, image['id'])
    assert task['status'] == 'failure' and reason in task['message']
    assert list(staging_dir.iterdir()) == []


def test_a_port_outside_allowed_ports_is_400(client, create_image, inline):
    image = create_image(**RAW)
    answer = do_import(client, image['id'], {'method': {
        'name': 'web-download', 'uri': 'http://images.example:8080/x'}})
    assert answer.status_code == 400
    assert 'port 8080' in answer.get_data(as_text=True)


def test_a_lock_held_by_a_live_task_is_409(client, create_image, inline, registry):
    image = create_image(**RAW)
    stage(client, image['id'])
    from common import context
    alice = context.RequestContext(project_id='project-a', user_id='alice',
                                   roles=['member'])
    task = registry.task_create(alice, values={'type': 'api_image_import', 'input': {},
                                               'image_id': image['id']})
    registry.begin_import(alice, image_id=image['id'], task_id=task['id'],
                          import_method='glance-direct', stores=[])
    # No end_import: the lock stays, the image importing under ``task``.
    answer = do_import(client, image['id'], {'method': {'name': 'glance-direct'}})
    assert answer.status_code == 409


def multi_conf(tmp_path):
    conf = make_conf(tmp_path)
    conf.set_override('enabled_backends', {'fast': 'file', 'cold': 'file'})
    api_config.register_backend_opts(conf)
    conf.set_override('default_backend', 'fast', group='glance_store')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'fast'), group='fast')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'cold'), group='cold')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'staging'),
                      group='os_glance_staging_store')
    return conf


class TestSeveralStores:
    @pytest.fixture
    def conf(self, tmp_path):
        return multi_conf(tmp_path)

    def test_copy_image_to_a_second_store(self, client, create_image, inline, tmp_path):
        assert 'copy-image' in client.get('/v2/info/import', headers=ALICE).get_json()[
            'import-methods']['value']
        image = create_image(**RAW)
        assert client.put('/v2/images/%s/file' % image['id'], data=DATA,
                          headers=dict(ALICE, **OCTET)).status_code == 204
        body = {'method': {'name': 'copy-image'}, 'stores': ['cold']}
        # copy_image is admin only by default.
        assert do_import(client, image['id'], body).status_code == 403
        assert do_import(client, image['id'], body, headers=ADMIN).status_code == 202
        copied = show(client, image['id'])
        assert copied['stores'] == 'fast,cold', inline.failures
        assert (tmp_path / 'cold' / image['id']).read_bytes() == DATA
        # Already there: 400; all_stores with nothing left to do: 202 and no task.
        assert do_import(client, image['id'], body, headers=ADMIN).status_code == 400
        assert do_import(client, image['id'], {'method': {'name': 'copy-image'},
                                               'all_stores': True},
                         headers=ADMIN).status_code == 202
        assert do_import(client, image['id'], {'method': {'name': 'copy-image'},
                                               'stores': ['nope']},
                         headers=ADMIN).status_code == 409

    def test_glance_direct_into_two_stores(self, client, create_image, inline, tmp_path):
        image = create_image(**RAW)
        assert stage(client, image['id']).status_code == 204
        assert (tmp_path / 'staging' / image['id']).exists()
        assert do_import(client, image['id'], {'method': {'name': 'glance-direct'},
                                               'stores': ['fast', 'cold']}
                         ).status_code == 202
        active = show(client, image['id'])
        assert active['status'] == 'active' and active['stores'] == 'fast,cold'
        assert active['os_glance_importing_to_stores'] == ''
        assert active['os_glance_failed_import'] == ''


def test_unknown_plugin_stops_the_start(tmp_path, registry):
    from api_service import exceptions
    from api_service.wsgi import app as app_module
    conf = make_conf(tmp_path, image_import_opts__image_import_plugins=['nope'])
    with pytest.raises(exceptions.ConfigurationError, match='image_import_plugins'):
        app_module.create_app(conf, registry=registry)
    conf = make_conf(tmp_path, node_staging_uri='http://x/')
    with pytest.raises(exceptions.ConfigurationError, match='node_staging_uri'):
        app_module.create_app(conf, registry=registry)


def test_runtime_offers_copy_image_only_with_several_stores(tmp_path):
    class Rt:
        registry = stores = tasks = notifier = None
    Rt.conf = make_conf(tmp_path, node_staging_uri='file://%s' % (tmp_path / 's'))
    assert runtime.ImportParts(Rt).methods() == ['glance-direct', 'web-download']


def test_staging_sweeper_removes_only_what_no_import_waits_for(conf, registry, create_image,
                                                               client, staging_dir):
    from api_service.imports import staging as staging_mod
    from api_service.imports import staging_sweeper
    waiting = create_image(**RAW)
    assert stage(client, waiting['id']).status_code == 204
    orphan = create_image(**RAW)
    (staging_dir / orphan['id']).write_bytes(b'left by a crash')
    (staging_dir / (orphan['id'] + '.raw')).write_bytes(b'a plugin output')
    (staging_dir / 'not-an-image').write_bytes(b'x')
    sweeper = staging_sweeper.StagingSweeper(staging_mod.Staging(conf), registry,
                                             min_age=0, interval=60)
    assert sorted(sweeper.sweep_once()) == sorted([orphan['id'], 'not-an-image'])
    assert sorted(p.name for p in staging_dir.iterdir()) == [waiting['id']]
    # Too young: a file written a moment ago is left for the next sweep.
    (staging_dir / orphan['id']).write_bytes(b'just written')
    young = staging_sweeper.StagingSweeper(staging_mod.Staging(conf), registry,
                                           min_age=3600, interval=60)
    assert young.sweep_once() == []


def test_deleting_a_staged_image_removes_its_staged_data(client, create_image, inline,
                                                          staging_dir):
    image = create_image(**RAW)
    assert stage(client, image['id']).status_code == 204
    assert (staging_dir / image['id']).exists()
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert not (staging_dir / image['id']).exists()


def test_glance_image_import_conf_is_read_before_glance_api_conf(tmp_path, monkeypatch):
    (tmp_path / 'glance-image-import.conf').write_text(
        '[image_import_opts]\nimage_import_plugins = [no_op]\n'
        '[image_conversion]\noutput_format = qcow2\n')
    (tmp_path / 'glance-api.conf').write_text('[image_conversion]\noutput_format = vmdk\n')
    monkeypatch.delenv('GLANCE_API_CONFIG_FILE', raising=False)
    monkeypatch.setenv('OS_GLANCE_CONFIG_DIR', str(tmp_path))
    assert api_config.default_config_files() == [str(tmp_path / 'glance-image-import.conf'),
                                                 str(tmp_path / 'glance-api.conf')]
    conf = api_config.load([])
    assert conf.image_import_opts.image_import_plugins == ['no_op']
    assert conf.image_conversion.output_format == 'vmdk'


def test_an_image_id_with_a_newline_is_404_not_405(client):
    # Found by schemathesis on PUT /stage: such a path was taken for one naming no version.
    answer = client.put('/v2/images/abc%0A/stage', data=b'x', headers=dict(ALICE, **OCTET))
    assert answer.status_code == 404
    assert client.post('/v2/images/abc%0A/import', json={'method': {'name': 'glance-direct'}},
                       headers=ALICE).status_code == 404


def test_import_notifications(conf, registry, create_image, staging_dir):
    from api_service.wsgi import app as app_module
    from common import notifications
    from tests.unit.test_notifications import Recorder
    recorder = Recorder()
    notifier = notifications.Notifier(recorder)
    app = app_module.create_app(conf, registry=registry, notifier=notifier)
    client = app.test_client()
    runner = InlineRunner(registry)
    with app.app_context():
        import_views.parts().runner = runner
    image = client.post('/v2/images', json=dict(RAW, name='n'), headers=ALICE).get_json()
    assert stage(client, image['id']).status_code == 204
    assert do_import(client, image['id'], {'method': {'name': 'glance-direct'}}
                     ).status_code == 202
    assert notifier.flush(5)
    sent = [(event, payload) for _, event, payload in recorder.sent]
    events = [event for event, _ in sent]
    assert events[-4:] == ['image.prepare', 'image.upload', 'image.activate', 'image.update']
    prepare = dict(sent)['image.prepare']
    assert prepare['os_glance_importing_to_stores'] == []
    assert dict(sent)['image.activate']['status'] == 'active'
    notifier.close()


def test_a_lost_task_lease_stops_the_import_and_leaves_the_image_to_the_sweep(
        client, create_image, registry, staging_dir, app):
    from api_service.tasks import runner

    class LostHandle:
        def check(self):
            raise runner.TaskLost('lost')

    class LosingRunner:
        raised = None

        def submit(self, ctx, task, work):
            try:
                work(LostHandle())
            except runner.TaskLost as exc:
                LosingRunner.raised = exc

    with app.app_context():
        import_views.parts().runner = LosingRunner()
    image = create_image(**RAW)
    assert stage(client, image['id']).status_code == 204
    assert do_import(client, image['id'], {'method': {'name': 'glance-direct'}}
                     ).status_code == 202
    assert isinstance(LosingRunner.raised, runner.TaskLost)
    # Nothing was written to a store; the staged data is gone; the image is the sweep's.
    assert show(client, image['id'])['status'] == 'importing'
    assert not (staging_dir / image['id']).exists()
