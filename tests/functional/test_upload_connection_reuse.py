"""An upload read straight from gunicorn's socket leaves the connection as HTTP expects.

glance-api reads a Content-Length upload with recv_into on the socket rather than through
gunicorn's buffers (api_service/wsgi/socket_body.py). These tests show that gunicorn
stays in step: the same keep-alive connection serves the next request, and a request
pipelined right behind the body is answered.
"""

import hashlib
import http.client
import json
import os

from tests.functional import daemons
from tests.functional import raw_http

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


def _upload_then_show(service, project_id, framing, body):
    """PUT ``body`` (after the ``framing`` header line) and a GET of the image, in one send:
    the GET arrives in the same segments as the body's end. -> the two responses."""
    setup = _connection(service)
    image_id = _create(setup, project_id)
    setup.close()
    identity = raw_http.identity(project_id)
    upload = (f'PUT /v2/images/{image_id}/file HTTP/1.1\r\nHost: glimpse\r\n{identity}'
              f'Content-Type: application/octet-stream\r\n{framing}\r\n\r\n').encode() + body
    show = f'GET /v2/images/{image_id} HTTP/1.1\r\nHost: glimpse\r\n{identity}\r\n'.encode()
    responses, _ = raw_http.exchange(service, upload + show, count=2, timeout=30)
    return responses


def test_request_pipelined_behind_an_upload_body_is_answered(sqlite_service, project_id):
    responses = _upload_then_show(sqlite_service, project_id,
                                  'Content-Length: %d' % len(BODY), BODY)
    assert responses[0][0] == 204
    assert responses[1][0] == 200
    assert json.loads(responses[1][2])['checksum'] == hashlib.md5(BODY).hexdigest()


def test_chunked_upload_with_extensions_and_trailers_then_a_pipelined_request(sqlite_service,
                                                                               project_id):
    body = raw_http.chunked(BODY, 65536 + 3, trailer=b'X-Checksum-Trailer: ignored\r\n')
    responses = _upload_then_show(sqlite_service, project_id, 'Transfer-Encoding: chunked',
                                  body)
    assert responses[0][0] == 204
    assert responses[1][0] == 200
    image = json.loads(responses[1][2])
    assert image['size'] == len(BODY)
    assert image['checksum'] == hashlib.md5(BODY).hexdigest()
