"""The swift store driver (api_service/stores/swift.py) against a real Swift: the store
contract with tempauth (auth v1) and with Keystone v3, large images as segments and a
manifest, ranges across segments, and its failures (a source that fails mid-upload, a
missing container, wrong credentials, a token that expires mid-upload)."""

import os
import threading
import time
import uuid

import pytest
import swiftclient

from api_service import exceptions
from api_service.stores import base
from api_service.stores import swift
from tests.unit.stores import contract
from tools.backends import swift_server as swift_backend

KiB = 1024


def write_reference(path, info, name='ref1', key=None):
    lines = ['[%s]' % name, 'auth_address = %s' % info['auth_url'],
             'auth_version = %s' % info['auth_version'], 'key = %s' % (key or info['key'])]
    if info['auth'] == 'keystone':
        lines += ['user = %s:%s' % (info['project'], info['user']),
                  'user_domain_name = %s' % info['user_domain_name'],
                  'project_domain_name = %s' % info['project_domain_name']]
    else:
        lines.append('user = %s' % info['user'])
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def make_store(tmp_path, info, key=None, **kwargs):
    config_file = write_reference(tmp_path / 'swift-store.conf', info, key=key)
    kwargs.setdefault('container', 'c-%s' % uuid.uuid4().hex[:10])
    kwargs.setdefault('create_container', True)
    return swift.SwiftStore(store_id='swift', reference=swift.read_reference(config_file,
                                                                             'ref1'),
                            **kwargs)


def objects(store, container=None):
    conn = store._connection()
    try:
        return [o['name'] for o in conn.get_container(container or store.container,
                                                      full_listing=True)[1]]
    except swiftclient.ClientException as exc:
        if exc.http_status == 404:
            return []
        raise
    finally:
        conn.close()


class TestSwiftTempauthSegments(contract.StoreContract):
    """Every image of unknown size goes up as 64 KiB segments and a manifest."""

    @pytest.fixture
    def store(self, tmp_path, swift_tempauth):
        return make_store(tmp_path, swift_tempauth.info, large_object_size=128 * KiB,
                          large_object_chunk_size=64 * KiB)


class TestSwiftTempauthObjects(contract.StoreContract):
    """Images of announced size under swift_store_large_object_size: one object each."""

    @pytest.fixture
    def store(self, tmp_path, swift_tempauth):
        return make_store(tmp_path, swift_tempauth.info)

    def add(self, store, image_id, data, chunk=7000):
        return store.add(image_id, contract._chunked(data, chunk), size_hint=len(data))


class TestSwiftKeystone(contract.StoreContract):
    @pytest.fixture
    def store(self, tmp_path, swift_keystone):
        return make_store(tmp_path, swift_keystone.info, large_object_size=128 * KiB,
                          large_object_chunk_size=64 * KiB)


def test_a_large_image_is_segments_and_a_dlo_manifest(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, large_object_size=MB,
                       large_object_chunk_size=MB)
    data = os.urandom(3 * MB + 5)
    added = store.add('big', contract._chunked(data, 100 * KiB), size_hint=len(data))
    assert added.url == 'swift+config://ref1/%s/big' % store.container
    assert added.size == len(data)
    assert objects(store) == ['big', 'big-00001', 'big-00002', 'big-00003', 'big-00004']
    conn = store._connection()
    headers = conn.head_object(store.container, 'big')
    assert headers['x-object-manifest'] == '%s/big-' % store.container
    conn.close()
    # Ranges across segment boundaries, read with a Range header.
    for offset, length in ((MB - 3, 10), (2 * MB, MB + 5), (0, None), (3 * MB + 4, None)):
        chunks, size = store.get(added.url, offset, length)
        end = None if length is None else offset + length
        assert size == len(data) and b''.join(chunks) == data[offset:end]
    store.delete(added.url)
    assert objects(store) == []


def test_a_failed_segmented_upload_removes_its_segments(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, large_object_size=64 * KiB,
                       large_object_chunk_size=64 * KiB)

    def chunks():
        for _ in range(5):
            yield os.urandom(50 * KiB)
        raise exceptions.ClientDisconnected()

    with pytest.raises(exceptions.ClientDisconnected):
        store.add('cut', chunks())
    assert objects(store) == []
    assert store.pending_leftovers() == []


def test_segments_an_earlier_upload_left_are_not_part_of_the_image(tmp_path,
                                                                     swift_tempauth):
    """An api worker that died mid-upload left segments 1 to 5; the next upload of the
    image writes 2 and must not serve the stale ones behind them."""
    store = make_store(tmp_path, swift_tempauth.info, large_object_size=64 * KiB,
                       large_object_chunk_size=64 * KiB)
    conn = store._connection()
    conn.put_container(store.container)
    for n in range(1, 6):
        conn.put_object(store.container, 'again-%05d' % n, b'stale' * 1000)
    conn.close()
    data = os.urandom(100 * KiB)
    added = store.add('again', contract._chunked(data, 30000))
    assert b''.join(store.get(added.url)[0]) == data
    assert objects(store) == ['again', 'again-00001', 'again-00002']


def test_containers_seed_spreads_images(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, containers_seed=2)
    added = store.add('ab1234', iter([b'data']), size_hint=4)
    assert added.url == 'swift+config://ref1/%s_ab/ab1234' % store.container
    assert b''.join(store.get(added.url)[0]) == b'data'
    store.delete(added.url)


def test_a_missing_container_without_create_on_put(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, create_container=False)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.add('img', iter([b'data']), size_hint=4)
    assert store.container in str(caught.value)
    assert 'swift_store_create_container_on_put' in str(caught.value)
    assert objects(store) == []


def test_a_missing_container_with_create_on_put(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, create_container=True)
    assert objects(store) == []
    added = store.add('img', iter([b'data']), size_hint=4)
    assert objects(store) == ['img']
    assert b''.join(store.get(added.url)[0]) == b'data'


@pytest.mark.parametrize('backend', ['swift_tempauth', 'swift_keystone'])
def test_wrong_credentials_are_a_clear_error(tmp_path, request, backend):
    info = request.getfixturevalue(backend).info
    store = make_store(tmp_path, info, key='wrong')
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.check_access()
    assert 'authentication failed' in str(caught.value)
    assert '[ref1]' in str(caught.value)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.add('img', iter([b'data']), size_hint=4)
    assert 'authentication failed' in str(caught.value)


def test_an_expiring_token_is_renewed_mid_upload(tmp_path):
    """tempauth tokens living 2 s; an upload of 8 segments paced over about 6 s."""
    server = swift_backend.SwiftServer(tmp_path / 'swift', token_life=2)
    info = server.start()
    try:
        store = make_store(tmp_path, info, large_object_size=64 * KiB,
                           large_object_chunk_size=64 * KiB)
        auths = []
        real = store._connection

        def counting():
            conn = real()
            get_auth = conn.get_auth

            def counted():
                auths.append(time.monotonic())
                return get_auth()

            conn.get_auth = counted
            return conn

        store._connection = counting
        data = os.urandom(8 * 64 * KiB)

        def slow():
            for start in range(0, len(data), 64 * KiB):
                time.sleep(0.75)
                yield data[start:start + 64 * KiB]

        added = store.add('slow', slow())
        assert len(auths) >= 3  # the token was renewed while the upload ran
        store._connection = real
        time.sleep(2.5)  # the store's token has expired: reads renew it too
        assert b''.join(store.get(added.url)[0]) == data
        store.delete(added.url)
        assert objects(store) == []
    finally:
        server.stop()


def test_reads_of_a_deleted_image_and_offsets_past_the_end(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info)
    added = store.add('img', iter([b'0123456789']), size_hint=10)
    chunks, size = store.get(added.url, 10, None)
    assert size == 10 and b''.join(chunks) == b''
    chunks, size = store.get(added.url, 3, 0)
    assert size == 10 and b''.join(chunks) == b''
    assert store.can(base.Capability.READ_OFFSET)
    store.delete(added.url)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.get(added.url)


def test_two_threads_share_the_store(tmp_path, swift_tempauth):
    store = make_store(tmp_path, swift_tempauth.info, large_object_size=64 * KiB,
                       large_object_chunk_size=64 * KiB)
    errors = []

    def work(n):
        try:
            data = os.urandom(200 * KiB + n)
            added = store.add('t%d' % n, contract._chunked(data, 30000))
            assert b''.join(store.get(added.url)[0]) == data
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


MB = 1024 * 1024


class CuttingProxy:
    """A TCP relay to Swift's proxy that closes, once, the first connection that has sent
    ``cut_after`` bytes of response: a download cut mid-body, for real."""

    def __init__(self, target_host, target_port, cut_after, cut_requests=False):
        """``cut_requests``: count (and cut) what the client sends instead."""
        import socket
        self._socket = socket
        self.target = (target_host, target_port)
        self.cut_after = cut_after
        self.cut_requests = cut_requests
        self.cuts = 0
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = self._socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, server, self.cut_requests),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, not self.cut_requests),
                             daemon=True).start()

    def _pipe(self, source, sink, counted):
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
                sent += len(data)
                if counted and self.cuts == 0 and sent >= self.cut_after:
                    self.cuts += 1
                    break
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(self._socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def stop(self):
        self._stopping = True
        self.listener.close()


@pytest.mark.parametrize('retry_get_count', [0, 2])
def test_a_download_swift_cuts_is_resumed_with_a_range(tmp_path, swift_tempauth,
                                                       retry_get_count):
    """swift_store_retry_get_count: the bytes after the cut come from a ranged GET; with 0
    the download fails (StoreUnavailable) instead of ending short."""
    info = swift_tempauth.info
    writer = make_store(tmp_path, info, large_object_size=1024 * KiB,
                        large_object_chunk_size=512 * KiB)
    data = os.urandom(3 * 1024 * KiB + 5)
    added = writer.add('cut-%s' % uuid.uuid4().hex[:6], contract._chunked(data, 65536))
    host, port = info['proxy_url'].rpartition('/')[2].split(':')
    proxy = CuttingProxy(host, int(port), cut_after=1024 * KiB)
    try:
        reader = make_store(tmp_path, info, container=writer.container,
                            endpoint=info['storage_url'].replace(
                                info['proxy_url'], 'http://127.0.0.1:%d' % proxy.port),
                            retry_get_count=retry_get_count, read_chunk_size=64 * KiB)
        chunks, size = reader.get(added.url)
        assert size == len(data)
        if retry_get_count:
            assert b''.join(chunks) == data
        else:
            with pytest.raises(exceptions.StoreUnavailable) as caught:
                b''.join(chunks)
            assert 'cut short' in str(caught.value.kwargs)
        assert proxy.cuts == 1
        # A range is resumed from where it was cut too.
        if retry_get_count:
            proxy.cuts = 0
            chunks, _ = reader.get(added.url, offset=100, length=2 * 1024 * KiB)
            assert b''.join(chunks) == data[100:100 + 2 * 1024 * KiB]
            assert proxy.cuts == 1
    finally:
        proxy.stop()
        writer.delete(added.url)


@pytest.mark.parametrize('buffered', [False, True])
def test_a_segment_put_cut_midway(tmp_path, swift_tempauth, buffered):
    """swift_buffer_on_upload: a segment whose PUT is cut is sent again from its temporary
    file and the upload succeeds; streamed, the upload fails and leaves nothing."""
    info = swift_tempauth.info
    host, port = info['proxy_url'].rpartition('/')[2].split(':')
    proxy = CuttingProxy(host, int(port), cut_after=300 * KiB, cut_requests=True)
    buffer_dir = tmp_path / 'buffer'
    buffer_dir.mkdir()
    try:
        store = make_store(tmp_path, info, large_object_size=512 * KiB,
                           large_object_chunk_size=512 * KiB,
                           endpoint=info['storage_url'].replace(
                               info['proxy_url'], 'http://127.0.0.1:%d' % proxy.port),
                           buffer_dir=str(buffer_dir) if buffered else None)
        data = os.urandom(1300 * KiB)
        if buffered:
            added = store.add('buf', contract._chunked(data, 65536))
            chunks, _ = store.get(added.url)
            assert b''.join(chunks) == data
            assert objects(store) == ['buf', 'buf-00001', 'buf-00002', 'buf-00003']
            store.delete(added.url)
        else:
            with pytest.raises(exceptions.StoreUnavailable):
                store.add('buf', contract._chunked(data, 65536))
            assert objects(store) == [] and store.pending_leftovers() == []
        assert proxy.cuts == 1
        assert os.listdir(buffer_dir) == []
    finally:
        proxy.stop()


@pytest.mark.parametrize('announced', [100 * KiB - 1, 100 * KiB + 1])
def test_an_object_of_announced_size_that_is_not_that_size(tmp_path, swift_tempauth,
                                                           announced):
    """An image under swift_store_large_object_size goes with Content-Length = the size
    announced; data of another size fails the upload and stores nothing."""
    store = make_store(tmp_path, swift_tempauth.info)
    data = os.urandom(100 * KiB)
    with pytest.raises((ValueError, exceptions.StoreUnavailable)):
        store.add('wrong-size', contract._chunked(data, 7000), size_hint=announced)
    assert objects(store) == [] and store.pending_leftovers() == []
    added = store.add('right-size', contract._chunked(data, 7000), size_hint=len(data))
    assert b''.join(store.get(added.url)[0]) == data
