"""The gunicorn worker glance-api runs: gthread, with JSON errors for requests it cannot parse.

gunicorn answers a request it cannot parse (a header or request line over its limits, a
malformed header, a bad chunk size) itself, before the WSGI app runs, with an HTML page.
Clients of the Images API parse ``{"error": {"code", "title", "message"}}`` bodies, so this
worker turns gunicorn's error into the api_service.exceptions class it stands for and answers
through the table in api_service/http/errors.py, with a request id, and with the status
upstream Glance's server gives: 414 for a request line that is too long, 400 for headers
that are too large or too many, 400 for anything else malformed.
"""

import http
import json
import ssl

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from api_service import exceptions
from api_service.http import errors
from api_service.wsgi.middleware import request_id

# (gunicorn error class name, the api_service.exceptions class it becomes) checked in this
# order, by name: not every gunicorn release defines each class. The response-header errors
# are the application's fault (None: a 500) and subclass request errors, so they come first.
# Upstream's server answers headers too large with 400 ("Header Line Too Long"), not
# gunicorn's 431: RequestHeadersTooLarge is a BadRequest.
_TRANSLATIONS = (
    ('InvalidResponseHeader', None),
    ('InvalidResponseHeaderName', None),
    ('ConfigurationProblem', None),
    ('LimitRequestLine', exceptions.RequestLineTooLong),
    ('LimitRequestHeaders', exceptions.RequestHeadersTooLarge),
    ('ExpectationFailed', exceptions.ExpectationFailed),
    ('UnsupportedTransferCoding', exceptions.UnsupportedTransferCoding),
    ('ForbiddenProxyRequest', exceptions.ProxyRequestForbidden),
    ('ParseException', exceptions.MalformedRequest),
)


def request_error(exc):
    """The api_service.exceptions error that a gunicorn error raised while reading a request
    stands for; None when it is a server error."""
    cls = exceptions.TLSError if isinstance(exc, ssl.SSLError) else None
    for name, ours in _TRANSLATIONS:
        theirs = getattr(http_errors, name, None)
        if theirs is not None and isinstance(exc, theirs):
            cls = ours
            break
    if cls is None:
        return None
    return cls(detail=str(exc).strip() or type(exc).__name__)


def answer_for(exc, req_id):
    """-> (status, message) for a gunicorn error, from the table in api_service/http/errors.py;
    a server error is a 500 that names only the request id."""
    error = request_error(exc)
    answered = errors.answer(error) if error is not None else None
    if answered is None:
        return 500, errors.unexpected_message(req_id)
    status, message, _ = answered
    return status, message


def error_response(status, message, req_id):
    """The raw HTTP/1.1 response: JSON body, request id, connection closed."""
    body = json.dumps(errors.error_body(status, message)).encode('utf-8')
    head = ('HTTP/1.1 %d %s\r\n'
            'Connection: close\r\n'
            'Content-Type: application/json\r\n'
            'Content-Length: %d\r\n'
            '%s: %s\r\n'
            '\r\n' % (status, http.HTTPStatus(status).phrase, len(body),
                        request_id.HEADER, req_id))
    return head.encode('latin-1') + body


class JsonErrorWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker; only the answer to an unparseable request differs."""

    def handle_error(self, req, client, addr, exc):
        req_id = request_id.generate()
        status, message = answer_for(exc, req_id)
        addr = addr or ('', -1)
        if status < 500:
            self.log.warning('Invalid request from ip=%s: %s (request id %s)',
                             addr[0], exc, req_id)
        else:
            self.log.exception('Error handling request (request id %s)', req_id)
        try:
            util.write_nonblock(client, error_response(status, message, req_id))
        except Exception:
            self.log.debug('Failed to send the error response.')
