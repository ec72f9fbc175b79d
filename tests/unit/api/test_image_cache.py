"""The image cache of an api node (api_service/cache/) and the /v2/cache API, with the
FakeRegistry and the filesystem store in a temporary directory."""

import hashlib
import io
import os
import time

import pytest

from api_service.cache import disk
from api_service.cache import records
from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

OCTET = {'Content-Type': 'application/octet-stream'}
DATA = os.urandom(3 * 1024 * 1024 + 5)


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / 'cache'


@pytest.fixture
def conf(tmp_path, cache_dir):
    return make_conf(tmp_path, image_cache_dir=str(cache_dir),
                     worker_self_reference_url='http://node-a:9292')


@pytest.fixture
def rt(app):
    return app.extensions['glimpse']


@pytest.fixture
def active(client, create_image):
    image = create_image(disk_format='raw', container_format='bare')
    response = client.put('/v2/images/%s/file' % image['id'], data=DATA,
                          headers=dict(ALICE, **OCTET))
    assert response.status_code == 204
    return image['id']


def download(client, image_id, headers=ALICE, **extra):
    response = client.get('/v2/images/%s/file' % image_id, headers=dict(headers, **extra))
    response.get_data()
    # The server closes the file once it is sent (WSGI): the fill finishes there.
    response.close()
    return response


def wait_for_fill(rt, image_id):
    # The fill's writer thread publishes shortly after the download closed.
    for _ in range(500):
        if rt.cache.disk.is_cached(image_id):
            return
        time.sleep(0.01)
    raise AssertionError('not cached')


def count_store_opens(rt, monkeypatch):
    opened = []
    store_class = type(rt.stores.default)
    name = 'open_file' if hasattr(store_class, 'open_file') else 'open'
    original = getattr(store_class, name)

    def counting(self, uri, *args, **kwargs):
        opened.append(uri)
        return original(self, uri, *args, **kwargs)
    monkeypatch.setattr(store_class, name, counting)
    return opened


def test_first_download_fills_the_cache_and_the_second_is_served_from_it(
        client, rt, active, monkeypatch):
    opened = count_store_opens(rt, monkeypatch)
    first = download(client, active)
    assert first.status_code == 200 and first.data == DATA
    wait_for_fill(rt, active)
    assert len(opened) == 1
    second = download(client, active)
    assert second.status_code == 200 and second.data == DATA
    assert second.headers['Content-MD5'] == hashlib.md5(DATA).hexdigest()
    assert len(opened) == 1      # the store saw no second read
    listed = client.get('/v2/cache', headers=ADMIN).get_json()
    assert [c['image_id'] for c in listed['cached_images']] == [active]
    assert listed['cached_images'][0]['hits'] == 1
    assert listed['cached_images'][0]['size'] == len(DATA)
    assert listed['queued_images'] == []
    assert client.get('/v2/cache/nodes/%s' % active, headers=ADMIN).get_json() == [
        'http://node-a:9292']


def test_ranges_from_the_cache(client, rt, active):
    download(client, active)
    wait_for_fill(rt, active)
    part = download(client, active, Range='bytes=10-99')
    assert part.status_code == 206
    assert part.data == DATA[10:100]
    assert part.headers['Content-Range'] == 'bytes 10-99/%d' % len(DATA)
    tail = download(client, active, Range='bytes=-7')
    assert tail.data == DATA[-7:]


def test_a_ranged_download_does_not_fill_the_cache(client, rt, active):
    assert download(client, active, Range='bytes=0-9').data == DATA[:10]
    assert not rt.cache.disk.is_cached(active)
    assert os.listdir(rt.cache.disk.incomplete_path('x')[:-2]) == []


def test_a_client_gone_mid_download_leaves_no_entry(client, rt, active):
    response = client.get('/v2/images/%s/file' % active, headers=ALICE, buffered=False)
    chunks = iter(response.response)
    next(chunks)
    response.close()
    incomplete = os.path.dirname(rt.cache.disk.incomplete_path(active))
    for _ in range(300):
        if not os.listdir(incomplete):
            break
        time.sleep(0.01)
    assert os.listdir(incomplete) == []
    assert not rt.cache.disk.is_cached(active)


def test_a_copy_whose_checksum_does_not_match_is_not_published(tmp_path):
    cache = disk.DiskCache(str(tmp_path / 'c'))
    image_id = '11111111-2222-4333-8444-555555555555'
    fill = cache.start_fill(image_id, 3, hashlib.md5(b'abd').hexdigest())
    fill.feed(b'abc')
    fill.finish(complete=True)
    assert fill.wait(5) == 'removed'
    assert not cache.is_cached(image_id)
    assert os.listdir(tmp_path / 'c' / 'incomplete') == []


def test_one_fill_per_image_at_a_time(tmp_path):
    cache = disk.DiskCache(str(tmp_path / 'c'))
    image_id = '11111111-2222-4333-8444-555555555555'
    first = cache.start_fill(image_id, 3, None)
    assert cache.start_fill(image_id, 3, None) is None
    first.feed(b'abc')
    first.finish(complete=True)
    assert first.wait(5) == 'published'
    assert open(cache.path(image_id), 'rb').read() == b'abc'


def test_delete_and_deactivate_evict(client, rt, active, create_image):
    download(client, active)
    wait_for_fill(rt, active)
    assert client.post('/v2/images/%s/actions/deactivate' % active,
                       headers=ALICE).status_code == 204
    assert not rt.cache.disk.is_cached(active)
    assert client.get('/v2/cache', headers=ADMIN).get_json()['cached_images'] == []
    # An admin may still download it: from the store, and nothing is cached.
    assert download(client, active, headers=ADMIN).data == DATA
    assert not rt.cache.disk.is_cached(active)
    client.post('/v2/images/%s/actions/reactivate' % active, headers=ALICE)
    download(client, active)
    wait_for_fill(rt, active)
    assert client.delete('/v2/images/%s' % active, headers=ALICE).status_code == 204
    assert not rt.cache.disk.is_cached(active)
    assert client.get('/v2/cache', headers=ADMIN).get_json()['cached_images'] == []


def test_prune_brings_the_cache_under_its_size(client, rt, active, create_image):
    download(client, active)
    wait_for_fill(rt, active)
    rt.conf.set_override('image_cache_max_size', len(DATA) - 1)
    result = client.post('/v2/cache/prune', headers=ADMIN)
    assert result.get_json() == {'total_files_pruned': 1, 'total_bytes_pruned': len(DATA)}
    assert rt.cache.disk.total_size() == 0
    assert client.get('/v2/cache', headers=ADMIN).get_json()['cached_images'] == []


def test_queue_caches_at_once_and_clear(client, rt, active, create_image):
    assert client.put('/v2/cache/%s' % active, headers=ADMIN).status_code == 202
    wait_for_fill(rt, active)
    for _ in range(300):
        if not rt.cache.disk.queued():
            break
        time.sleep(0.01)
    state = client.get('/v2/cache', headers=ADMIN).get_json()
    assert [c['image_id'] for c in state['cached_images']] == [active]
    assert client.delete('/v2/cache', headers=dict(ADMIN, **{
        'x-image-cache-clear-target': 'invalid'})).status_code == 400
    assert client.delete('/v2/cache', headers=ADMIN).status_code == 204
    state = client.get('/v2/cache', headers=ADMIN).get_json()
    assert state == {'cached_images': [], 'queued_images': []}


def test_queue_refuses_what_is_not_active_or_missing(client, create_image):
    queued = create_image(disk_format='raw', container_format='bare')
    assert client.put('/v2/cache/%s' % queued['id'], headers=ADMIN).status_code == 400
    assert client.put('/v2/cache/non-existing-image-id', headers=ADMIN).status_code == 404


def test_delete_one_entry(client, rt, active):
    download(client, active)
    wait_for_fill(rt, active)
    assert client.delete('/v2/cache/%s' % active, headers=ADMIN).status_code == 204
    assert not rt.cache.disk.is_cached(active)
    assert client.delete('/v2/cache/%s' % active, headers=ADMIN).status_code == 204


def test_the_api_is_admin_only(client, active):
    for method, path in (('get', '/v2/cache'), ('put', '/v2/cache/' + active),
                         ('delete', '/v2/cache'), ('delete', '/v2/cache/' + active),
                         ('post', '/v2/cache/clean'), ('post', '/v2/cache/prune'),
                         ('get', '/v2/cache/nodes/' + active)):
        assert getattr(client, method)(path, headers=ALICE).status_code == 403, path


def test_clean_removes_stalled_and_invalid_entries(client, rt, active):
    download(client, active)
    wait_for_fill(rt, active)
    stalled = rt.cache.disk.incomplete_path('22222222-2222-4333-8444-555555555555')
    open(stalled, 'wb').close()
    os.utime(stalled, (1, 1))
    assert client.post('/v2/cache/clean', headers=ADMIN).status_code == 200
    assert not os.path.exists(stalled)
    assert rt.cache.disk.is_cached(active)


def test_without_a_cache_dir_the_api_is_404_and_versions_stay(tmp_path, registry):
    app = app_module.create_app(make_conf(tmp_path), registry=registry)
    client = app.test_client()
    assert client.get('/v2/cache', headers=ADMIN).status_code == 404
    ids = [v['id'] for v in client.get('/versions').get_json()['versions']]
    assert 'v2.14' not in ids


def test_versions_offer_the_cache_minors(client):
    ids = [v['id'] for v in client.get('/versions').get_json()['versions']]
    assert ids[:3] == ['v2.18', 'v2.17', 'v2.14']
    assert client.get('/v2.14/cache', headers=ADMIN).status_code == 200


def test_hits_are_sent_in_batches_not_per_download(registry):
    sent = []

    class Registry:
        def cache_record_hits(self, ctxt, *, node_reference, hits):
            sent.append(hits)
    r = records.Records(Registry(), 'http://n', lambda: None)
    r._flusher = object()   # no thread: flushed by hand
    for _ in range(5):
        r.hit('a', now=10.0)
    r.hit('b', now=11.0)
    assert sent == []
    r.flush()
    assert sent == [[['a', 5, 10.0], ['b', 1, 11.0]]]


def test_an_abandoned_fill_is_taken_over_and_cannot_publish(tmp_path, monkeypatch):
    cache = disk.DiskCache(str(tmp_path / 'c'))
    image_id = '11111111-2222-4333-8444-555555555555'
    old = cache.start_fill(image_id, 3, None)
    old.feed(b'ab')
    assert cache.start_fill(image_id, 3, None) is None
    os.utime(cache.incomplete_path(image_id), (1, 1))
    new = cache.start_fill(image_id, 3, None)
    assert new is not None
    # The old writer finishes after all: its file is no longer the incomplete one.
    old.feed(b'c')
    old.finish(complete=True)
    assert old.wait(5) == 'removed'
    assert not cache.is_cached(image_id)
    new.feed(b'xyz')
    new.finish(complete=True)
    assert new.wait(5) == 'published'
    assert open(cache.path(image_id), 'rb').read() == b'xyz'


def test_clean_records_copies_that_have_no_record(client, rt, active):
    download(client, active)
    wait_for_fill(rt, active)
    rt.cache.records.removed([active])
    assert client.get('/v2/cache', headers=ADMIN).get_json()['cached_images'] == []
    assert client.post('/v2/cache/clean', headers=ADMIN).status_code == 200
    listed = client.get('/v2/cache', headers=ADMIN).get_json()['cached_images']
    assert [c['image_id'] for c in listed] == [active]


def test_an_object_store_image_is_cached_and_then_served_with_no_store_read(
        tmp_path, registry):
    """A store without a file (Swift, S3, HTTP ...): the first download streams its chunks
    and fills the cache; the next ones, ranges included, never reach the store."""
    from api_service.stores import catalog
    from tests.unit.stores import memory_store
    store = memory_store.MemoryStore('objects', chunk_size=64 * 1024)
    conf = make_conf(tmp_path, image_cache_dir=str(tmp_path / 'cache'))
    app = app_module.create_app(conf, registry=registry,
                                stores=catalog.StoreCatalog([store], store))
    client = app.test_client()
    rt = app.extensions['glimpse']
    image = client.post('/v2/images', json={'name': 'o', 'disk_format': 'raw',
                                            'container_format': 'bare'},
                        headers=ALICE).get_json()
    assert client.put('/v2/images/%s/file' % image['id'], data=DATA,
                      headers=dict(ALICE, **OCTET)).status_code == 204
    assert download(client, image['id']).data == DATA
    wait_for_fill(rt, image['id'])
    assert len(store.gets) == 1
    assert download(client, image['id']).data == DATA
    part = download(client, image['id'], Range='bytes=100-199')
    assert part.status_code == 206 and part.data == DATA[100:200]
    assert len(store.gets) == 1


def test_a_fill_that_falls_behind_reads_the_rest_from_the_store(tmp_path, monkeypatch):
    monkeypatch.setattr(disk, 'FILL_QUEUE_CHUNKS', 1)
    cache = disk.DiskCache(str(tmp_path / 'c'))
    image_id = '11111111-2222-4333-8444-555555555555'
    data = os.urandom(200 * 1000)
    opened = []

    def reopen():
        opened.append(1)
        return io.BytesIO(data), len(data)
    fill = cache.start_fill(image_id, len(data), hashlib.md5(data).hexdigest(),
                            reopen=reopen)
    for i in range(0, len(data), 1000):
        fill.feed(data[i:i + 1000])
    fill.finish(complete=True)
    assert fill.wait(10) == 'published'
    assert opened == [1]
    assert open(cache.path(image_id), 'rb').read() == data


def test_an_image_larger_than_the_cache_is_not_cached(client, rt, active):
    rt.conf.set_override('image_cache_max_size', len(DATA) - 1)
    assert download(client, active).data == DATA
    time.sleep(0.2)
    assert not rt.cache.disk.is_cached(active)
    assert os.listdir(os.path.dirname(rt.cache.disk.incomplete_path(active))) == []


def test_an_unusable_cache_dir_stops_the_start(tmp_path, registry):
    from api_service import exceptions as api_exceptions
    (tmp_path / 'file').write_bytes(b'')
    conf = make_conf(tmp_path, image_cache_dir=str(tmp_path / 'file' / 'cache'))
    with pytest.raises(api_exceptions.ConfigurationError, match='image_cache_dir'):
        app_module.create_app(conf, registry=registry)


def test_another_cache_driver_stops_the_start(tmp_path, registry):
    from api_service import exceptions as api_exceptions
    conf = make_conf(tmp_path, image_cache_dir=str(tmp_path / 'c'), image_cache_driver='sqlite')
    with pytest.raises(api_exceptions.ConfigurationError, match='centralized_db'):
        app_module.create_app(conf, registry=registry)
