"""An upload read straight from gunicorn's socket leaves the connection as HTTP expects.

glance-api reads a Content-Length upload with recv_into on the socket rather than through
gunicorn's buffers (api_service/services/socket_body.py). These tests show that gunicorn
stays in step: the same keep-alive connection serves the next request, and a request
pipelined right behind the body is answered.
"""

import hashlib
import http.client
import json
import os
import socket

from tests.functional import daemons

BODY = os.urandom(3 * 1024 * 1024 + 17)


def _headers(project_id, **extra):
    return {**daemons.project_headers(project_id), **extra}


def _create(conn, project_id):
    conn.request('POST', '/v2/images',
                 json.dumps({'name': 'reuse', 'disk_format': 'raw',
                             'container_format': 'bare'}),
                 _headers(project_id, **{'Content-Type': 'application/json'}))
    response = conn.getresponse()
    assert response.status == 201
    return json.loads(response.read())['id']


def _connection(service):
    return http.client.HTTPConnection('127.0.0.1', service.api_port, timeout=30)


def test_connection_serves_the_next_request_after_an_upload(sqlite_service, project_id):
    conn = _connection(sqlite_service)
    image_id = _create(conn, project_id)
    conn.request('PUT', '/v2/images/%s/file' % image_id, BODY,
                 _headers(project_id, **{'Content-Type': 'application/octet-stream'}))
    response = conn.getresponse()
    assert response.status == 204
    response.read()
    local_port = conn.sock.getsockname()[1]
    conn.request('GET', '/v2/images/%s' % image_id, headers=_headers(project_id))
    shown = conn.getresponse()
    assert shown.status == 200
    image = json.loads(shown.read())
    # Still the same TCP connection: gunicorn knew where the body ended.
    assert conn.sock.getsockname()[1] == local_port
    assert image['status'] == 'active'
    assert image['size'] == len(BODY)
    assert image['checksum'] == hashlib.md5(BODY).hexdigest()
    conn.close()


def test_connection_serves_the_next_request_after_an_upload_refused_unread(sqlite_service,
                                                                           project_id):
    conn = _connection(sqlite_service)
    conn.request('POST', '/v2/images', json.dumps({'name': 'no formats'}),
                 _headers(project_id, **{'Content-Type': 'application/json'}))
    created = conn.getresponse()
    image_id = json.loads(created.read())['id']
    # Small enough for gunicorn to drain after the answer (it closes the connection instead
    # when more than 64 KiB are left unread).
    conn.request('PUT', '/v2/images/%s/file' % image_id, BODY[:40000],
                 _headers(project_id, **{'Content-Type': 'application/octet-stream'}))
    refused = conn.getresponse()
    refused.read()
    # Refused before a byte of the body was read: gunicorn drains it, and only it.
    assert refused.status == 400
    local_port = conn.sock.getsockname()[1]
    conn.request('GET', '/v2/images/%s' % image_id, headers=_headers(project_id))
    shown = conn.getresponse()
    assert shown.status == 200
    assert json.loads(shown.read())['status'] == 'queued'
    assert conn.sock.getsockname()[1] == local_port
    conn.close()


def test_request_pipelined_behind_an_upload_body_is_answered(sqlite_service, project_id):
    setup = _connection(sqlite_service)
    image_id = _create(setup, project_id)
    setup.close()
    auth = ''.join('%s: %s\r\n' % item for item in daemons.project_headers(project_id).items())
    upload = ('PUT /v2/images/%s/file HTTP/1.1\r\nHost: glimpse\r\n%s'
              'Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n'
              % (image_id, auth, len(BODY))).encode() + BODY
    show = ('GET /v2/images/%s HTTP/1.1\r\nHost: glimpse\r\n%s\r\n'
            % (image_id, auth)).encode()
    with socket.create_connection(('127.0.0.1', sqlite_service.api_port), timeout=30) as sock:
        # One send: the second request arrives in the same segments as the body's end.
        sock.sendall(upload + show)
        responses = _read_responses(sock, 2)
    assert responses[0][0] == 204
    assert responses[1][0] == 200
    assert json.loads(responses[1][1])['checksum'] == hashlib.md5(BODY).hexdigest()


def _read_responses(sock, count):
    """[(status, body)] of the next COUNT responses on SOCK (bodies sized by Content-Length)."""
    buffered = b''
    responses = []
    while len(responses) < count:
        while b'\r\n\r\n' not in buffered:
            data = sock.recv(65536)
            assert data, 'connection closed after %d responses' % len(responses)
            buffered += data
        head, buffered = buffered.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        headers = dict(line.split(': ', 1) for line in lines[1:])
        length = int(headers.get('Content-Length', 0))
        while len(buffered) < length:
            data = sock.recv(65536)
            assert data, 'connection closed inside a response body'
            buffered += data
        responses.append((int(lines[0].split()[1]), buffered[:length]))
        buffered = buffered[length:]
    return responses


def _chunked(data, piece):
    """DATA in chunked framing, with a chunk extension and a trailer field to skip."""
    framed = b''.join(b'%x;note=glimpse\r\n%s\r\n' % (len(data[i:i + piece]), data[i:i + piece])
                      for i in range(0, len(data), piece))
    return framed + b'0\r\nX-Checksum-Trailer: ignored\r\n\r\n'


def test_chunked_upload_with_extensions_and_trailers_then_a_pipelined_request(sqlite_service,
                                                                               project_id):
    setup = _connection(sqlite_service)
    image_id = _create(setup, project_id)
    setup.close()
    auth = ''.join('%s: %s\r\n' % item for item in daemons.project_headers(project_id).items())
    upload = ('PUT /v2/images/%s/file HTTP/1.1\r\nHost: glimpse\r\n%s'
              'Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n'
              % (image_id, auth)).encode() + _chunked(BODY, 65536 + 3)
    show = ('GET /v2/images/%s HTTP/1.1\r\nHost: glimpse\r\n%s\r\n'
            % (image_id, auth)).encode()
    with socket.create_connection(('127.0.0.1', sqlite_service.api_port), timeout=30) as sock:
        sock.sendall(upload + show)
        responses = _read_responses(sock, 2)
    assert responses[0][0] == 204
    assert responses[1][0] == 200
    image = json.loads(responses[1][1])
    assert image['size'] == len(BODY)
    assert image['checksum'] == hashlib.md5(BODY).hexdigest()
