"""glance-registry: serves the registry RPC contract from the image database."""

import os
import socket
import sys
import threading

from oslo_config import cfg
from oslo_log import log as logging

from common import fatal
from common import signals
from common import version
from common.rpc import transport as rpc_transport
from registry_service import config
from registry_service import config_audit
from registry_service import endpoint
from registry_service import lease_sweeper
from registry_service.db import migration
from registry_service.db import session as db_session
from registry_service.db import urls as db_urls

LOG = logging.getLogger(__name__)


def default_server_name():
    # Unique per process: several registries may run on one host, all on one topic.
    return '%s.%d' % (socket.gethostname(), os.getpid())


def make_rpc_server(conf, transport, server_name=None, database=None):
    """An unstarted RPC server whose endpoint uses the database in [database] connection.

    The endpoint's Database is reachable as ``server.registry_database`` so the caller can
    dispose of its connections after ``server.wait()``.
    """
    config.register_opts(conf)
    database = database or db_session.Database.from_conf(conf)
    server = rpc_transport.get_server(conf, transport, [endpoint.RegistryEndpoint(database)],
                                      server_name=server_name or default_server_name())
    server.registry_database = database
    return server


def check_database(url):
    """Raise fatal.StartupError unless the image database can be opened and is at head."""
    try:
        db_urls.resolve(url)
    except (db_urls.MissingDriver, db_urls.BadUrl) as exc:
        raise fatal.StartupError(str(exc)) from exc
    try:
        current, head = migration.current(url), migration.head()
    except Exception as exc:
        raise fatal.StartupError('Cannot read the schema version of the image database: %s'
                                 % exc) from exc
    if current != head:
        raise fatal.StartupError(
            'The image database is at schema revision %s, this glance-registry needs %s; '
            'run "glance-manage db sync" first. Not starting.' % (current or 'base', head))


# How long a stopping registry waits for the calls in progress. A call's reply cannot leave
# while the broker is down (oslo.messaging retries it without end), and by then the api has
# long given up on it (rpc_timeout); systemd's own stop timeout is longer than this.
STOP_TIMEOUT = 60


def stop_within(server, sweeper, timeout):
    """Stop serving and wait for the calls in progress; False if that took over TIMEOUT s."""
    def stop():
        server.stop()
        if sweeper is not None:
            # Lets a sweep in progress commit before the connections are disposed of.
            sweeper.stop()
        server.wait()

    stopper = threading.Thread(target=stop, name='registry-stop', daemon=True)
    stopper.start()
    stopper.join(timeout)
    return not stopper.is_alive()


PROG = 'glance-registry'


def main(argv=None):
    conf = cfg.CONF
    config.register_opts(conf)
    logging.register_options(conf)
    try:
        conf(sys.argv[1:] if argv is None else argv, project='glance', prog=PROG,
             version=version.version_string())
    except cfg.Error as exc:
        # Before logging is set up: a file that does not parse, a bad value.
        sys.stderr.write('%s: %s\n' % (PROG, exc))
        return 1
    logging.setup(conf, PROG)
    try:
        return _serve(conf)
    except fatal.StartupError as exc:
        failure, trace = str(exc), False
    except Exception as exc:
        failure, trace = 'cannot start: %s' % exc, (type(exc), exc, exc.__traceback__)
    # Outside the except block: oslo.log would append the exception being handled.
    fatal.report(PROG, failure, LOG, exc_info=trace)
    return 1


def _serve(conf):
    config_audit.audit(conf, LOG)
    check_database(conf.database.connection)
    stopping = signals.stop_on_signals(LOG, 'finishing the calls in progress.')
    transport = rpc_transport.get_transport(conf)
    server_name = default_server_name()
    server = make_rpc_server(conf, transport, server_name=server_name)
    server.start()
    sweeper = lease_sweeper.start(conf, server.registry_database)
    LOG.info('glance-registry serving topic %s as %s', conf.registry.topic, server_name)
    # Sleep in short waits: the signal handler runs in this (main) thread between them.
    while not stopping.wait(1):
        pass
    if not stop_within(server, sweeper, STOP_TIMEOUT):
        LOG.error('glance-registry: calls still in progress after %d s (is the broker '
                  'down?); exiting without them', STOP_TIMEOUT)
        # The RPC executor's threads would hold the interpreter's exit.
        os._exit(1)
    server.registry_database.dispose()
    rpc_transport.close_transport(transport)
    LOG.info('glance-registry stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
