"""GET (and HEAD) /healthcheck: is this api able to reach a registry right now?

Answers like oslo.middleware's healthcheck: 200 with the text ``OK`` (204 for HEAD) when a
registry answers a ping within PROBE_TIMEOUT seconds, 503 otherwise. It needs no
credentials, so load balancers can poll it.
"""

import concurrent.futures
import logging
import threading

import flask

from api_service.http import app_parts

LOG = logging.getLogger(__name__)

blueprint = flask.Blueprint('health', __name__)

# Well below any registry rpc_timeout: a balancer wants a quick answer, not a hung check.
PROBE_TIMEOUT = 2.0
EXTENSION_KEY = 'glimpse.healthcheck'


class RegistryProbe:
    """At most one ping in flight per app; checks that arrive meanwhile share its answer.

    The ping itself is bounded only by the registry client's rpc_timeout, longer than a
    check may wait, so it runs in a daemon thread the check stops waiting for. Sharing it
    keeps a balancer polling a dead registry from piling up one thread per check.
    """

    def __init__(self, registry):
        self._registry = registry
        self._lock = threading.Lock()
        self._pending = None

    def _run(self, future, ctxt):
        try:
            future.set_result(self._registry.ping(ctxt))
        except BaseException as exc:
            future.set_exception(exc)

    def ping(self, ctxt, timeout):
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = concurrent.futures.Future()
                threading.Thread(target=self._run, args=(self._pending, ctxt),
                                 name='healthcheck-ping', daemon=True).start()
            pending = self._pending
        return pending.result(timeout=timeout)


def _probe():
    extensions = flask.current_app.extensions
    if EXTENSION_KEY not in extensions:
        extensions.setdefault(EXTENSION_KEY, RegistryProbe(app_parts.current().registry))
    return extensions[EXTENSION_KEY]


def _reply(healthy, text):
    if flask.request.method == 'HEAD':
        return flask.Response(status=204 if healthy else 503)
    return flask.Response(text, status=200 if healthy else 503, mimetype='text/plain')


@blueprint.route('/healthcheck', methods=['GET', 'HEAD'])
def healthcheck():
    try:
        answer = _probe().ping(app_parts.request_context(), PROBE_TIMEOUT)
    except concurrent.futures.TimeoutError:
        return _reply(False, 'registry did not answer within %g seconds' % PROBE_TIMEOUT)
    except Exception as exc:
        LOG.warning('Health check failed: %s', getattr(exc, 'msg', None) or exc)
        return _reply(False, 'registry unreachable')
    return _reply(bool(answer and answer.get('ok')), 'OK')
