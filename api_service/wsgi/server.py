"""``glance-api``: parse the configuration, then serve the app under gunicorn gthread workers."""

import logging
import sys

# At module load, in the master: workers inherit the import and never do it in a request.
import oslo_messaging  # noqa: F401
from gunicorn.app import base as gunicorn_base
from oslo_config import cfg

from api_service import config
from api_service import config_audit
from api_service import exceptions
from api_service.http import app_parts
from api_service.imports import staging_sweeper
from api_service.stores import partial_sweeper
from api_service.wsgi import app as app_module
from api_service.wsgi import worker_deaths
from common import fatal

LOG = logging.getLogger(__name__)

# gthread workers heartbeat from their main loop, so a long transfer does not trip this;
# it only bounds a worker that stopped responding altogether.
WORKER_TIMEOUT = 900
# On SIGTERM, workers stop accepting and finish in-flight requests for up to this long; the
# master then kills what is left. An upload cut that way is cleaned up like one whose worker
# died: the master hands it back at once (worker_deaths.py), and failing that the registry's
# lease sweep and the store's partial sweeper do.
GRACEFUL_TIMEOUT = 120


def bind_address(host, port):
    return '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)


class GunicornServer(gunicorn_base.BaseApplication):
    def __init__(self, conf):
        self.conf = conf
        super().__init__()

    def load_config(self):
        address = bind_address(self.conf.bind_host, self.conf.bind_port)
        deaths = worker_deaths.WorkerDeaths(self.conf)

        def when_ready(server):
            LOG.info('glance-api listening on %s', address)

        def post_worker_init(worker):
            # Each worker sweeps the store for partial data of uploads whose worker died
            # (one such worker may be the one this one replaces).
            rt = worker.wsgi.extensions[app_parts.EXTENSION_KEY]
            partial_sweeper.start_all(rt.conf, rt.stores)
            # And the staging area, for staged data no import waits for.
            staging_sweeper.start(rt.conf, rt.registry)

        def worker_exit(server, worker):
            # Closing the message-bus connection lets the worker exit in about a second
            # after SIGTERM instead of several while oslo.messaging's threads wind down.
            if getattr(worker, 'wsgi', None) is not None:
                app_module.close_app(worker.wsgi)

        def child_exit(server, worker):
            # In the master, as soon as it has reaped a worker, whatever killed it: the
            # worker's uploads go back to queued and its partial files go, in a thread.
            deaths.worker_exited(worker.pid)

        def pre_fork(server, worker):
            # No worker is forked while a release is talking to the message bus.
            deaths.wait()

        settings = {
            'bind': [address],
            'workers': self.conf.workers,
            'threads': self.conf.threads,
            # gthread, answering requests gunicorn cannot parse in the API's JSON error shape.
            'worker_class': 'api_service.wsgi.gunicorn_worker.JsonErrorWorker',
            # Each worker builds the app (and its AMQP connection) after fork.
            'preload_app': False,
            'timeout': WORKER_TIMEOUT,
            'graceful_timeout': GRACEFUL_TIMEOUT,
            'proc_name': 'glance-api',
            'when_ready': when_ready,
            'post_worker_init': post_worker_init,
            'worker_exit': worker_exit,
            'child_exit': child_exit,
            'pre_fork': pre_fork,
        }
        if 'control_socket_disable' in self.cfg.settings:
            # gunicorn >= 25.1 opens a control socket in $HOME by default; several
            # instances on one host would fight over it, and nothing here uses it.
            settings['control_socket_disable'] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        return app_module.create_app(self.conf)


def main(argv=None):
    try:
        conf = config.load(sys.argv[1:] if argv is None else argv)
    except cfg.Error as exc:
        # Before logging is set up: a file that does not parse, a bad value.
        sys.stderr.write('%s: %s\n' % (config.PROG, exc))
        return 1
    config_audit.audit(conf, LOG)
    try:
        app_module.check_config(conf)
    except (exceptions.ConfigurationError, cfg.Error) as exc:
        failure = str(exc)
    else:
        # gunicorn reports its own failures (address in use, a worker that cannot boot) on
        # stderr, its error log, and exits non-zero.
        GunicornServer(conf).run()
        return 0
    fatal.report(config.PROG, failure, LOG)
    return 1


if __name__ == '__main__':
    sys.exit(main())
