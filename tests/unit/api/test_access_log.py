"""glance-api's access log: one line per request, after the response, with the request id."""

import logging

from werkzeug import test as werkzeug_test
from werkzeug.wrappers import Response

from api_service.wsgi.middleware import access_log
from api_service.wsgi.middleware import request_id


def _app(environ, start_response):
    if environ['PATH_INFO'] == '/boom':
        raise RuntimeError('boom')
    status = '204 No Content' if environ['PATH_INFO'] == '/empty' else '200 OK'
    body = b'' if status.startswith('204') else b'x' * 1234
    return Response(body, status=status)(environ, start_response)


def _client(max_id_length=64):
    app = access_log.AccessLogMiddleware(request_id.RequestIdMiddleware(_app, max_id_length))
    return werkzeug_test.Client(app)


def _lines(caplog):
    return [r for r in caplog.records if r.name == access_log.__name__]


def test_one_line_per_request_with_status_length_and_request_id(caplog):
    with caplog.at_level(logging.INFO, logger=access_log.__name__):
        response = _client().get('/v2/images?limit=1',
                                 headers={'X-Openstack-Request-Id': 'req-abc'})
        response.close()
    [record] = _lines(caplog)
    message = record.getMessage()
    assert '"GET /v2/images?limit=1 HTTP/1.1" 200 1234 ' in message
    assert record.context.request_id == 'req-abc'


def test_refusals_of_the_middleware_are_logged_too(caplog):
    with caplog.at_level(logging.INFO, logger=access_log.__name__):
        _client(max_id_length=3).get('/v2/images',
                                     headers={'X-Openstack-Request-Id': 'req-too-long'}).close()
    [record] = _lines(caplog)
    assert '" 431 ' in record.getMessage()
    assert record.context.request_id.startswith('req-')


def test_204(caplog):
    with caplog.at_level(logging.INFO, logger=access_log.__name__):
        _client().delete('/empty').close()
    [record] = _lines(caplog)
    assert '"DELETE /empty HTTP/1.1" 204 0 ' in record.getMessage()


def test_an_exception_is_logged_as_500_and_raised(caplog):
    with caplog.at_level(logging.INFO, logger=access_log.__name__):
        try:
            _client().get('/boom')
        except RuntimeError:
            pass
        else:
            raise AssertionError('the exception was swallowed')
    [record] = _lines(caplog)
    assert '" 500 0 ' in record.getMessage()


def test_file_wrapper_bodies_are_returned_as_they_are(caplog):
    class FileWrapper:
        def __init__(self, f, block_size=8192):
            self.closed = False

        def __iter__(self):
            return iter([b'abc'])

        def close(self):
            self.closed = True

    wrapped = FileWrapper(None)

    def app(environ, start_response):
        start_response('200 OK', [('Content-Length', '3')])
        return wrapped

    middleware = access_log.AccessLogMiddleware(app)
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/f', 'SERVER_PROTOCOL': 'HTTP/1.1',
               'wsgi.file_wrapper': FileWrapper}
    with caplog.at_level(logging.INFO, logger=access_log.__name__):
        body = middleware(environ, lambda status, headers, exc_info=None: None)
        assert body is wrapped
        assert _lines(caplog) == []
        body.close()
    assert wrapped.closed
    [record] = _lines(caplog)
    assert '"GET /f HTTP/1.1" 200 3 ' in record.getMessage()


def test_iterating_again_continues_where_it_was():
    app = access_log.AccessLogMiddleware(
        lambda environ, start_response: (start_response('200 OK', []), [b'a', b'b'])[1])
    body = app({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/'}, lambda *args: None)
    first = next(iter(body))
    assert [first] + list(iter(body)) == [b'a', b'b']
    body.close()
