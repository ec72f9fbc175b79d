"""Builds the RequestContext from the identity headers and hangs it on the WSGI environ.

With ``auth_strategy = keystone`` keystonemiddleware's auth_token sits in front: it removes
whatever identity headers the caller sent and sets them from the validated token (user,
project, domains, roles, service catalog). With ``noauth`` nothing checks them: whoever
calls is whoever they claim to be. Either way ``is_admin`` comes from the policy's
``context_is_admin`` rule, never from a header.
"""

import json
import logging

from common import context as common_context

LOG = logging.getLogger(__name__)

ENVIRON_KEY = 'glimpse.context'
# Set by the auth middleware on requests it let through without a token (versions,
# healthcheck): their identity headers were never checked, so they are not read.
UNAUTHENTICATED_KEY = 'glimpse.unauthenticated'

# The identity of a noauth caller that sends no identity headers: an ordinary member of a
# fixed project, never an admin.
DEFAULT_USER_ID = 'noauth-user'
DEFAULT_PROJECT_ID = 'noauth-project'
# A noauth caller that names no roles is an ordinary project member, as most existing
# clients and tests assume (they send a project and nothing else).
DEFAULT_NOAUTH_ROLES = ('member', 'reader')
# Keystone's default role hierarchy (admin implies member implies reader). Keystone puts
# the implied roles in the token itself; under noauth nobody does, so the api does.
IMPLIED_ROLES = {'admin': ('member', 'reader'), 'member': ('reader',)}


def _roles(header_value):
    return [r.strip().lower() for r in (header_value or '').split(',') if r.strip()]


def with_implied(roles):
    out = list(roles)
    for role in roles:
        out.extend(r for r in IMPLIED_ROLES.get(role, ()) if r not in out)
    return out


def _service_catalog(environ):
    raw = environ.get('HTTP_X_SERVICE_CATALOG')
    if not raw:
        return []
    try:
        catalog = json.loads(raw)
    except ValueError:
        LOG.warning('Ignoring an X-Service-Catalog header that is not JSON')
        return []
    return catalog if isinstance(catalog, list) else []


def keystone_context(environ, request_id):
    """The context of a request auth_token validated (its headers are the token's)."""
    ctx = common_context.RequestContext.from_environ(
        environ, roles=_roles(environ.get('HTTP_X_ROLES')), request_id=request_id,
        is_admin=False)
    ctx.service_catalog = _service_catalog(environ)
    return ctx


def noauth_context(environ, request_id):
    project_id = environ.get('HTTP_X_PROJECT_ID') or environ.get('HTTP_X_TENANT_ID')
    user_id = environ.get('HTTP_X_USER_ID')
    roles = _roles(environ.get('HTTP_X_ROLES'))
    if not (project_id or user_id or roles):
        project_id, user_id = DEFAULT_PROJECT_ID, DEFAULT_USER_ID
    if 'HTTP_X_ROLES' not in environ:
        roles = list(DEFAULT_NOAUTH_ROLES)
    ctx = common_context.RequestContext.from_environ(
        environ, user_id=user_id, project_id=project_id, roles=with_implied(roles),
        request_id=request_id, is_admin=False)
    ctx.service_catalog = _service_catalog(environ)
    return ctx


def anonymous_context(request_id):
    ctx = common_context.RequestContext(request_id=request_id, roles=[], is_admin=False)
    ctx.service_catalog = []
    return ctx


class ContextMiddleware:
    """``strategy`` is the effective auth_strategy; ``policy`` decides is_admin."""

    def __init__(self, app, policy, strategy):
        self.app = app
        self.policy = policy
        self.build = keystone_context if strategy == 'keystone' else noauth_context

    def __call__(self, environ, start_response):
        request_id = environ.get('openstack.request_id')
        if environ.get(UNAUTHENTICATED_KEY):
            ctx = anonymous_context(request_id)
        else:
            ctx = self.build(environ, request_id)
            ctx.is_admin = self.policy.is_admin(ctx)
        environ[ENVIRON_KEY] = ctx
        return self.app(environ, start_response)
