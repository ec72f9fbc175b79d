"""The one place where an error becomes an HTTP response.

Views, services, the WSGI middleware and the gunicorn worker raise (or hold) exceptions; the
table below turns each class into a status code, and every error is answered with the same
JSON body::

    {"error": {"code": 404, "title": "Not Found", "message": "..."}}

python-glanceclient walks the values of the JSON object and calls ``.get('message')`` on
each, and openstacksdk reads ``message`` too, so the message sits one object deep.

``handle`` answers inside Flask; ``wsgi_response`` answers for the middleware in front of
it; the gunicorn worker, which answers before any WSGI app runs, uses ``answer`` and
``error_body``.
"""

import http
import json
import logging

import flask
from werkzeug import exceptions as http_exceptions
from werkzeug import wrappers

from api_service import exceptions as api_exceptions
from common import exceptions

LOG = logging.getLogger(__name__)

# The class nearest in the raised exception's MRO wins, so a subclass needs a row only when
# its status differs from its parent's.
STATUS_BY_CLASS = {
    exceptions.NotFound: 404,
    exceptions.Forbidden: 403,
    exceptions.Conflict: 409,
    exceptions.Invalid: 400,
    exceptions.ImageActionNotAllowed: 403,
    exceptions.QuotaExceeded: 413,
    exceptions.RegistryUnavailable: 503,
    exceptions.DatabaseUnavailable: 503,
    api_exceptions.StorageWriteDenied: 503,
    api_exceptions.StoreUnavailable: 503,
    api_exceptions.ImageGone: 410,
    api_exceptions.StoreReadOnly: 410,
    api_exceptions.StoreUnreachable: 503,
    api_exceptions.RequestLineTooLong: 414,
    api_exceptions.UnsupportedMediaType: 415,
    api_exceptions.InvalidImageData: 415,
    api_exceptions.RangeNotSatisfiable: 416,
    api_exceptions.ExpectationFailed: 417,
    api_exceptions.RequestIdTooLong: 431,
    api_exceptions.UnsupportedTransferCoding: 501,
}


def status_for(exc):
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_CLASS:
            return STATUS_BY_CLASS[cls]
    return None


def error_body(code, message):
    return {'error': {'code': code, 'title': http.HTTPStatus(code).phrase, 'message': message}}


def _http_exception_headers(exc):
    # werkzeug builds Allow for 405 (and WWW-Authenticate for 401) into its own headers.
    return {name: value for name, value in exc.get_headers()
            if name.lower() != 'content-type'}


def message_of(exc):
    # An exception rebuilt from an RPC reply has a str() that appends the registry's
    # traceback; the message alone is kept in .msg (common.exceptions.GlimpseError).
    return getattr(exc, 'msg', None) or str(exc)


def unexpected_message(request_id):
    """The message of a 500: the request id to look for in the log, no details."""
    return 'An unexpected error occurred; request id %s.' % request_id


def answer(exc, request_id=None):
    """-> (status, message, headers) for ``exc``; None for an error the table does not
    know (a bug: the caller logs it and answers 500 with unexpected_message)."""
    if isinstance(exc, http_exceptions.HTTPException) and exc.code is not None:
        # Flask's own: no route (404), wrong method (405).
        return exc.code, exc.description, _http_exception_headers(exc)
    code = status_for(exc)
    if code is None:
        return None
    return code, message_of(exc), dict(getattr(exc, 'headers', None) or {})


def error_response(code, message, headers=None):
    """A Flask response; needs the application context."""
    response = flask.jsonify(error_body(code, message))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wsgi_response(exc, request_id=None):
    """A plain WSGI response, for the middleware in front of the Flask app."""
    code, message, headers = answer(exc) or (500, unexpected_message(request_id), {})
    return wrappers.Response(json.dumps(error_body(code, message)), status=code,
                             headers=headers, mimetype='application/json')


def handle(exc):
    answered = answer(exc)
    if answered is not None:
        code, message, headers = answered
        if code >= 500:
            LOG.warning('%s: %s', type(exc).__name__, message)
        return error_response(code, message, headers)
    request_id = flask.request.environ.get('openstack.request_id')
    LOG.exception('Unexpected error while serving %s %s (request id %s)',
                  flask.request.method, flask.request.path, request_id)
    return error_response(500, unexpected_message(request_id))


def register(app):
    app.register_error_handler(Exception, handle)
