#!/usr/bin/env python3
"""glance-registry and glance-api in ONE process, for trying Glimpse without a message broker.

    python tools/allinone.py --state-dir .state [--host 127.0.0.1] [--port 9292]
                             [--config-file extra.conf] [--debug]

The registry and the api talk over oslo.messaging's in-process `kombu+memory:////` transport,
the database is SQLite in the state directory (migrated on start), images go to a filesystem
store under it, and requests are served by a threaded WSGI server. Not for production: it is
one process with one writer and no gunicorn; deploy the two daemons instead (see README.md).
"""

import argparse
import logging
import pathlib
import signal
import sys
import threading

from oslo_config import cfg
from oslo_log import log as oslo_logging
from werkzeug import serving

from api_service import config as api_config
from api_service.wsgi import app as api_app
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport
from registry_service import config as registry_config
from registry_service import server as registry_server
from registry_service.db import migration

MEMORY_TRANSPORT_URL = 'kombu+memory:////'
LOG = oslo_logging.getLogger('glimpse.allinone')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--state-dir', required=True, type=pathlib.Path,
                        help='directory for the SQLite database, the images and the log')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
    parser.add_argument('--port', type=int, default=9292, help='TCP port to listen on')
    # Everything else (--config-file, --debug, --log-file ...) goes to oslo.config.
    return parser.parse_known_args(argv)


def build_conf(state_dir, oslo_args):
    conf = cfg.ConfigOpts()
    api_config.register_opts(conf)
    registry_config.register_opts(conf)
    # Defaults, so an extra --config-file may still choose otherwise; the transport is not
    # negotiable: only the in-memory one works without a broker.
    conf.set_default('connection', f'sqlite:///{state_dir / "glance.sqlite"}', group='database')
    conf.set_default('filesystem_store_datadir', str(state_dir / 'images'),
                     group='glance_store')
    conf.set_default('log_file', str(state_dir / 'allinone.log'))
    conf(oslo_args, project='glance', prog='glimpse-allinone', default_config_files=[])
    conf.set_override('transport_url', MEMORY_TRANSPORT_URL)
    return conf


def serve(conf, host, port):
    """Run until SIGINT or SIGTERM; returns the exit status."""
    migration.upgrade(conf.database.connection)
    pathlib.Path(conf.glance_store.filesystem_store_datadir).mkdir(parents=True, exist_ok=True)

    transport = rpc_transport.get_transport(conf)
    rpc_server = registry_server.make_rpc_server(conf, transport, server_name='allinone')
    rpc_server.start()
    registry = rpc_client.RegistryClient(conf, transport)
    http_server = serving.make_server(host, port, api_app.create_app(conf, registry=registry),
                                      threaded=True)

    def stop(signum, frame):
        LOG.info('Signal %d received; stopping', signum)
        # shutdown() waits for serve_forever() to return, so not from the serving thread.
        threading.Thread(target=http_server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOG.info('Serving the Images API on http://%s:%d (registry in-process)', host, port)
    try:
        http_server.serve_forever()
    finally:
        http_server.server_close()
        rpc_server.stop()
        rpc_server.wait()
        rpc_server.registry_database.dispose()
        transport.cleanup()
    return 0


def main(argv=None):
    args, oslo_args = parse_args(sys.argv[1:] if argv is None else argv)
    state_dir = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    conf = build_conf(state_dir, oslo_args)
    oslo_logging.setup(conf, 'glimpse-allinone')
    # The werkzeug request log is noise next to the api's own log lines.
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    return serve(conf, args.host, args.port)


if __name__ == '__main__':
    sys.exit(main())
