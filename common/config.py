"""Options both daemons read: how the registry is reached over the message bus."""

from oslo_config import cfg

registry_opts = [
    cfg.StrOpt('topic', default='glance_registry',
               help='The AMQP topic on which glance-registry consumes calls and to which '
                    'glance-api sends them. Every registry process on one topic shares the '
                    'load; api and registry must use the same value.'),
    cfg.IntOpt('rpc_timeout', default=10, min=1,
               help='Seconds glance-api waits for a registry reply before answering 503. '
                    'Keep it well below the gunicorn worker timeout so no request hangs.'),
    cfg.StrOpt('version_cap',
               help='Highest registry RPC version glance-api may use. Set it to the version '
                    'of the oldest registry still running during a rolling upgrade; leave '
                    'it unset to use the newest.'),
]

deprecated_registry_opts = [
    cfg.HostAddressOpt('registry_host', default='0.0.0.0',
                       deprecated_for_removal=True,
                       deprecated_reason='Glimpse reaches the registry over AMQP; see '
                                         '[registry] topic and [DEFAULT] transport_url.',
                       help='Accepted for familiarity with glance-registry; ignored.'),
    cfg.PortOpt('registry_port', default=9191,
                deprecated_for_removal=True,
                deprecated_reason='Glimpse reaches the registry over AMQP; see '
                                  '[registry] topic and [DEFAULT] transport_url.',
                help='Accepted for familiarity with glance-registry; ignored.'),
]


def register_opts(conf):
    conf.register_opts(registry_opts, group='registry')
    conf.register_opts(deprecated_registry_opts)


def list_opts():
    return [('registry', registry_opts), ('DEFAULT', deprecated_registry_opts)]
