"""keystonemiddleware's auth_token in front of everything but the public documents.

auth_token reads ``[keystone_authtoken]`` from glance-api's own ConfigOpts (passed as
``oslo_config_config``), validates the X-Auth-Token of each request with Keystone, replaces
the identity headers with the token's, and answers 401 itself (a JSON body in the same
``{"error": {...}}`` shape as ours, with ``WWW-Authenticate: Keystone uri="..."``) for a
missing, invalid or expired token.
"""

import importlib.util

from keystonemiddleware import auth_token
from keystonemiddleware import opts as auth_token_opts

from api_service import exceptions
from api_service.http.views import openapi
from api_service.wsgi.middleware import context as context_middleware

# As upstream, the version documents and the health check need no token; nor does the
# OpenAPI document, which describes the API as the version documents do.
PUBLIC_PATHS = frozenset(['/', '/versions', '/healthcheck', openapi.DOCUMENT_PATH])


def _path(environ):
    return environ.get('PATH_INFO', '') or '/'


class KeystoneAuthMiddleware:
    """Sends public paths straight to ``app``; everything else through auth_token first."""

    def __init__(self, app, conf):
        self.app = app
        self.protected = auth_token.AuthProtocol(app, {'oslo_config_config': conf})

    def __call__(self, environ, start_response):
        if (_path(environ).rstrip('/') or '/') in PUBLIC_PATHS:
            environ[context_middleware.UNAUTHENTICATED_KEY] = True
            return self.app(environ, start_response)
        environ.pop(context_middleware.UNAUTHENTICATED_KEY, None)
        return self.protected(environ, start_response)


GROUP = 'keystone_authtoken'


def check_config(conf):
    """Raise ConfigurationError for a [keystone_authtoken] that would fail every request.

    keystonemiddleware imports its memcached client only when the first token arrives, so
    install guides' ``memcached_servers`` without that client starts cleanly and then
    answers 500 to everything.
    """
    for group, opts in auth_token_opts.list_auth_token_opts():
        conf.register_opts(opts, group=group)
    section = conf[GROUP]
    if not section.memcached_servers:
        return
    if section.memcache_tls_enabled or section.memcache_sasl_enabled:
        module, package = 'bmemcached', 'python-binary-memcached'
    else:
        module, package = 'memcache', 'python-memcached'
    if importlib.util.find_spec(module) is None:
        raise exceptions.ConfigurationError(
            '[keystone_authtoken] memcached_servers is set, but keystonemiddleware\'s '
            'memcached client is not installed: pip install %s (or remove '
            'memcached_servers to cache tokens in each worker)' % package)
