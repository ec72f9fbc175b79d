"""The gunicorn worker's answer to requests gunicorn cannot parse: JSON, upstream's status.

The same through a real glance-api is in tests/functional/test_bad_input_http.py.
"""

import json
import logging
import socket

import pytest
from gunicorn.http import errors as http_errors

from api_service.http import errors
from api_service.wsgi import gunicorn_worker
from common import exceptions as common_exceptions


def parse_response(raw):
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = dict(line.split(': ', 1) for line in lines[1:])
    return lines[0], headers, body


@pytest.mark.parametrize('exc,status', [
    (http_errors.LimitRequestLine(8192, 4094), 414),
    (http_errors.LimitRequestHeaders('limit request headers fields size'), 400),
    (http_errors.LimitRequestHeaders('limit request headers fields'), 400),
    (http_errors.InvalidHeader('CONTENT-LENGTH'), 400),
    (http_errors.InvalidHeaderName('Bad Header'), 400),
    (http_errors.InvalidRequestLine('GET /\xff HTTP/1.1'), 400),
    (http_errors.InvalidHTTPVersion('HTTP/9'), 400),
    (http_errors.InvalidChunkSize(b'zz'), 400),
    (RuntimeError('a bug'), 500),
])
def test_status_follows_upstream_for_each_parse_error(exc, status):
    assert gunicorn_worker.answer_for(exc, 'req-1')[0] == status


@pytest.mark.parametrize('exc', [
    http_errors.LimitRequestLine(8192, 4094),
    http_errors.LimitRequestHeaders('limit request headers fields size'),
    http_errors.InvalidHeader('CONTENT-LENGTH'),
])
def test_a_parse_error_is_answered_through_the_one_error_table(exc):
    error = gunicorn_worker.request_error(exc)
    assert isinstance(error, common_exceptions.GlimpseError)
    assert gunicorn_worker.answer_for(exc, 'req-1') == (errors.status_for(error), error.msg)


def test_an_error_of_the_apps_own_response_headers_is_a_500():
    cls = getattr(http_errors, 'InvalidResponseHeader', None)
    if cls is None:
        pytest.skip('this gunicorn has no InvalidResponseHeader')
    assert gunicorn_worker.request_error(cls('X-Bad')) is None
    assert gunicorn_worker.answer_for(cls('X-Bad'), 'req-1') == (
        500, errors.unexpected_message('req-1'))


def test_error_response_is_json_with_a_request_id_and_closes():
    status_line, headers, body = parse_response(
        gunicorn_worker.error_response(414, 'too long', 'req-1'))
    assert status_line == 'HTTP/1.1 414 Request-URI Too Long'
    assert headers['Content-Type'] == 'application/json'
    assert headers['Connection'] == 'close'
    assert headers['x-openstack-request-id'] == 'req-1'
    assert int(headers['Content-Length']) == len(body)
    assert json.loads(body) == {'error': {'code': 414, 'title': 'Request-URI Too Long',
                                          'message': 'too long'}}


def _worker():
    # Only handle_error is exercised: no arbiter, sockets or app are needed for it.
    worker = object.__new__(gunicorn_worker.JsonErrorWorker)
    worker.log = logging.getLogger('test-worker')
    return worker


def test_handle_error_writes_the_json_answer_to_the_client():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        _worker().handle_error(None, ours, ('127.0.0.1', 5), http_errors.LimitRequestHeaders(
            'limit request headers fields size'))
        ours.shutdown(socket.SHUT_WR)
        status_line, headers, body = parse_response(theirs.recv(65536))
    assert status_line == 'HTTP/1.1 400 Bad Request'
    error = json.loads(body)['error']
    assert error['code'] == 400 and error['title'] == 'Bad Request'
    assert 'headers are too large or too many' in error['message']
    assert headers['x-openstack-request-id'].startswith('req-')


def test_handle_error_hides_the_details_of_a_server_error():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        _worker().handle_error(None, ours, None, RuntimeError('secret detail'))
        ours.shutdown(socket.SHUT_WR)
        status_line, headers, body = parse_response(theirs.recv(65536))
    assert status_line == 'HTTP/1.1 500 Internal Server Error'
    message = json.loads(body)['error']['message']
    assert 'secret' not in message
    assert headers['x-openstack-request-id'] in message
