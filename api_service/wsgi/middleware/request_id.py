"""Gives every request an id and puts it on every response as x-openstack-request-id."""

import logging
import uuid

from api_service import exceptions
from api_service.http import errors

LOG = logging.getLogger(__name__)

ENVIRON_KEY = 'openstack.request_id'
HEADER = 'x-openstack-request-id'


def generate():
    return 'req-%s' % uuid.uuid4()


class RequestIdMiddleware:
    def __init__(self, app, max_length):
        self.app = app
        self.max_length = max_length

    def __call__(self, environ, start_response):
        offered = environ.get('HTTP_X_OPENSTACK_REQUEST_ID')
        too_long = offered is not None and len(offered) > self.max_length
        request_id = offered if offered and not too_long else generate()
        environ[ENVIRON_KEY] = request_id

        def start_with_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != HEADER]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        if too_long:
            # Upstream answers 431 rather than silently replacing the caller's id.
            response = errors.wsgi_response(exceptions.RequestIdTooLong(max=self.max_length),
                                            request_id)
            return response(environ, start_with_id)
        return self.app(environ, start_with_id)
