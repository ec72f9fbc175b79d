"""The one place where an error becomes an HTTP response.

Views and services raise exceptions; the table below turns each into a status code, and
``handle`` renders every error with the same JSON body::

    {"error": {"code": 404, "title": "Not Found", "message": "..."}}

python-glanceclient walks the values of the JSON object and calls ``.get('message')`` on
each, and openstacksdk reads ``message`` too, so the message sits one object deep.
"""

import http
import logging

import flask
import kombu.exceptions
from werkzeug import exceptions as http_exceptions

from api_service import exceptions as api_exceptions
from api_service.services import format_inspection
from common import exceptions

LOG = logging.getLogger(__name__)

# The class nearest in the raised exception's MRO wins, so a subclass needs a row only when
# its status differs from its parent's.
STATUS_BY_CLASS = {
    exceptions.NotFound: 404,
    exceptions.Forbidden: 403,
    exceptions.Conflict: 409,
    exceptions.Invalid: 400,
    exceptions.QuotaExceeded: 413,
    exceptions.RegistryUnavailable: 503,
    exceptions.DatabaseUnavailable: 503,
    # oslo.messaging lets kombu's error through (instead of MessageDeliveryFailure) when a
    # call opens one more pooled connection while RabbitMQ is down; common may not import kombu.
    kombu.exceptions.OperationalError: 503,
    api_exceptions.StorageWriteDenied: 503,
    api_exceptions.ImageGone: 410,
    api_exceptions.UnsupportedMediaType: 415,
    format_inspection.InvalidImageData: 415,
    api_exceptions.RequestIdTooLong: 431,
}


def status_for(exc):
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_CLASS:
            return STATUS_BY_CLASS[cls]
    return None


def error_body(code, message):
    return {'error': {'code': code, 'title': http.HTTPStatus(code).phrase, 'message': message}}


def error_response(code, message, headers=None):
    response = flask.jsonify(error_body(code, message))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_exception_headers(exc):
    # werkzeug builds Allow for 405 (and WWW-Authenticate for 401) into its own headers.
    return {name: value for name, value in exc.get_headers()
            if name.lower() != 'content-type'}


def _message_of(exc):
    # An exception rebuilt from an RPC reply has a str() that appends the registry's
    # traceback; the message alone is kept in .msg (common.exceptions.GlimpseError).
    return getattr(exc, 'msg', None) or str(exc)


def handle(exc):
    if isinstance(exc, http_exceptions.HTTPException) and exc.code is not None:
        return error_response(exc.code, exc.description, _http_exception_headers(exc))
    code = status_for(exc)
    if code is not None:
        if code >= 500:
            LOG.warning('%s: %s', type(exc).__name__, _message_of(exc))
        return error_response(code, _message_of(exc), getattr(exc, 'headers', None))
    request_id = flask.request.environ.get('openstack.request_id')
    LOG.exception('Unexpected error while serving %s %s (request id %s)',
                  flask.request.method, flask.request.path, request_id)
    return error_response(500, 'An unexpected error occurred; request id %s.' % request_id)


def register(app):
    app.register_error_handler(Exception, handle)
