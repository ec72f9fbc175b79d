"""The image cache on a real glance-api (gunicorn, two workers) with the file store: the
first download fills the cache, the second comes from it (the store's file is moved away
and the bytes still come, the cache API counts the hit), ranges from the cache, a client
cut mid-download leaves no entry, pruning to image_cache_max_size, delete and deactivate
evict, and the glance cache-* commands of python-glanceclient, unmodified.

One module-wide api + registry on SQLite with a cache of CACHE_MAX bytes.
"""

import os
import pathlib
import socket
import subprocess
import time
import uuid

import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi
from tests.functional.identity_proxy import IdentityProxy

MiB = 1024 * 1024
CACHE_MAX = 5 * MiB
NODE = 'http://cache-node-a:9292'


@pytest.fixture(scope='module')
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('glance-cache')
    cache_dir = workdir / 'image-cache'
    with daemons.private_service(workdir, name='cache', extra_api_options={'DEFAULT': {
            'image_cache_dir': str(cache_dir), 'image_cache_max_size': str(CACHE_MAX),
            'worker_self_reference_url': NODE}}) as service:
        service.cache_dir = cache_dir
        yield service


@pytest.fixture
def admin(service):
    api = ImagesApi(service.base_url, 'project-%s' % uuid.uuid4().hex[:12],
                    roles='admin,member,reader')
    assert api.request('DELETE', '/v2/cache').status_code == 204
    yield api
    api.session.close()


def uploaded(api, size):
    data = os.urandom(size)
    image = api.create_ok(name='cached')
    assert api.upload(image['id'], data).status_code == 204
    return image['id'], data


def cache_state(api):
    response = api.request('GET', '/v2/cache')
    assert response.status_code == 200, response.text
    return response.json()


def cached_record(api, image_id):
    return next((c for c in cache_state(api)['cached_images'] if c['image_id'] == image_id),
                None)


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError('timed out')


def store_file(service, image_id):
    found = [p for p in pathlib.Path(service.datadir).rglob(image_id) if p.is_file()]
    assert len(found) == 1, found
    return found[0]


def test_the_second_download_comes_from_the_cache(service, admin):
    image_id, data = uploaded(admin, 2 * MiB)
    first = admin.download(image_id)
    assert first.status_code == 200 and first.content == data
    record = wait_until(lambda: cached_record(admin, image_id))
    assert record['size'] == len(data) and record['hits'] == 0
    assert (service.cache_dir / image_id).read_bytes() == data
    # The store's file moved away: only the cache can answer now.
    original = store_file(service, image_id)
    aside = original.with_name(original.name + '.aside')
    original.rename(aside)
    try:
        second = admin.download(image_id)
        assert second.status_code == 200 and second.content == data
        assert second.headers['Content-Length'] == str(len(data))
    finally:
        aside.rename(original)
    assert wait_until(lambda: cached_record(admin, image_id)['hits'] == 1)
    assert admin.request('GET', '/v2/cache/nodes/%s' % image_id).json() == [NODE]


def test_ranges_from_the_cache(service, admin):
    image_id, data = uploaded(admin, 1 * MiB + 3)
    admin.download(image_id)
    wait_until(lambda: cached_record(admin, image_id))
    part = admin.download(image_id, headers={'Range': 'bytes=1000-2999'})
    assert part.status_code == 206 and part.content == data[1000:3000]
    assert part.headers['Content-Range'] == 'bytes 1000-2999/%d' % len(data)
    tail = admin.download(image_id, headers={'Range': 'bytes=-10'})
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert admin.download(image_id, headers={'Range': 'bytes=%d-' % len(data)}
                          ).status_code == 416


def test_a_client_cut_mid_download_leaves_no_half_entry(service, admin):
    image_id, data = uploaded(admin, 4 * MiB)
    host, port = service.base_url.rsplit('/', 1)[1].split(':')
    sock = socket.create_connection((host, int(port)), timeout=10)
    headers = ''.join('%s: %s\r\n' % kv for kv in admin.session.headers.items()
                      if kv[0].startswith('X-'))
    sock.sendall(('GET /v2/images/%s/file HTTP/1.1\r\nHost: x\r\n%s\r\n'
                  % (image_id, headers)).encode())
    got = b''
    while len(got) < 64 * 1024:
        got += sock.recv(65536)
    assert got.startswith(b'HTTP/1.1 200')
    sock.close()
    incomplete = service.cache_dir / 'incomplete'
    wait_until(lambda: not any(incomplete.iterdir()))
    time.sleep(0.5)
    # The server may have read every byte into the socket's buffers before it saw the
    # client go: then the copy is complete and verified, and may stay. What never stays
    # is part of one, on disk or in the records.
    copy = service.cache_dir / image_id
    if copy.exists():
        assert copy.read_bytes() == data
        assert wait_until(lambda: cached_record(admin, image_id))['size'] == len(data)
    else:
        assert cached_record(admin, image_id) is None


def test_pruning_keeps_the_cache_under_its_size(service, admin):
    first, _ = uploaded(admin, 2 * MiB)
    second, _ = uploaded(admin, 2 * MiB)
    third, _ = uploaded(admin, 2 * MiB)
    for image_id in (first, second):
        admin.download(image_id)
        wait_until(lambda image_id=image_id: cached_record(admin, image_id))
    # Used again: the least recently used is now the second.
    admin.download(first)
    time.sleep(1.1)
    admin.download(third)
    wait_until(lambda: cached_record(admin, third))
    wait_until(lambda: cached_record(admin, second) is None)
    on_disk = [p for p in service.cache_dir.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in on_disk) <= CACHE_MAX
    assert {p.name for p in on_disk} == {first, third}
    assert admin.request('POST', '/v2/cache/prune').json() == {
        'total_files_pruned': 0, 'total_bytes_pruned': 0}


def test_delete_and_deactivate_evict(service, admin):
    image_id, data = uploaded(admin, 1 * MiB)
    admin.download(image_id)
    wait_until(lambda: cached_record(admin, image_id))
    assert admin.request('POST', '/v2/images/%s/actions/deactivate' % image_id
                         ).status_code == 204
    assert not (service.cache_dir / image_id).exists()
    assert cached_record(admin, image_id) is None
    assert admin.request('GET', '/v2/cache/nodes/%s' % image_id).json() == []
    # An admin still downloads it, from the store, and it is not cached again.
    assert admin.download(image_id).content == data
    time.sleep(0.5)
    assert not (service.cache_dir / image_id).exists()
    admin.request('POST', '/v2/images/%s/actions/reactivate' % image_id)
    admin.download(image_id)
    wait_until(lambda: cached_record(admin, image_id))
    assert admin.delete(image_id).status_code == 204
    assert not (service.cache_dir / image_id).exists()
    assert cached_record(admin, image_id) is None


def test_a_member_may_not_use_the_cache_api(service, admin):
    member = ImagesApi(service.base_url, admin.project_id)
    assert member.request('GET', '/v2/cache').status_code == 403
    assert member.request('POST', '/v2/cache/prune').status_code == 403


def _close_stdin():
    os.close(0)


def glance(proxy, token, home, *args):
    argv = [daemons.console_script('glance'), '--os-image-url', proxy.base_url,
            '--os-auth-token', token, *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['HOME'] = str(home)
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60,
                            preexec_fn=_close_stdin)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout + result.stderr


def test_glance_cache_commands(service, admin, tmp_path):
    image_id, _ = uploaded(admin, 1 * MiB)
    token = admin.project_id + '+admin'
    with IdentityProxy(service.base_url) as proxy:
        glance(proxy, token, tmp_path, 'cache-queue', image_id)
        wait_until(lambda: cached_record(admin, image_id))
        listed = glance(proxy, token, tmp_path, 'cache-list')
        assert image_id in listed and 'cached' in listed
        assert NODE in glance(proxy, token, tmp_path, 'cache-nodes-list', image_id)
        glance(proxy, token, tmp_path, 'cache-delete', image_id)
        assert cached_record(admin, image_id) is None
        glance(proxy, token, tmp_path, 'cache-queue', image_id)
        wait_until(lambda: cached_record(admin, image_id))
        glance(proxy, token, tmp_path, 'cache-clear')
        assert cache_state(admin) == {'cached_images': [], 'queued_images': []}
        glance(proxy, token, tmp_path, 'cache-prune')
        glance(proxy, token, tmp_path, 'cache-clean')
        assert image_id not in glance(proxy, token, tmp_path, 'cache-list')
