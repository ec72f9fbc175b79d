"""The loopback HTTP server the http store's tests read from: ranges, 404, redirects."""

import os

import pytest
import requests

from tools.backends import http_server as http_backend

DATA = os.urandom(1024 * 1024 + 17)


@pytest.fixture(scope='module')
def published(http_server):
    return http_server.add_file('images/one.raw', DATA)


def test_whole_file_with_length_and_accept_ranges(published):
    response = requests.get(published, timeout=10)
    assert response.status_code == 200
    assert response.headers['Accept-Ranges'] == 'bytes'
    assert int(response.headers['Content-Length']) == len(DATA)
    assert response.content == DATA


def test_head_gives_the_length_without_a_body(published):
    response = requests.head(published, timeout=10)
    assert response.status_code == 200
    assert int(response.headers['Content-Length']) == len(DATA)
    assert response.content == b''


@pytest.mark.parametrize('header, start, end', [
    ('bytes=100-199', 100, 199),
    ('bytes=1048570-', 1048570, len(DATA) - 1),
    ('bytes=-10', len(DATA) - 10, len(DATA) - 1),
    ('bytes=5-99999999', 5, len(DATA) - 1),
])
def test_a_range_is_answered_with_206(published, header, start, end):
    response = requests.get(published, headers={'Range': header}, timeout=10)
    assert response.status_code == 206
    assert response.headers['Content-Range'] == f'bytes {start}-{end}/{len(DATA)}'
    assert response.content == DATA[start:end + 1]


def test_a_range_past_the_end_is_416(published):
    response = requests.get(published, headers={'Range': f'bytes={len(DATA)}-'}, timeout=10)
    assert response.status_code == 416
    assert response.headers['Content-Range'] == f'bytes */{len(DATA)}'


def test_a_missing_path_is_404(http_server):
    assert requests.get(f'{http_server.url}/images/none.raw', timeout=10).status_code == 404
    # Nothing outside the served directory either.
    assert requests.get(f'{http_server.url}/../http-server.log', timeout=10).status_code == 404


def test_a_redirect_is_followed_to_the_file(http_server, published):
    response = requests.get(f'{http_server.url}/redirect/images/one.raw', timeout=10,
                            allow_redirects=False)
    assert response.status_code == 302
    assert response.headers['Location'] == '/images/one.raw'
    followed = requests.get(f'{http_server.url}/redirect/images/one.raw',
                            headers={'Range': 'bytes=0-9'}, timeout=10)
    assert followed.status_code == 206
    assert followed.content == DATA[:10]
    assert followed.url == published


def test_a_redirect_loop_never_ends(http_server):
    with pytest.raises(requests.TooManyRedirects):
        requests.get(f'{http_server.url}/redirect-loop', timeout=10)


def test_stop_leaves_no_process(tmp_path):
    server = http_backend.HttpServer(tmp_path)
    server.start()
    pids = list(server.pids().values())
    assert requests.get(f'{server.url}/missing', timeout=10).status_code == 404
    server.stop()
    for pid in pids:
        assert not os.path.exists(f'/proc/{pid}')
    with pytest.raises(requests.ConnectionError):
        requests.get(f'{server.url}/missing', timeout=2)
