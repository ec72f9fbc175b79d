"""Bad input that only the real server sees, and input the three databases must treat alike.

Raw sockets send what HTTP clients refuse to send (oversized or malformed headers, bytes
that are not UTF-8, a chunked body cut short). gunicorn answers some of these itself; its
answers must still be the API's JSON errors. The rest of the hardening is unit-tested in
tests/unit/api/test_bad_input.py.
"""

import json
import socket
import time

import pytest

from tests.functional import raw_http
from tests.functional.http_api import ImagesApi


def _store_files(service):
    return {str(p.relative_to(service.datadir)) for p in service.datadir.rglob('*')
            if p.is_file()}


def _assert_json_error(response, status):
    code, headers, body = response
    assert code == status, body
    assert headers['content-type'] == 'application/json'
    assert headers['x-openstack-request-id'].startswith('req-')
    error = json.loads(body)['error']
    assert error['code'] == status and error['title'] and error['message']
    return error


# --- what gunicorn answers itself: JSON, upstream's status ----------------------------------

def test_a_header_over_the_size_limit_is_a_json_400(sqlite_service, project_id):
    raw = (f'GET /v2/images HTTP/1.1\r\nHost: x\r\n{raw_http.identity(project_id)}'
           f'X-Big: {"a" * 9000}\r\n\r\n').encode()
    (response,), closed = raw_http.exchange(sqlite_service, raw)
    error = _assert_json_error(response, 400)
    assert 'headers are too large' in error['message']
    assert response[1]['connection'] == 'close'


def test_too_many_headers_is_a_json_400(sqlite_service, project_id):
    many = ''.join(f'X-H{n}: v\r\n' for n in range(150))
    identity = raw_http.identity(project_id)
    raw = f'GET /v2/images HTTP/1.1\r\nHost: x\r\n{identity}{many}\r\n'.encode()
    (response,), _ = raw_http.exchange(sqlite_service, raw)
    _assert_json_error(response, 400)


def test_a_request_line_over_the_limit_is_a_json_414(sqlite_service, project_id):
    raw = (f'GET /v2/images?name={"n" * 9000} HTTP/1.1\r\nHost: x\r\n'
           f'{raw_http.identity(project_id)}\r\n').encode()
    (response,), _ = raw_http.exchange(sqlite_service, raw)
    error = _assert_json_error(response, 414)
    assert 'too long' in error['message']


@pytest.mark.parametrize('raw', [
    b'GET /v2/images HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n',
    b'GET /v2/images/\xff HTTP/1.1\r\nHost: x\r\n\r\n',
    b'POST /v2/images HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
    b'GET /v2/images HTTP/9.9\r\nHost: x\r\n\r\n',
], ids=['header-name', 'raw-non-utf8', 'content-length', 'version'])
def test_requests_gunicorn_cannot_parse_are_json_400s(sqlite_service, raw):
    (response,), _ = raw_http.exchange(sqlite_service, raw)
    _assert_json_error(response, 400)


def test_the_api_still_answers_after_refused_requests(sqlite_service, project_id):
    raw = f'GET /v2/images HTTP/1.1\r\nHost: x\r\nX-Big: {"a" * 9000}\r\n\r\n'.encode()
    for _ in range(5):
        raw_http.exchange(sqlite_service, raw)
    api = ImagesApi(sqlite_service.base_url, project_id)
    assert api.list().status_code == 200


# --- what the app answers, as it arrives through gunicorn -----------------------------------

@pytest.mark.parametrize('target', [
    '/v2/images?name=%ff', '/v2/images?name=a%00', '/v2/images/%ff',
    '/v2/images/6a0f5c0e-0000-4000-8000-000000000000/tags/a%c3',
])
def test_percent_encoded_non_utf8_or_nul_in_the_url_is_a_json_400(sqlite_service,
                                                                  project_id, target):
    method = 'PUT' if '/tags/' in target else 'GET'
    raw = (f'{method} {target} HTTP/1.1\r\nHost: x\r\n{raw_http.identity(project_id)}'
           'Content-Length: 0\r\n\r\n').encode()
    (response,), _ = raw_http.exchange(sqlite_service, raw)
    _assert_json_error(response, 400)


@pytest.mark.parametrize('method', ['GET', 'DELETE'])
def test_a_body_on_get_or_delete_is_ignored_and_keep_alive_goes_on(sqlite_service,
                                                                  project_id, method):
    api = ImagesApi(sqlite_service.base_url, project_id)
    image = api.create_ok(name='with-a-body')
    body = b'{"garbage": true, "protected": true}' * 10
    first = (f'{method} /v2/images/{image["id"]} HTTP/1.1\r\nHost: x\r\n'
             f'{raw_http.identity(project_id)}Content-Length: {len(body)}\r\n\r\n').encode() + body
    second = (f'GET /v2/images?limit=1 HTTP/1.1\r\nHost: x\r\n{raw_http.identity(project_id)}'
              '\r\n').encode()
    responses, _ = raw_http.exchange(sqlite_service, first + second, count=2)
    assert [r[0] for r in responses] == [200 if method == 'GET' else 204, 200]
    assert json.loads(responses[1][2])['schema'] == '/v2/schemas/images'


def _chunked_upload_head(service, project_id, image_id):
    return (f'PUT /v2/images/{image_id}/file HTTP/1.1\r\nHost: x\r\n{raw_http.identity(project_id)}'
            'Content-Type: application/octet-stream\r\n'
            'Transfer-Encoding: chunked\r\n\r\n').encode()


def _wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize('broken_tail', [
    b'10000\r\n' + b'b' * 1000,          # a chunk cut short, then the client leaves
    b'zz\r\nabc\r\n0\r\n\r\n',           # a chunk size that is not hex
    b'10\r\n' + b'c' * 16 + b'XX0\r\n\r\n',  # a chunk without its CRLF
], ids=['truncated', 'bad-size', 'no-terminator'])
def test_a_broken_chunked_upload_is_400_and_leaves_the_image_queued_without_data(
        sqlite_service, project_id, broken_tail):
    api = ImagesApi(sqlite_service.base_url, project_id)
    before = _store_files(sqlite_service)
    image = api.create_ok(name='chunked-broken')
    raw = (_chunked_upload_head(sqlite_service, project_id, image['id'])
           + b'8000\r\n' + b'a' * 0x8000 + b'\r\n' + broken_tail)
    with socket.create_connection(('127.0.0.1', sqlite_service.api_port),
                                  timeout=raw_http.TIMEOUT) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        responses, _ = raw_http.read_responses(sock, 1)
    assert responses, 'the api closed the connection without an answer'
    _assert_json_error(responses[0], 400)
    assert _wait_for(lambda: api.show(image['id']).json()['status'] == 'queued')
    assert _wait_for(lambda: _store_files(sqlite_service) == before)
    # Nothing of the broken upload stays in the way of a good one.
    assert api.upload(image['id'], b'x' * 1000).status_code == 204
    assert api.show(image['id']).json()['size'] == 1000


# --- the three databases take and refuse the same values ------------------------------------

def test_nul_is_refused_alike_on_every_database(images):
    for body in ({'name': 'a\x00'}, {'os_distro': '\x00'}, {'os_\x00': 'v'},
                 {'tags': ['\x00']}):
        response = images.create(**body)
        assert response.status_code == 400, (body, response.text)
    image = images.create_ok(name='clean')
    response = images.patch(image['id'], [{'op': 'add', 'path': '/p', 'value': 'a\x00b'}])
    assert response.status_code == 400
    assert images.request('PUT', f'/v2/images/{image["id"]}/tags/a%00').status_code == 400
    response = images.request('POST', f'/v2/images/{image["id"]}/members',
                              json={'member': 'p\x00'})
    assert response.status_code == 400
    for params in ({'name': 'a\x00'}, {'os_distro': '\x00'}, {'tag': '\x00'},
                   {'marker': '\x00'}):
        assert images.list(**params).status_code == 400, params
    # Public images of other tests may be listed too: only this project's own count.
    mine = images.list(owner=images.project_id).json()['images']
    assert [i['name'] for i in mine] == ['clean']


def test_limits_are_the_same_on_every_database(images):
    emoji = '\U0001F600'
    image = images.create_ok(name=emoji * 255, min_ram=2 ** 31 - 1, min_disk=2 ** 31 - 1,
                             tags=[emoji * 255], **{'p' * 255: 'v' * 65535,
                                                    'utf8': '\u00e9' * 32767})
    shown = images.show(image['id']).json()
    assert shown['name'] == emoji * 255 and shown['tags'] == [emoji * 255]
    assert shown['p' * 255] == 'v' * 65535 and shown['utf8'] == '\u00e9' * 32767
    assert shown['min_ram'] == 2 ** 31 - 1
    for body in ({'name': 'n' * 256}, {'min_ram': 2 ** 31}, {'p' * 256: 'v'},
                 {'blob': 'v' * 65536}, {'utf8': '\u00e9' * 32768}, {'tags': ['t' * 256]}):
        response = images.create(**body)
        assert response.status_code == 400, (list(body), response.text)
    for params in ({'size_min': str(2 ** 63)}, {'created_at': 'gt:9999-12-31T23:59:59-10:00'},
                   {'name': '\udcff'.encode('utf-8', 'surrogatepass')}):
        assert images.list(**params).status_code == 400, params
    assert images.list(size_max=str(2 ** 63 - 1)).status_code == 200


def test_an_image_id_that_is_not_a_uuid_is_404_on_every_database(images):
    for path in ('/v2/images/not-a-uuid', '/v2/images/' + 'x' * 300 + '/members',
                 '/v2/images/%C3%A9/file'):
        response = images.request('GET', path)
        assert response.status_code == 404, path
        assert response.json()['error']['code'] == 404
