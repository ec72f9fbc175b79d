"""Image locations on the api with the real registry (in-memory transport): the legacy PATCH
of /locations ([DEFAULT] show_multiple_locations), direct_url, and the 2.17 locations API.

The web server is a store in memory (``WebStore``, the http store's driver name and
schemes), so no server starts; the real http store against a real server is the functional
tests' (tests/functional/test_image_locations.py).
"""

import dataclasses
import hashlib

import pytest

from api_service import exceptions as api_exceptions
from api_service.http import app_parts
from api_service.services import locations
from api_service.stores import base
from api_service.stores import catalog
from api_service.tasks import runner as task_runner
from api_service.wsgi import app as app_module
from common import exceptions
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB

pytestmark = pytest.mark.real_registry

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
SERVICE = {'X-User-Id': 'nova', 'X-Project-Id': 'project-a', 'X-Roles': 'member,service'}
DATA = b'location data ' * 1000
URL = 'http://images.example/one.img'
OTHER_URL = 'http://images.example/one.img#new'
MD5 = hashlib.md5(DATA).hexdigest()
SHA512 = hashlib.sha512(DATA).hexdigest()


class WebStore(base.Store):
    """Read-only data by URL, in memory (what the http store reads from a web server)."""
    driver = 'http'
    schemes = ('http', 'https')
    capabilities = base.Capability.READ | base.Capability.READ_OFFSET

    def __init__(self, pages):
        super().__init__(store_id='http')
        self.pages = pages
        self.reads = 0
        self.chunks_read = 0

    def get(self, location, offset=0, length=None):
        data = self.pages.get(location.partition('#')[0])
        if data is None:
            raise api_exceptions.StoreDataNotFound(uri=location)
        self.reads += 1
        if isinstance(data, list):
            # Served in these chunks (whole reads only), counting those read.
            return self._counted(data), sum(len(c) for c in data)
        end = len(data) if length is None else offset + length
        return iter([data[offset:end]]), len(data)

    def _counted(self, chunks):
        for chunk in chunks:
            self.chunks_read += 1
            yield chunk


class InlineRunner:
    """The TaskRunner's submit and lease, the work run at once in the caller's thread (or
    kept in ``held`` to be run by the test, when ``hold``)."""

    def __init__(self, registry, hold=False):
        self.registry, self.hold, self.held = registry, hold, []
        self.lost = False

    def check(self):
        if self.lost:
            raise task_runner.TaskLost('lost')

    def submit(self, ctx, task, work):
        if self.hold:
            self.held.append(lambda: self.run(ctx, task, work))
        else:
            self.run(ctx, task, work)

    def run(self, ctx, task, work):
        self.registry.task_claim(ctx, task_id=task['id'], holder='inline', lease_seconds=60)
        try:
            values = {'status': 'success', 'result': work(self)}
        except task_runner.TaskFailed as exc:
            values = {'status': 'failure', 'message': exc.message}
        except task_runner.TaskLost:
            return
        self.registry.task_update(ctx, task_id=task['id'], holder='inline', values=values)


@pytest.fixture
def web():
    return WebStore({URL: DATA, 'http://images.example/empty': b''})


@pytest.fixture
def runner(registry):
    return InlineRunner(registry)


@pytest.fixture
def make_client(conf, registry, web, runner):
    def make(**options):
        for name, value in dict({'show_multiple_locations': True,
                                 'show_image_direct_url': True}, **options).items():
            conf.set_override(name, value)
        files = catalog.from_config(conf)
        stores = catalog.StoreCatalog(files.all() + [web], files.default)
        app = app_module.create_app(conf, registry=registry, stores=stores)
        # The hash task runs in the request's thread here.
        rt = app.extensions[app_parts.EXTENSION_KEY]
        app.extensions[app_parts.EXTENSION_KEY] = dataclasses.replace(rt, tasks=runner)
        return app.test_client()
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def _create(client, headers=ALICE):
    response = client.post('/v2/images', headers=headers,
                           json={'name': 'by-location', 'disk_format': 'raw',
                                 'container_format': 'bare'})
    assert response.status_code == 201
    return response.get_json()


def _patch(client, image_id, ops, headers=ALICE):
    return client.patch('/v2/images/%s' % image_id, json=ops, headers=dict(headers, **PATCH))


def _add(url=URL, metadata=None, path='/locations/-', **extra):
    return [{'op': 'add', 'path': path,
             'value': dict({'url': url, 'metadata': metadata or {}}, **extra)}]


def _show(client, image_id, headers=ALICE):
    return client.get('/v2/images/%s' % image_id, headers=headers).get_json()


def test_a_queued_image_given_a_location_is_active_with_its_size(client):
    image = _create(client)
    assert image['locations'] == [] and 'direct_url' not in image
    response = _patch(client, image['id'], _add(metadata={'foo': 'bar'}))
    assert response.status_code == 200, response.get_json()
    shown = _show(client, image['id'])
    assert shown['status'] == 'active' and shown['size'] == len(DATA)
    assert shown['locations'] == [{'url': URL, 'metadata': {'foo': 'bar'}}]
    assert shown['direct_url'] == URL
    assert shown['os_hash_value'] is None and shown['checksum'] is None
    # The bytes come from the location.
    assert client.get('/v2/images/%s/file' % image['id'], headers=ALICE).data == DATA


def test_a_second_location_goes_last_and_direct_url_stays_the_first(client):
    image = _create(client)
    assert _patch(client, image['id'], _add()).status_code == 200
    response = _patch(client, image['id'], _add(OTHER_URL, {'speed': '88mph'}))
    assert response.status_code == 200
    shown = _show(client, image['id'])
    assert [loc['url'] for loc in shown['locations']] == [URL, OTHER_URL]
    assert shown['direct_url'] == URL
    # The same url and metadata again is a duplicate (400); a position past the end too.
    assert _patch(client, image['id'], _add(OTHER_URL, {'speed': '88mph'})).status_code == 400
    assert _patch(client, image['id'], _add(OTHER_URL + '2', path='/locations/9')
                  ).status_code == 400
    # Inserted at the front, it becomes direct_url.
    assert _patch(client, image['id'], _add(URL + '#front', path='/locations/0')
                  ).status_code == 200
    assert _show(client, image['id'])['direct_url'] == URL + '#front'


BAD_URLS = ('gopher://info.cern.ch', 'file:///etc/passwd', 'swift+config://ref1/container/obj',
            'http://images.example/missing', 'http://images.example/empty', '')


def test_a_location_that_cannot_be_used_is_400_and_the_image_stays_queued(client):
    image = _create(client)
    for url in BAD_URLS:
        response = _patch(client, image['id'], _add(url))
        assert response.status_code == 400, (url, response.get_json())
    shown = _show(client, image['id'])
    assert shown['status'] == 'queued' and shown['locations'] == [] and shown['size'] is None


def test_validation_data_sets_the_hashes_and_must_agree_later(client, conf):
    image = _create(client)
    data = {'checksum': MD5, 'os_hash_algo': 'sha512', 'os_hash_value': SHA512}
    assert _patch(client, image['id'], _add(validation_data=data)).status_code == 200
    shown = _show(client, image['id'])
    assert (shown['checksum'], shown['os_hash_algo'], shown['os_hash_value']) == \
        (MD5, 'sha512', SHA512)
    assert 'validation_data' not in shown['locations'][0]
    # The same values on a second location are fine; a different one is 409 each time.
    assert _patch(client, image['id'], _add(OTHER_URL, validation_data=data)
                  ).status_code == 200
    for name, value in (('checksum', '2' * 32), ('os_hash_value', 'be' * 64),
                        ('os_hash_algo', 'sha256')):
        response = _patch(client, image['id'],
                          _add(OTHER_URL + '3', validation_data=dict(data, **{name: value})))
        assert response.status_code == 409, name
    assert len(_show(client, image['id'])['locations']) == 2


def test_bad_validation_data_on_a_queued_image_is_409(client):
    image = _create(client)
    for data in ({'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 32},
                 {'os_hash_algo': 'sha512', 'os_hash_value': 'zz' * 64},
                 {'os_hash_algo': 'sha512', 'os_hash_value': 'ab' * 10}):
        assert _patch(client, image['id'], _add(validation_data=data)).status_code == 409
    assert _show(client, image['id'])['status'] == 'queued'


def test_replace_changes_metadata_only(client):
    image = _create(client)
    _patch(client, image['id'], _add())
    _patch(client, image['id'], _add(OTHER_URL, {'speed': '88mph'}))
    locs = _show(client, image['id'])['locations']
    replace = [{'op': 'replace', 'path': '/locations', 'value': locs}]
    assert _patch(client, image['id'], replace).status_code == 200
    locs[0]['metadata']['date'] = '2015-10-15'
    assert _patch(client, image['id'], replace).status_code == 200
    # Dropping a location or changing a url by replace is 400; an empty list 403.
    assert _patch(client, image['id'], [{'op': 'replace', 'path': '/locations',
                                         'value': locs[:1]}]).status_code == 400
    changed = [locs[0], dict(locs[1], url=URL + '#new3')]
    assert _patch(client, image['id'], [{'op': 'replace', 'path': '/locations',
                                         'value': changed}]).status_code == 400
    assert _patch(client, image['id'], [{'op': 'replace', 'path': '/locations',
                                         'value': []}]).status_code == 403
    assert _show(client, image['id'])['locations'] == locs


def test_replace_on_a_queued_image_sets_the_list(client):
    image = _create(client)
    response = _patch(client, image['id'], [{'op': 'replace', 'path': '/locations',
                                             'value': [{'url': URL, 'metadata': {}}]}])
    assert response.status_code == 200
    assert response.get_json()['status'] == 'active'
    assert response.get_json()['locations'] == [{'url': URL, 'metadata': {}}]


def test_remove_a_location_but_never_the_last(client):
    image = _create(client)
    remove = [{'op': 'remove', 'path': '/locations/0'}]
    # delete_image_location is the admin's by default, as upstream.
    assert _patch(client, image['id'], remove).status_code == 403
    assert _patch(client, image['id'], remove, ADMIN).status_code == 409   # queued
    _patch(client, image['id'], _add())
    assert _patch(client, image['id'], remove, ADMIN).status_code == 403   # the last one
    _patch(client, image['id'], _add(OTHER_URL))
    assert _patch(client, image['id'], [{'op': 'remove', 'path': '/locations/5'}],
                  ADMIN).status_code == 400
    assert _patch(client, image['id'], remove, ADMIN).status_code == 200
    assert _show(client, image['id'])['locations'] == [{'url': OTHER_URL, 'metadata': {}}]


def test_another_project_may_not_change_the_locations(client):
    image = _create(client)
    _patch(client, image['id'], _add())
    assert _patch(client, image['id'], _add(OTHER_URL), headers=BOB).status_code == 404
    # Made public, its locations show to everyone who sees it (as upstream).
    _patch(client, image['id'], [{'op': 'replace', 'path': '/visibility', 'value': 'public'}],
           headers=ADMIN)
    assert _show(client, image['id'], BOB)['locations'] == [{'url': URL, 'metadata': {}}]
    assert _patch(client, image['id'], _add(OTHER_URL), headers=BOB).status_code == 403


def test_the_location_quota(make_client):
    client = make_client(image_location_quota=1)
    image = _create(client)
    assert _patch(client, image['id'], _add()).status_code == 200
    assert _patch(client, image['id'], _add(OTHER_URL)).status_code == 413


def test_without_the_options_locations_are_neither_shown_nor_changed(make_client):
    client = make_client(show_multiple_locations=False, show_image_direct_url=False)
    image = _create(client)
    assert 'locations' not in image
    response = _patch(client, image['id'], _add())
    assert response.status_code == 403
    assert 'invisible' in response.get_json()['error']['message']


def test_direct_url_alone(make_client, client):
    image = _create(client)
    _patch(client, image['id'], _add())
    only_direct = make_client(show_multiple_locations=False)
    shown = _show(only_direct, image['id'])
    assert shown['direct_url'] == URL and 'locations' not in shown
    listed = only_direct.get('/v2/images', headers=ALICE).get_json()['images']
    assert [i.get('direct_url') for i in listed] == [URL]


# -- the locations API (2.17) ----------------------------------------------------------------


def _post(client, image_id, body, headers=SERVICE):
    return client.post('/v2/images/%s/locations' % image_id, json=body, headers=headers)


def test_post_with_matching_validation_data_activates_with_the_hashes(client, web):
    image = _create(client)
    response = _post(client, image['id'], {'url': URL, 'validation_data': {
        'os_hash_algo': 'sha512', 'os_hash_value': SHA512}})
    assert response.status_code == 202, response.get_json()
    shown = _show(client, image['id'])
    assert shown['status'] == 'active' and shown['size'] == len(DATA)
    assert (shown['checksum'], shown['os_hash_value']) == (MD5, SHA512)
    tasks = client.get('/v2/images/%s/tasks' % image['id'], headers=ALICE).get_json()
    assert [(t['type'], t['status']) for t in tasks['tasks']] == [
        ('location_import', 'success')]
    listed = client.get('/v2/images/%s/locations' % image['id'], headers=SERVICE)
    assert listed.status_code == 200
    assert listed.get_json() == [{'url': URL, 'metadata': {}}]
    # Only queued images take a location this way.
    assert _post(client, image['id'], {'url': OTHER_URL}).status_code == 409


def test_post_with_a_hash_that_does_not_match_queues_the_image_again(client):
    image = _create(client)
    response = _post(client, image['id'], {'url': URL, 'validation_data': {
        'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 32}})
    assert response.status_code == 202
    shown = _show(client, image['id'])
    # As upstream: no hashes, and the http location stays (glance bug 2076648).
    assert shown['status'] == 'queued' and shown['os_hash_value'] is None
    assert shown['locations'] == [{'url': URL, 'metadata': {}}]
    assert 'os_glance_import_task' not in shown
    tasks = client.get('/v2/images/%s/tasks' % image['id'], headers=ALICE).get_json()
    assert [(t['type'], t['status']) for t in tasks['tasks']] == [
        ('location_import', 'failure')]
    assert 'not matched' in tasks['tasks'][0]['message']


def test_post_without_validation_data_computes_the_hashes(client):
    image = _create(client)
    assert _post(client, image['id'], {'url': URL}).status_code == 202
    shown = _show(client, image['id'])
    assert shown['status'] == 'active'
    assert (shown['checksum'], shown['os_hash_algo'], shown['os_hash_value']) == \
        (MD5, 'sha512', SHA512)


def test_post_without_do_secure_hash_takes_the_validation_data(make_client, web):
    client = make_client(do_secure_hash=False)
    image = _create(client)
    reads = web.reads
    assert _post(client, image['id'], {'url': URL, 'validation_data': {
        'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 32}}).status_code == 202
    shown = _show(client, image['id'])
    assert shown['status'] == 'active' and shown['os_hash_value'] == 'ab' * 32
    assert web.reads == reads + 1   # the size check alone


BAD_POSTS = (
    {'url': 'gopher://x'}, {'url': 'http://images.example/missing'}, {},
    {'url': URL, 'validation_data': {'os_hash_algo': 'sha3', 'os_hash_value': 'ab'}},
    {'url': URL, 'validation_data': {'os_hash_algo': 'sha256', 'os_hash_value': 'ab'}},
    {'url': URL, 'validation_data': {'checksum': MD5}},
    {'url': URL, 'validation_data': {'os_hash_value': SHA512}},
)


def test_post_refusals_are_400_and_leave_the_image_queued(client):
    image = _create(client)
    for body in BAD_POSTS:
        assert _post(client, image['id'], body).status_code == 400, body
    assert _show(client, image['id'])['status'] == 'queued'


def test_post_by_an_ordinary_member_needs_an_http_location(client):
    image = _create(client)
    # The owner's member may add an http location (the http store is configured) ...
    assert _post(client, image['id'], {'url': URL}, headers=ALICE).status_code == 202
    # ... but not read the list, which is the service's.
    assert client.get('/v2/images/%s/locations' % image['id'],
                      headers=ALICE).status_code == 403
    other = _create(client)
    assert _post(client, other['id'], {'url': URL}, headers=BOB).status_code == 404


def test_set_all_refuses_a_list_that_changed_meanwhile(registry, client):
    image = _create(client)
    _patch(client, image['id'], _add())
    from common import context
    ctx = context.RequestContext(project_id='project-a', user_id='alice', roles=['member'])
    with pytest.raises(exceptions.Conflict):
        registry.image_location_set(ctx, image_id=image['id'], expected=[],
                                    locations=[{'url': OTHER_URL, 'metadata': {},
                                                'store_id': 'http'}])
    assert registry.image_location_list(ctx, image_ids=[image['id'], 'nope']) == {
        image['id']: [{'id': 1, 'url': URL, 'metadata': {}, 'store_id': 'http'}]}


def test_position_tokens():
    assert locations.position('-', 2, True) == 2
    assert locations.position('-', 2, False) == 1
    assert locations.position('2', 2, True) == 2
    assert locations.position('2', 2, False) is None
    assert locations.position('x', 2, True) is None
    assert locations.position('-', 0, False) is None


def test_deleting_the_image_while_its_hash_is_computed(client, monkeypatch, web, runner):
    image = _create(client)
    # The hash job finds the image gone: it stops reading, records nothing, raises nothing.
    runner.hold = True
    monkeypatch.setattr(locations, 'ALIVE_CHECK_SECONDS', 0)
    web.pages[URL] = [DATA[:100], DATA[100:]]
    assert _post(client, image['id'], {'url': URL}).status_code == 202
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    web.chunks_read = 0
    runner.held[0]()
    assert web.chunks_read == 1   # then it saw the image gone
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).status_code == 404


def test_patch_pointers_of_locations():
    from api_service.http import image_requests

    def parse(ops, show=True):
        # No schema is needed: /locations values are checked when they are applied.
        return image_requests.parse_patch(PATCH['Content-Type'], ops, None, None,
                                          show_locations=show)
    changes = parse([{'op': 'add', 'path': '/locations/-', 'value': {'url': URL}},
                     {'op': 'remove', 'path': '/locations/1'},
                     {'op': 'replace', 'path': '/locations', 'value': []}])
    assert [(c['op'], c['position']) for c in changes] == [
        ('add', '-'), ('remove', '1'), ('replace', None)]
    for bad in ({'op': 'add', 'path': '/locations', 'value': {}},
                {'op': 'replace', 'path': '/locations/0', 'value': []},
                {'op': 'remove', 'path': '/locations/0/url'},
                {'op': 'add', 'path': '/locations/-'}):
        with pytest.raises(exceptions.Invalid):
            parse([bad])
    with pytest.raises(exceptions.Forbidden):
        parse([{'op': 'remove', 'path': '/locations/0'}], show=False)


def test_an_importing_image_is_its_hash_tasks_until_the_hash_is_done(client, runner,
                                                                      registry):
    image = _create(client)
    runner.hold = True
    assert _post(client, image['id'], {'url': URL, 'validation_data': {
        'os_hash_algo': 'sha512', 'os_hash_value': SHA512}}).status_code == 202
    tasks = client.get('/v2/images/%s/tasks' % image['id'], headers=ALICE).get_json()
    (task,) = tasks['tasks']
    shown = _show(client, image['id'])
    # The import lock the registry's sweep releases if this worker dies.
    assert shown['status'] == 'importing'
    assert shown['os_glance_import_task'] == task['id']
    # A second location import waits for this one.
    assert _post(client, image['id'], {'url': OTHER_URL}).status_code == 409
    runner.held[0]()
    shown = _show(client, image['id'])
    assert shown['status'] == 'active' and 'os_glance_import_task' not in shown


def test_a_hash_whose_lease_is_lost_writes_nothing(client, runner):
    image = _create(client)
    runner.hold = True
    assert _post(client, image['id'], {'url': URL, 'validation_data': {
        'os_hash_algo': 'sha512', 'os_hash_value': SHA512}}).status_code == 202
    runner.lost = True
    runner.held[0]()
    # The sweep's to hand back (registry test); the worker leaves it as it is.
    assert _show(client, image['id'])['status'] == 'importing'
    tasks = client.get('/v2/images/%s/tasks' % image['id'], headers=ALICE).get_json()
    assert [t['status'] for t in tasks['tasks']] == ['processing']
