"""The thread that returns abandoned uploads to queued once their lease has passed.

An api worker that dies mid-upload never calls abort_upload; its image would stay in
``saving`` for good. glance-registry runs one LeaseSweeper beside its RPC server: it calls
uploads.expire_leases() at start and then every ``[DEFAULT] upload_sweep_interval``
seconds, on the same database as the RPC endpoint.
"""

import threading

from oslo_log import log as logging

from registry_service import uploads

LOG = logging.getLogger(__name__)


class LeaseSweeper:
    def __init__(self, database, interval):
        self._db = database
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = None

    def sweep_once(self):
        """One sweep; -> the images it returned to queued. Never raises."""
        try:
            expired = uploads.expire_leases(self._db)
        except Exception as exc:
            # A database that is away now may be back at the next sweep; the thread must
            # outlive it.
            LOG.warning('Sweep for abandoned uploads failed, trying again in %d s: %s',
                        self.interval, exc)
            return []
        for image in expired:
            LOG.warning('Upload of image %s (owner %s) abandoned: its lease passed at %s '
                        'without renewal; the image is queued again.', image['id'],
                        image['owner'], image['upload_expires_at'])
        return expired

    def _run(self):
        self.sweep_once()
        while not self._stopping.wait(self.interval):
            self.sweep_once()

    def start(self):
        # A daemon thread: should stop() never be reached, it cannot keep the process alive.
        self._thread = threading.Thread(target=self._run, name='upload-lease-sweeper',
                                        daemon=True)
        self._thread.start()
        LOG.info('Sweeping for abandoned uploads every %d s.', self.interval)

    def stop(self, timeout=None):
        """Ask the thread to stop and wait for the sweep in progress, if any, to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start(conf, database):
    """A started LeaseSweeper per the configuration; None when the sweep is disabled."""
    if conf.upload_sweep_interval <= 0:
        LOG.warning('upload_sweep_interval = 0: images whose upload was abandoned stay in '
                    '"saving" until deleted.')
        return None
    sweeper = LeaseSweeper(database, conf.upload_sweep_interval)
    sweeper.start()
    return sweeper
