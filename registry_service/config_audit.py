"""What glance-registry.conf may say that glance-registry does not do: the upstream options
it knows by name but does not implement.

The table shrinks as features land: tests/unit/registry/test_config_audit.py fails when an
entry names an option Glimpse registers itself (it became real and must leave the table).
"""

from common import config_audit
from common.config_audit import NotImplementedOption as Entry
from common.rpc import transport as rpc_transport

_BUS = ('glance-registry serves [registry] topic on the message bus at transport_url; it '
        'listens on no port')
_NO_AUTH = ('glance-registry does not authenticate its callers: whoever may publish on its '
            'topic (the RabbitMQ user and vhost) is trusted, and glance-api checks tokens')

NOT_IMPLEMENTED = (
    Entry('DEFAULT', 'bind_host', _BUS),
    Entry('DEFAULT', 'bind_port', _BUS),
    Entry('DEFAULT', 'backlog', _BUS),
    Entry('DEFAULT', 'tcp_keepidle', _BUS),
    Entry('DEFAULT', 'client_socket_timeout', _BUS),
    Entry('DEFAULT', 'http_keepalive', _BUS),
    Entry('DEFAULT', 'cert_file', _BUS),
    Entry('DEFAULT', 'key_file', _BUS),
    Entry('DEFAULT', 'ca_file', _BUS),
    Entry('DEFAULT', 'workers', 'one glance-registry process serves executor_thread_pool_size '
          'calls at once; run more processes on the same topic to scale'),
    Entry('DEFAULT', 'api_limit_max', 'page sizes are glance-api\'s options; set it in '
          'glance-api.conf'),
    Entry('DEFAULT', 'limit_param_default', 'page sizes are glance-api\'s options; set it '
          'in glance-api.conf'),
    Entry('DEFAULT', 'data_api', 'glance-registry always uses its own SQLAlchemy database '
          'layer'),
    Entry('DEFAULT', 'enable_v1_registry', 'there is one registry RPC API, versioned on the '
          'bus', config_audit.is_false),
    Entry('DEFAULT', 'enable_v2_registry', 'there is one registry RPC API, versioned on the '
          'bus', config_audit.is_true),
    Entry('DEFAULT', 'default_publisher_id', 'glance-registry sends no notifications'),
    Entry('DEFAULT', 'notification_driver', 'glance-registry sends no notifications (and '
          'the option moved to [oslo_messaging_notifications] driver long ago)',
          lambda value: value.strip() in ('', 'noop')),
    Entry('DEFAULT', 'disabled_notifications', 'glance-registry sends no notifications'),
    Entry('DEFAULT', 'admin_role', 'who is admin is decided by glance-api\'s policy'),
    Entry('DEFAULT', 'owner_is_tenant', 'the owner of an image is always its project'),
    Entry('oslo_messaging_notifications', 'driver', 'glance-registry sends no notifications',
          lambda value: value.strip() in ('', 'noop')),
    Entry('oslo_messaging_notifications', 'topics', 'glance-registry sends no '
          'notifications'),
    Entry('oslo_messaging_notifications', 'transport_url', 'glance-registry sends no '
          'notifications'),
    Entry('keystone_authtoken', '*', _NO_AUTH),
    Entry('paste_deploy', '*', _NO_AUTH + '; there is no paste pipeline'),
    Entry('oslo_policy', '*', 'policy is enforced by glance-api'),
    Entry('glance_store', '*', 'image data is glance-api\'s; set it in glance-api.conf'),
    Entry('database', 'max_retries', 'a database that is down fails the calls until it is '
          'back (the pool tests each connection before use)'),
    Entry('database', 'retry_interval', 'a database that is down fails the calls until it '
          'is back (the pool tests each connection before use)'),
    Entry('database', 'idle_timeout', 'write connection_recycle_time instead'),
    Entry('database', 'min_pool_size', 'the pool opens connections as calls need them'),
    Entry('database', 'max_overflow', 'the pool may open 8 connections beyond max_pool_size'),
    Entry('database', 'mysql_sql_mode', 'MySQL runs with its server\'s sql_mode'),
    Entry('database', 'backend', 'the database layer is always SQLAlchemy',
          lambda value: value.strip() == 'sqlalchemy'),
    Entry('database', 'slave_connection', 'every call uses [database] connection'),
    Entry('profiler', '*', 'osprofiler is not supported'),
)


def audit(conf, logger=None):
    """Warn once per option of glance-registry's files that it will not honour."""
    # oslo.messaging registers its groups when the transport is built: register them first.
    rpc_transport.register_messaging_opts(conf)
    return config_audit.audit(conf, NOT_IMPLEMENTED, logger=logger)
