"""create_app(): the Flask application glance-api serves."""

import logging

import flask

# Imported here, at load time, so a gthread worker never first imports it inside a request
# (such a worker takes the whole graceful timeout to exit).
import oslo_messaging  # noqa: F401
from oslo_config import cfg

from api_service import config
from api_service import exceptions
from api_service import policy
from api_service.cache import node as node_cache
from api_service.http import app_parts
from api_service.http import custom_properties
from api_service.http import errors
from api_service.http import path_params
from api_service.http import response_rules
from api_service.http import schemas
from api_service.http.views import actions
from api_service.http.views import cache as cache_views
from api_service.http.views import health
from api_service.http.views import image_data
from api_service.http.views import images
from api_service.http.views import imports as import_views
from api_service.http.views import locations as location_views
from api_service.http.views import members
from api_service.http.views import metadef_schemas
from api_service.http.views import metadefs
from api_service.http.views import metadefs_items
from api_service.http.views import openapi
from api_service.http.views import schemas as schema_views
from api_service.http.views import stores as stores_views
from api_service.http.views import tags
from api_service.http.views import tasks as task_views
from api_service.http.views import versions
from api_service.imports import runtime as import_runtime
from api_service.stores import catalog
from api_service.tasks import runner as task_runner
from api_service.wsgi.middleware import access_log
from api_service.wsgi.middleware import auth as auth_middleware
from api_service.wsgi.middleware import context as context_middleware
from api_service.wsgi.middleware import request_id
from api_service.wsgi.middleware import url_check
from api_service.wsgi.middleware import version_negotiation
from common import notifications
from common.rpc import client as rpc_client

LOG = logging.getLogger(__name__)

BLUEPRINTS = (versions.blueprint, health.blueprint, schema_views.blueprint, images.blueprint,
              image_data.blueprint, members.blueprint, tags.blueprint, actions.blueprint,
              openapi.blueprint, metadef_schemas.blueprint, metadefs.blueprint,
              metadefs_items.blueprint, cache_views.blueprint, stores_views.blueprint,
              import_views.blueprint,
              location_views.blueprint,
              task_views.blueprint)


def build_pipeline(flask_wsgi_app, conf, pol):
    """The WSGI middleware around the Flask app, outermost first.

    A request meets them in this order (the access log, when on, wraps them all and logs
    the final status once the response is sent):
    1. request id: takes the caller's X-Openstack-Request-ID (431 if too long) or makes
       req-<uuid>, and stamps x-openstack-request-id on every response that leaves,
       including errors raised by anything below;
    2. URL check: a path or query string that is not UTF-8 or holds a NUL is a 400;
    3. version negotiation: /v2.N/... becomes /v2/..., an unknown version goes to /;
    4. authentication: with keystone, auth_token validates the token (401 without a valid
       one) and sets the identity headers from it; /, /versions, /healthcheck and the
       OpenAPI document pass without one. Nothing for noauth;
    5. context: builds the RequestContext (user, project, roles, service catalog, request
       id) from the identity headers, with is_admin from the policy's context_is_admin;
    6. Flask: routing, the path checks (an image id that is not a UUID is a 404), the view
       (which checks the policy before calling the registry), and the one error handler
       in api_service/http/errors.py.
    """
    strategy = config.auth_strategy(conf)
    app = flask_wsgi_app
    app = context_middleware.ContextMiddleware(app, pol, strategy)
    if strategy == 'keystone':
        app = auth_middleware.KeystoneAuthMiddleware(app, conf)
    app = version_negotiation.VersionNegotiationMiddleware(app, bool(conf.image_cache_dir),
                                                           bool(conf.enabled_backends))
    app = url_check.UrlCheckMiddleware(app)
    app = request_id.RequestIdMiddleware(app, conf.max_request_id_length)
    if conf.access_log:
        app = access_log.AccessLogMiddleware(app)
    return app


def check_config(conf):
    """Raise api_service.exceptions.ConfigurationError for settings glance-api cannot run
    with."""
    if config.auth_strategy(conf) == 'keystone':
        auth_middleware.check_config(conf)
    # schema-image.json: a broken one stops the start, not the first schema request.
    custom_properties.load(conf)
    try:
        # oslo.config checks a value against its regex only when it is read: read the
        # options uploads depend on now, so a typo stops the start, not a user's upload.
        conf.user_storage_quota  # noqa: B018
    except cfg.ConfigFileValueError as exc:
        raise exceptions.ConfigurationError(str(exc)) from exc
    # The stores: a driver not available yet, a default naming no store ... stop the start.
    catalog.check(conf)
    # Import: the staging area, the plugins, the methods.
    import_runtime.check(conf)
    if conf.image_cache_dir and conf.image_cache_driver != 'centralized_db':
        raise exceptions.ConfigurationError(
            'image_cache_driver = %s is not implemented: Glimpse keeps the image cache\'s '
            'records in the registry (centralized_db, upstream\'s default). Remove the '
            'option or set it to centralized_db.' % conf.image_cache_driver)


def _warn_noauth():
    LOG.warning('*** auth_strategy = noauth: glance-api trusts the X-User-Id, X-Project-Id '
                'and X-Roles headers of every request. Anyone who can reach this port can '
                'act as any user, including admin. Never expose it outside a test setup. ***')


def create_app(conf, registry=None, stores=None, notifier=None):
    """The glance-api WSGI app. ``registry`` defaults to a RegistryClient on the configured
    transport, ``stores`` to the configured StoreCatalog, ``notifier`` to the
    common.notifications.Notifier of [oslo_messaging_notifications]."""
    config.register_opts(conf)
    check_config(conf)
    if config.auth_strategy(conf) == 'noauth':
        _warn_noauth()
    pol = policy.Policy(conf)
    app = flask.Flask(__name__)
    app.json.sort_keys = False
    registry = registry if registry is not None else rpc_client.RegistryClient(conf)
    stores = stores if stores is not None else catalog.from_config(conf)
    app.extensions[app_parts.EXTENSION_KEY] = app_parts.Runtime(
        conf=conf,
        registry=registry,
        stores=stores,
        cache=node_cache.from_config(conf, registry, stores),
        schemas=schemas.ImageSchemas(conf),
        policy=pol,
        notifier=notifier if notifier is not None else notifications.from_config(conf),
        tasks=task_runner.TaskRunner.from_config(conf, registry))
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.url_value_preprocessor(path_params.check)
    errors.register(app)
    response_rules.register(app)
    app.wsgi_app = build_pipeline(app.wsgi_app, conf, pol)
    return app


def close_app(app):
    """Release what create_app() opened (the registry client's transport, the notifier's)."""
    rt = app.extensions[app_parts.EXTENSION_KEY]
    # Notifications waiting to go out get a moment (common/notifications.py:Notifier.close).
    rt.notifier.close()
    if rt.tasks is not None:
        # Before the registry client closes: the tasks still waiting are failed through it.
        rt.tasks.stop()
    if rt.cache is not None:
        rt.cache.close()
    close = getattr(rt.registry, 'close', None)
    if close is not None:
        close()
