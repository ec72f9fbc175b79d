"""glance-scrubber: scrub once (cron), as a daemon (--daemon), or restore an image.

    glance-scrubber [--config-file glance-scrubber.conf]              one run, then exit
    glance-scrubber --daemon                                          a run every wakeup_time
    glance-scrubber --restore IMAGE_ID                                pending_delete -> active

Exit status: 0 done; 1 the registry could not be reached or a removal failed (the failed
data stays queued for the next run), or the restore was refused; 2 bad configuration.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from api_service import exceptions as api_exceptions
from api_service.stores import catalog
from common import exceptions
from common import fatal
from common import signals
from common.rpc import client as rpc_client
from scrubber_service import config
from scrubber_service import config_audit
from scrubber_service import scrubber as scrubber_module

LOG = logging.getLogger(__name__)
PROG = config.PROG


def run_once(scrubber):
    """One run, logged; -> True when it went through without a failure."""
    try:
        result = scrubber.run_once()
    except exceptions.RegistryUnavailable as exc:
        fatal.report(PROG, 'cannot reach glance-registry (%s); nothing was scrubbed, the '
                     'queue is left for the next run.' % exc, LOG)
        return False
    except exceptions.GlimpseError as exc:
        fatal.report(PROG, 'the registry refused the scrub: %s: %s'
                     % (type(exc).__name__, exc), LOG)
        return False
    LOG.info('Scrub run done: %d removed (%d images now deleted), %d failed and left '
             'for the next run.', result.removed, result.images_deleted, result.failed)
    return result.failed == 0


def restore(scrubber, image_id):
    try:
        image = scrubber.restore(image_id)
    except exceptions.RegistryUnavailable as exc:
        fatal.report(PROG, 'cannot reach glance-registry (%s); image %s not restored.'
                     % (exc, image_id), LOG)
        return 1
    except exceptions.GlimpseError as exc:
        fatal.report(PROG, 'image %s not restored: %s' % (image_id, exc), LOG)
        return 1
    LOG.info('Image %s restored to %s.', image['id'], image['status'])
    print('Image %s restored to %s.' % (image['id'], image['status']))
    return 0


def main(argv=None):
    try:
        conf = config.load(sys.argv[1:] if argv is None else argv)
    except cfg.Error as exc:
        sys.stderr.write('%s: %s\n' % (PROG, exc))
        return 2
    config_audit.audit(conf, LOG)
    try:
        stores = catalog.from_config(conf)
    except api_exceptions.ConfigurationError as exc:
        fatal.report(PROG, str(exc), LOG)
        return 2
    registry = rpc_client.RegistryClient(conf)
    try:
        scrubber = scrubber_module.Scrubber.from_conf(conf, registry, stores)
        if conf.restore:
            return restore(scrubber, conf.restore)
        if not conf.daemon:
            return 0 if run_once(scrubber) else 1
        stopping = signals.stop_on_signals(LOG, 'stopping after the run in progress.')
        LOG.info('glance-scrubber running every %d s (scrub_time %d s, %d threads).',
                 conf.wakeup_time, conf.scrub_time, conf.scrub_pool_size)
        while not stopping.is_set():
            run_once(scrubber)
            # Short waits: the signal handler runs in this (main) thread between them.
            for _ in range(conf.wakeup_time):
                if stopping.wait(1):
                    break
        LOG.info('glance-scrubber stopped')
        return 0
    finally:
        registry.close()


if __name__ == '__main__':
    sys.exit(main())
