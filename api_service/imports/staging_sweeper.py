"""The thread that removes staged data no image waits for any more.

A stage or an import that fails removes its data itself; what a crash (a killed worker, a
lost host) leaves is found here: every staged file whose image is deleted, or neither
uploading, importing nor under an import lock (glance-registry's staged_images), and
untouched for upload_lease_seconds, is removed. Each api worker sweeps at start and then
every [glance_store] filesystem_store_partial_sweep_interval seconds (0: never), as the
partial-upload sweeper.
"""

import logging
import os
import time

from api_service.imports import staging as staging_mod
from common import context
from common import sweeper

LOG = logging.getLogger(__name__)


class StagingSweeper(sweeper.Sweeper):
    thread_name = 'staging-sweeper'

    def __init__(self, staging, registry, min_age, interval, clock=time.time):
        super().__init__(interval)
        self.staging = staging
        self.registry = registry
        self.min_age = min_age
        self._clock = clock

    def _old_enough(self, image_id):
        datadir = self.staging.store.datadir
        now = self._clock()
        try:
            names = [n for n in os.listdir(datadir)
                     if n == image_id or n.startswith(image_id + '.')]
            return all(now - os.stat(os.path.join(datadir, n)).st_mtime >= self.min_age
                       for n in names)
        except OSError:
            return False

    def sweep_once(self):
        """One sweep; -> the image ids whose staged data went. Never raises."""
        try:
            candidates = sorted(i for i in self.staging.image_ids() if self._old_enough(i))
            if not candidates:
                return []
            admin = context.RequestContext(is_admin=True, roles=['admin'],
                                           project_id=None)
            waiting = self.registry.staged_images(admin, image_ids=candidates)
            removed = [i for i in candidates if i not in waiting]
            for image_id in removed:
                LOG.info('Removing the staged data of image %s: no import waits for it.',
                         image_id)
                self.staging.remove_all_of(image_id)
            return removed
        except Exception as exc:
            LOG.warning('Sweep of the staging area failed, trying again in %d s: %s',
                        self.interval, exc)
            return []


def start(conf, registry, staging=None):
    """A started sweeper per ``conf`` (None when the interval is 0). Call it after fork."""
    interval = conf.glance_store.filesystem_store_partial_sweep_interval
    if interval <= 0:
        return None
    staging = staging or staging_mod.Staging(conf)
    swept = StagingSweeper(staging, registry, conf.upload_lease_seconds + interval, interval)
    swept.start()
    return swept
