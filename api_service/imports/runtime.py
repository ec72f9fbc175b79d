"""What the import views and tasks need, assembled once per app: ImportParts.

check(conf) is called by create_app's configuration check, so a bad node_staging_uri, an
unknown plugin or a method Glimpse does not implement stops glance-api at start, naming the
option. The import views build the parts on first use and keep them in the app.
"""

from oslo_config import cfg

from api_service import exceptions as api_exceptions
from api_service.imports import filtering
from api_service.imports import options
from api_service.imports import plugins
from api_service.imports import staging
from api_service.stores import base
from api_service.tasks import runner as task_runner


def check(conf):
    staging.staging_dir(conf)
    plugins.check(conf)
    try:
        # oslo.config checks a value when it is read: read them now, so that a malformed
        # list (these are written in brackets, as upstream) stops the start.
        for group, opts in options.GROUPS:
            section = conf if group is None else conf[group]
            for opt in opts:
                section[opt.dest]  # noqa: B018
    except cfg.Error as exc:
        raise api_exceptions.ConfigurationError(str(exc)) from exc
    for method in conf.enabled_import_methods:
        if method in options.NOT_IMPLEMENTED_METHODS:
            raise api_exceptions.ConfigurationError(
                '[DEFAULT] enabled_import_methods: %s is not implemented by Glimpse; '
                'remove it.' % method)


def offered_methods(conf):
    """The import methods offered: copy-image only with several stores, where it can
    work."""
    return [m for m in conf.enabled_import_methods
            if m != 'copy-image' or bool(conf.enabled_backends)]


def self_url(conf):
    """This worker's worker_self_reference_url (None: nothing is proxied)."""
    url = conf.worker_self_reference_url
    return url.rstrip('/') if url else None


class ImportParts:
    write_capability = base.Capability.WRITE

    def __init__(self, rt, resolver=filtering.resolve):
        self.conf = rt.conf
        self.registry = rt.registry
        self.stores = rt.stores
        self.notifier = rt.notifier
        self.runner = rt.tasks
        self.multi_store = bool(rt.conf.enabled_backends)
        self.staging = staging.Staging(rt.conf)
        self.plugins = plugins.from_config(rt.conf)
        self.resolver = resolver
        self.chunk_size = rt.conf.glance_store.filesystem_store_chunk_size
        self.self_url = self_url(rt.conf)

    def methods(self):
        return offered_methods(self.conf)

    def submit(self, ctx, task, work):
        self.runner.submit(ctx, task, work)

    @staticmethod
    def task_failed(message):
        return task_runner.TaskFailed(message)
