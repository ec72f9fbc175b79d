"""Builds the RequestContext from the identity headers and hangs it on the WSGI environ.

With auth_strategy=noauth nothing in front checks these headers: whoever calls is whoever
they claim to be. With keystone (later) keystonemiddleware sits in front and sets them.
"""

from common import context as common_context

ENVIRON_KEY = 'glimpse.context'

# The identity of a noauth caller that sends no identity headers: an ordinary member of a
# fixed project, never an admin.
DEFAULT_USER_ID = 'noauth-user'
DEFAULT_PROJECT_ID = 'noauth-project'


def _roles(header_value):
    return [r.strip().lower() for r in (header_value or '').split(',') if r.strip()]


def context_from_environ(environ, request_id):
    project_id = environ.get('HTTP_X_PROJECT_ID') or environ.get('HTTP_X_TENANT_ID')
    user_id = environ.get('HTTP_X_USER_ID')
    roles = _roles(environ.get('HTTP_X_ROLES'))
    if not (project_id or user_id or roles):
        project_id, user_id = DEFAULT_PROJECT_ID, DEFAULT_USER_ID
    return common_context.RequestContext(
        user_id=user_id, project_id=project_id, roles=roles, request_id=request_id,
        auth_token=environ.get('HTTP_X_AUTH_TOKEN'))


class ContextMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ[ENVIRON_KEY] = context_from_environ(
            environ, environ.get('openstack.request_id'))
        return self.app(environ, start_response)
