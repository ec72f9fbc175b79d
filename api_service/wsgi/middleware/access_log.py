"""One INFO line per request in glance-api's log, once the response has been sent:

    ... INFO api_service.wsgi.middleware.access_log [req-... user project ...] 10.0.0.5
    "GET /v2/images?limit=20 HTTP/1.1" 200 1234 0.012345

client address, request line, status, body bytes sent, seconds from the request's arrival
to its last byte; the request id, user and project in the context part, as upstream's
eventlet server wrote them. ``[DEFAULT] access_log = False`` turns it off, and so does
oslo.log's usual switch, ``default_log_levels`` with ``api_service.wsgi.middleware.
access_log=WARN``.
"""

import logging
import time

from oslo_context import context as oslo_context

from api_service.wsgi.middleware import context as context_middleware
from api_service.wsgi.middleware import request_id

LOG = logging.getLogger(__name__)


def _request_line(environ):
    uri = environ.get('RAW_URI') or environ.get('REQUEST_URI')
    if not uri:
        uri = (environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')) or '/'
        if environ.get('QUERY_STRING'):
            uri += '?' + environ['QUERY_STRING']
    return '%s %s %s' % (environ.get('REQUEST_METHOD', '-'), uri,
                         environ.get('SERVER_PROTOCOL', '-'))


def _context(environ):
    ctx = environ.get(context_middleware.ENVIRON_KEY)
    if ctx is not None:
        return ctx
    # Refused before a context was built (431, a bad URL, 401): the request id alone.
    return oslo_context.RequestContext(request_id=environ.get(request_id.ENVIRON_KEY),
                                       overwrite=False)


class AccessLogMiddleware:
    """Outermost: it sees the final status of every request, the middleware's refusals too."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.monotonic()
        # Taken now: the middleware below rewrites PATH_INFO (version negotiation).
        line = _request_line(environ)
        seen = {'status': '-', 'length': None}

        def start_and_note(status, headers, exc_info=None):
            seen['status'] = status.split(' ', 1)[0]
            for key, value in headers:
                if key.lower() == 'content-length':
                    seen['length'] = value
            return start_response(status, headers, exc_info)

        def log(sent):
            if not LOG.isEnabledFor(logging.INFO):
                return
            length = sent if sent is not None else (seen['length'] or 0)
            LOG.info('%s "%s" %s %s %.6f', environ.get('REMOTE_ADDR', '-'), line,
                     seen['status'], length, time.monotonic() - started,
                     extra={'context': _context(environ)})

        try:
            body = self.app(environ, start_and_note)
        except BaseException:
            seen['status'] = seen['status'] if seen['status'] != '-' else '500'
            log(0)
            raise
        file_wrapper = environ.get('wsgi.file_wrapper')
        if file_wrapper is not None and isinstance(body, file_wrapper):
            # gunicorn sends a file_wrapper with sendfile() only if it gets that very
            # object back: keep it, and log when the server closes it.
            return _close_hook(body, lambda: log(None))
        return _CountingBody(body, log)


def _close_hook(body, on_close):
    original = getattr(body, 'close', None)

    def close():
        try:
            if original is not None:
                original()
        finally:
            on_close()

    body.close = close
    return body


class _CountingBody:
    """The response body as the app made it; counts the bytes and logs on close()."""

    def __init__(self, body, log):
        self._body = body
        self._iter = None
        self._log = log
        self._sent = 0
        self._logged = False

    def __iter__(self):
        # Once: a server may call iter() again on what it already started (werkzeug's
        # test client chains the part it read with the rest).
        if self._iter is None:
            self._iter = iter(self._body)
        return self

    def __next__(self):
        if self._iter is None:
            self._iter = iter(self._body)
        chunk = next(self._iter)
        self._sent += len(chunk)
        return chunk

    def close(self):
        try:
            close = getattr(self._body, 'close', None)
            if close is not None:
                close()
        finally:
            if not self._logged:
                self._logged = True
                self._log(self._sent)
