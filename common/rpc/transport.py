"""The only factories of oslo.messaging transports, clients and servers in Glimpse."""

import oslo_messaging
from oslo_config import cfg

from common import config as common_config
from common import context

# The api rebuilds these as the very classes the registry raised.
ALLOWED_EXMODS = ['common.exceptions']


def get_transport(conf, url=None):
    common_config.register_opts(conf)
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
    return oslo_messaging.get_rpc_server(
        transport, target(conf, server=server_name), endpoints, executor='threading',
        serializer=context.ContextSerializer())
