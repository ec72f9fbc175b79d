"""The only factories of oslo.messaging transports, clients and servers in Glimpse."""

import importlib

import oslo_messaging
from oslo_messaging import opts as messaging_opts

from common import config as common_config
from common import context

# The api rebuilds these as the very classes the registry raised.
ALLOWED_EXMODS = ['common.exceptions']


# Option lists oslo.messaging registers on the global cfg.CONF at import and leaves out of its
# list_opts() (as of 18.x), while reading them from whatever conf it is given on every call.
_MESSAGING_PRIVATE_OPTS = (
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics', 'oslo_messaging_metrics'),
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing', 'oslo_messaging_tracing'),
)


def register_messaging_opts(conf):
    """Registers on `conf` everything oslo.messaging will look up there.

    Needed for any private ConfigOpts (tests, glance-api); harmless on cfg.CONF.
    """
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    for module_name, attribute, group in _MESSAGING_PRIVATE_OPTS:
        try:
            opts = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue
        conf.register_opts(opts, group=group)


def get_transport(conf, url=None):
    common_config.register_opts(conf)
    register_messaging_opts(conf)
    return oslo_messaging.get_rpc_transport(conf, url=url, allowed_remote_exmods=ALLOWED_EXMODS)


def target(conf, version=None, server=None):
    from common.rpc import contract
    return oslo_messaging.Target(topic=conf.registry.topic, namespace=contract.NAMESPACE,
                                 version=version or contract.VERSION, server=server)


def get_client(conf, transport):
    return oslo_messaging.get_rpc_client(
        transport, target(conf), serializer=context.ContextSerializer(),
        timeout=conf.registry.rpc_timeout, version_cap=conf.registry.version_cap)


def get_server(conf, transport, endpoints, server_name):
    # oslo.messaging >= 18 deprecates naming the executor and picks threading unless
    # eventlet has monkey-patched the process; a registry on eventlet would be a bug.
    server = oslo_messaging.get_rpc_server(
        transport, target(conf, server=server_name), endpoints,
        serializer=context.ContextSerializer())
    if server.executor_type != 'threading':
        raise RuntimeError('glance-registry needs the threading executor, got %s'
                           % server.executor_type)
    return server
