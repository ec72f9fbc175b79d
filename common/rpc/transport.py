"""The only factories of oslo.messaging transports, clients and servers in Glimpse.

Everything taken from oslo.messaging's private API is in messaging_internals(), and
tests/unit/test_rpc_transport_internals.py fails when a release moves any of it.
"""

import functools
import importlib
import logging
import threading

import oslo_messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from common import config as common_config
from common import context

LOG = logging.getLogger(__name__)

# The api rebuilds these as the very classes the registry raised.
ALLOWED_EXMODS = ['common.exceptions']

# How often a call may reconnect to the broker to send its message. oslo.messaging's default
# retries forever, so while RabbitMQ is down every api request would hang long past
# rpc_timeout. One reconnect still replaces a pooled connection that a restarted (or failed
# over) broker closed; a broker that stays away costs the caller about kombu_reconnect_delay +
# rabbit_retry_interval (2 s by default) before its 503.
SEND_RETRIES = 1

# How long a stopping daemon waits for its transport to close its connections.
CLOSE_TIMEOUT_SECONDS = 5


# (module, attribute, group) of the option lists oslo.messaging registers on the global
# cfg.CONF at import and leaves out of its list_opts() (as of 18.x), while reading them from
# whatever conf it is given on every call.
_UNLISTED_OPTS = (
    ('oslo_messaging._metrics.client', 'oslo_messaging_metrics', 'oslo_messaging_metrics'),
    ('oslo_messaging._tracing.client', 'oslo_messaging_tracing', 'oslo_messaging_tracing'),
)


def messaging_internals(transport=None):
    """What Glimpse needs from oslo.messaging and only its private API gives, in one place.

    -> (unlisted_opts, set_up_reply_queue):

    * unlisted_opts: [(group, opts)] of the options oslo.messaging reads but leaves out of
      list_opts() (_UNLISTED_OPTS); those it no longer has are left out;
    * set_up_reply_queue: for ``transport``, the method of its driver that declares the RPC
      reply queue (``_get_reply_q`` of the AMQP drivers: rabbit, kombu+memory), or None for
      a driver without one (fake) or no transport.
    """
    unlisted_opts = []
    for module_name, attribute, group in _UNLISTED_OPTS:
        try:
            opts = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue
        unlisted_opts.append((group, opts))
    set_up_reply_queue = getattr(getattr(transport, '_driver', None), '_get_reply_q', None)
    return unlisted_opts, set_up_reply_queue


@functools.cache
def _listed_messaging_opts():
    """oslo.messaging's list_opts(), made once.

    It deep-copies every option at each call (about 10 ms), and each ConfigOpts registers
    them. One set of Opt objects serves every ConfigOpts, as oslo.messaging's own options
    registered from its modules (and the unlisted ones below) do.
    """
    return tuple((group, tuple(opts)) for group, opts in messaging_opts.list_opts())


def register_messaging_opts(conf):
    """Registers on `conf` everything oslo.messaging will look up there.

    Needed for any private ConfigOpts (tests, glance-api); harmless on cfg.CONF.
    """
    unlisted_opts, _ = messaging_internals()
    for group, opts in list(_listed_messaging_opts()) + unlisted_opts:
        conf.register_opts(opts, group=group)


def get_transport(conf, url=None):
    common_config.register_opts(conf)
    register_messaging_opts(conf)
    return oslo_messaging.get_rpc_transport(conf, url=url, allowed_remote_exmods=ALLOWED_EXMODS)


# The exchange notifications go to unless [DEFAULT] control_exchange is set: upstream Glance's
# (its control_exchange default), which ceilometer binds its notification queues to. The RPC
# between api and registry keeps oslo.messaging's default exchange.
NOTIFICATION_EXCHANGE = 'glance'


def get_notification_transport(conf):
    """The transport of [oslo_messaging_notifications] (transport_url, else the RPC one).

    oslo.messaging takes a transport's exchange from control_exchange when it makes the
    transport; when the operator has not set it, it is NOTIFICATION_EXCHANGE for this one
    transport only, set and cleared around its creation. Call it while the process starts,
    not while another thread makes a transport from the same ``conf``.
    """
    register_messaging_opts(conf)
    if conf.get_location('control_exchange').location != cfg.Locations.opt_default:
        return oslo_messaging.get_notification_transport(conf)
    conf.set_override('control_exchange', NOTIFICATION_EXCHANGE)
    try:
        return oslo_messaging.get_notification_transport(conf)
    finally:
        conf.clear_override('control_exchange')


def target(conf, version=None, server=None):
    from common.rpc import contract
    return oslo_messaging.Target(topic=conf.registry.topic, namespace=contract.NAMESPACE,
                                 version=version or contract.VERSION, server=server)


def get_client(conf, transport, timeout=None):
    return oslo_messaging.get_rpc_client(
        transport, target(conf), serializer=context.ContextSerializer(),
        timeout=timeout or conf.registry.rpc_timeout, version_cap=conf.registry.version_cap,
        retry=SEND_RETRIES)


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


def close_transport(transport, timeout=CLOSE_TIMEOUT_SECONDS):
    """``transport.cleanup()``, given up after ``timeout`` seconds; for a daemon that exits.

    While the broker is unreachable the cleanup may wait without bound: closing a connection
    joins its heartbeat thread, which may sleep for up to rabbit_interval_max seconds between
    reconnect attempts (forever, for connections that retry without bound, such as the
    registry's reply connections or a reply queue still being set up).
    """
    closing = threading.Thread(target=transport.cleanup, name='rpc-transport-close',
                               daemon=True)
    closing.start()
    closing.join(timeout)
    if closing.is_alive():
        LOG.warning('The RPC transport did not close within %s seconds (is the message bus '
                    'reachable?); exiting without waiting for it.', timeout)


class ReplyQueue:
    """The queue a transport's RPC replies come back on, set up in a thread of its own.

    oslo.messaging declares it during the first call, retrying the broker without bound while
    holding a lock every later call waits for: an api worker whose first request arrives while
    RabbitMQ is down would hang all its threads until the broker returns. Set up here in the
    background, each call waits for it no longer than its own timeout.
    """

    def __init__(self, transport):
        self._ready = threading.Event()
        # Drivers other than the AMQP ones have no reply queue to wait for.
        _, set_up = messaging_internals(transport)
        if set_up is None:
            self._ready.set()
            return
        threading.Thread(target=self._set_up, args=(set_up,), name='rpc-reply-queue',
                         daemon=True).start()

    def _set_up(self, set_up):
        try:
            set_up()
        except Exception:
            # The first call tries again and reports what is wrong.
            LOG.exception('Could not set up the RPC reply queue')
        finally:
            self._ready.set()

    def wait(self, timeout):
        """Return once replies can be received; MessagingTimeout after ``timeout`` seconds."""
        if not self._ready.wait(timeout):
            raise oslo_messaging.MessagingTimeout(
                'The message bus was not reachable within %s seconds.' % timeout)
