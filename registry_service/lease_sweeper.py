"""The thread that returns abandoned uploads to queued once their lease has passed, and
fails the tasks whose glance-api worker died (registry_service/tasks.py:sweep).

An api worker that dies mid-upload never calls abort_upload; its image would stay in
``saving`` for good. glance-registry runs one LeaseSweeper beside its RPC server: it calls
uploads.expire_leases() at start and then every ``[DEFAULT] upload_sweep_interval``
seconds, on the same database as the RPC endpoint.
"""

from oslo_log import log as logging

from common import sweeper
from registry_service import tasks
from registry_service import uploads

LOG = logging.getLogger(__name__)


class LeaseSweeper(sweeper.Sweeper):
    thread_name = 'upload-lease-sweeper'

    def __init__(self, database, interval):
        super().__init__(interval)
        self._db = database

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
        self.sweep_tasks()
        return expired

    def sweep_tasks(self):
        """Fails the tasks whose lease passed, hides expired ones; never raises."""
        try:
            swept = tasks.sweep(self._db)
        except Exception as exc:
            LOG.warning('Sweep for abandoned tasks failed, trying again in %d s: %s',
                        self.interval, exc)
            return None
        for task in swept['failed']:
            LOG.warning('Task %s (owner %s) failed: the glance-api worker running it stopped '
                        'renewing its lease.%s', task['id'], task['owner'],
                        ' Its image %s is queued again.' % task['image_id']
                        if task['image_released'] else '')
        if swept['expired']:
            LOG.info('%d expired tasks are now deleted.', swept['expired'])
        return swept

    def start(self):
        super().start()
        LOG.info('Sweeping for abandoned uploads every %d s.', self.interval)


def start(conf, database):
    """A started LeaseSweeper per the configuration; None when the sweep is disabled."""
    if conf.upload_sweep_interval <= 0:
        LOG.warning('upload_sweep_interval = 0: images whose upload was abandoned stay in '
                    '"saving" until deleted.')
        return None
    lease_sweeper = LeaseSweeper(database, conf.upload_sweep_interval)
    lease_sweeper.start()
    return lease_sweeper
