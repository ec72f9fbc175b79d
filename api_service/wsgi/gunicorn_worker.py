"""The gunicorn worker glance-api runs: gthread, with JSON errors for requests it cannot parse.

gunicorn answers a request it cannot parse (a header or request line over its limits, a
malformed header, a bad chunk size) itself, before the WSGI app runs, with an HTML page.
Clients of the Images API parse ``{"error": {"code", "title", "message"}}`` bodies, so this
worker answers those in the same JSON shape as api_service/http/errors.py, with a request id, and
with the status upstream Glance's server gives: 414 for a request line that is too long,
400 for headers that are too large or too many, 400 for anything else malformed.
"""

import http
import json
import ssl

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from api_service.http import errors
from api_service.wsgi.middleware import request_id

# (gunicorn error class name, status, message format) checked in this order, by name: not
# every gunicorn release defines each class. The response-header errors are the
# application's fault (a 500) and subclass request errors, so they come first.
_ANSWERS = (
    ('InvalidResponseHeader', 500, None),
    ('InvalidResponseHeaderName', 500, None),
    ('ConfigurationProblem', 500, None),
    ('LimitRequestLine', 414, 'The request line (method and URL) is too long: %s.'),
    # Upstream's server answers 400 ("Header Line Too Long"), not gunicorn's 431.
    ('LimitRequestHeaders', 400, 'The request headers are too large or too many: %s.'),
    ('ExpectationFailed', 417, '%s'),
    ('UnsupportedTransferCoding', 501, '%s'),
    ('ForbiddenProxyRequest', 403, 'Request forbidden: %s.'),
    ('ParseException', 400, 'The request could not be parsed: %s.'),
)


def answer_for(exc):
    """-> (status, message format or None for a server error) for an error gunicorn
    raised while reading a request."""
    for name, status, message in _ANSWERS:
        cls = getattr(http_errors, name, None)
        if cls is not None and isinstance(exc, cls):
            return status, message
    if isinstance(exc, ssl.SSLError):
        return 400, 'TLS error: %s.'
    return 500, None


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
        status, message_format = answer_for(exc)
        req_id = request_id.generate()
        addr = addr or ('', -1)
        if message_format is not None:
            self.log.warning('Invalid request from ip=%s: %s (request id %s)',
                             addr[0], exc, req_id)
            message = message_format % (str(exc).strip() or type(exc).__name__)
        else:
            self.log.exception('Error handling request (request id %s)', req_id)
            message = 'An unexpected error occurred; request id %s.' % req_id
        try:
            util.write_nonblock(client, error_response(status, message, req_id))
        except Exception:
            self.log.debug('Failed to send the error response.')
