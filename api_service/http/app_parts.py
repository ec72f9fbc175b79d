"""What a view needs besides the request: the parts create_app() assembled, and the caller."""

import dataclasses

import flask

from api_service.wsgi.middleware import context as context_middleware
from common import notifications

EXTENSION_KEY = 'glimpse'


@dataclasses.dataclass(frozen=True)
class Runtime:
    conf: object        # oslo.config ConfigOpts with api_service.config registered
    registry: object    # common.rpc.client.RegistryClient (or anything with its methods)
    stores: object      # api_service.stores.catalog.StoreCatalog
    schemas: object     # api_service.http.schemas.ImageSchemas
    policy: object      # api_service.policy.Policy
    # common.notifications.Notifier; the default sends nothing
    notifier: object = dataclasses.field(default_factory=notifications.Notifier)
    # api_service.cache.node.NodeCache when [DEFAULT] image_cache_dir is set, else None
    cache: object = None
    # api_service.tasks.runner.TaskRunner: this worker's pool of tasks
    tasks: object = None


def current():
    return flask.current_app.extensions[EXTENSION_KEY]


def request_context():
    return flask.request.environ[context_middleware.ENVIRON_KEY]
