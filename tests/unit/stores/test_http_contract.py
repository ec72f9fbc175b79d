"""The http store (read only): the read half of the store contract against the loopback HTTP
server of tools/backends/http_server.py (its request handler, in a thread of this process),
and what only this driver does: Range requests, redirects up to a limit, a server that
ignores Range, and clear errors for an unreachable, missing or broken location."""

import http.server
import pathlib
import threading
import urllib.parse

import pytest

from api_service import exceptions
from api_service.http import errors
from api_service.stores import base
from api_service.stores import http as http_store
from tests.unit.stores import contract
from tools.backends import http_server as http_backend
from tools.backends.common import free_port


class _Server:
    """The test server's handler on a free loopback port, in a thread."""

    def __init__(self, root, handler=http_backend.RangeHandler):
        self.root = pathlib.Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        handler = type('Handler', (handler,), {'root': self.root,
                                               'log_message': lambda *a: None})
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.httpd.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add_file(self, name, data):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return '%s/%s' % (self.url, urllib.parse.quote(name))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _IgnoresRange(http_backend.RangeHandler):
    def _answer(self, body):
        if 'Range' in self.headers:
            del self.headers['Range']
        return super()._answer(body)


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    running = _Server(tmp_path_factory.mktemp('http-store'))
    yield running
    running.stop()


class TestHttpStore(contract.StoreReadContract):
    @pytest.fixture
    def store(self, server):
        self.server = server
        return http_store.HttpStore(store_id='web')

    def place(self, store, image_id, data):
        return self.server.add_file('images/%s' % image_id, data)

    def missing_location(self, store):
        return '%s/images/never-there' % self.server.url


def test_a_range_is_asked_for_not_skipped_to(server, monkeypatch):
    url = server.add_file('ranged', bytes(range(256)) * 1000)
    sent = []
    real = http_store.HttpStore._request

    def spy(self, location, headers):
        sent.append(dict(headers))
        return real(self, location, headers)

    monkeypatch.setattr(http_store.HttpStore, '_request', spy)
    chunks, size = http_store.HttpStore('web').get(url, 1000, 24)
    assert size == 256000 and b''.join(chunks) == (bytes(range(256)) * 1000)[1000:1024]
    assert sent[-1]['Range'] == 'bytes=1000-1023'
    chunks, size = http_store.HttpStore('web').get(url, 255990)
    assert b''.join(chunks) == bytes(range(246, 256))
    assert sent[-1]['Range'] == 'bytes=255990-'


def test_redirects_are_followed_up_to_the_limit(server):
    url = server.add_file('target.img', b'behind a redirect')
    store = http_store.HttpStore('web')
    chunks, size = store.get('%s/redirect/target.img' % server.url, 7)
    assert size == 17 and b''.join(chunks) == b'a redirect'
    with pytest.raises(exceptions.StoreUnreachable) as caught:
        store.get('%s/redirect-loop' % server.url)
    assert 'redirects' in str(caught.value)
    assert errors.status_for(caught.value) == 503
    assert url


def test_an_unreachable_location_is_a_clear_503_not_a_500():
    store = http_store.HttpStore('web')
    url = 'http://127.0.0.1:%d/image' % free_port()
    with pytest.raises(exceptions.StoreUnreachable) as caught:
        store.get(url)
    assert url in str(caught.value)
    assert errors.status_for(caught.value) == 503


def test_a_missing_location_is_a_404(server):
    with pytest.raises(exceptions.StoreDataNotFound) as caught:
        http_store.HttpStore('web').get('%s/nothing' % server.url)
    assert errors.status_for(caught.value) == 404


def test_a_server_that_ignores_range_is_read_from_the_start(tmp_path):
    running = _Server(tmp_path / 'plain', handler=_IgnoresRange)
    try:
        data = bytes(range(256)) * 100
        url = running.add_file('whole', data)
        chunks, size = http_store.HttpStore('web').get(url, 300, 50)
        assert size == len(data) and b''.join(chunks) == data[300:350]
        chunks, size = base.read(http_store.HttpStore('web'), url, 25500)
        assert b''.join(chunks) == data[25500:]
    finally:
        running.stop()


def test_it_never_writes_nor_deletes(server):
    store = http_store.HttpStore('web')
    with pytest.raises(exceptions.StoreReadOnly) as caught:
        store.add('img', iter([b'x']))
    assert errors.status_for(caught.value) == 410
    with pytest.raises(exceptions.StoreCapabilityMissing):
        store.delete('%s/x' % server.url)


def test_certificate_checks_follow_the_options():
    assert http_store.HttpStore('web').verify is False
    assert http_store.HttpStore('web', insecure=False).verify is True
    assert http_store.HttpStore('web', ca_file='/ca.pem').verify == '/ca.pem'
