"""The thread that removes the partial data of uploads whose api worker died.

A worker killed mid-upload leaves its ``*.partial`` file behind; the registry returns the
image to queued once the upload's lease passes, and this sweeper, run in every api worker,
removes the file once it has not been written to for the lease plus one sweep interval: a
live upload writes all the time, a dead one never again. It sweeps when the worker starts
and then every ``[glance_store] filesystem_store_partial_sweep_interval`` seconds.
"""

import logging

from common import sweeper

LOG = logging.getLogger(__name__)


class PartialSweeper(sweeper.Sweeper):
    thread_name = 'partial-upload-sweeper'

    def __init__(self, store, max_age, interval):
        super().__init__(interval)
        self._store = store
        self.max_age = max_age

    def sweep_once(self):
        """One sweep; -> the names of the files removed. Never raises."""
        try:
            return self._store.remove_stale_partials(self.max_age)
        except Exception:
            LOG.exception('Sweep of partial uploads in %s failed; trying again in %d s.',
                          getattr(self._store, 'datadir', self._store), self.interval)
            return []


def start(conf, store):
    """A started sweeper for ``store`` per glance-api's ``conf``; None if it needs none.

    Call it once per worker process, after fork: a thread started before the fork would
    not run in the worker.
    """
    interval = conf.glance_store.filesystem_store_partial_sweep_interval
    if interval <= 0 or not hasattr(store, 'remove_stale_partials'):
        return None
    partial_sweeper = PartialSweeper(store, conf.upload_lease_seconds + interval, interval)
    partial_sweeper.start()
    return partial_sweeper


def start_all(conf, stores):
    """A started sweeper for each store of the catalog ``stores`` that leaves partial files
    (every filesystem backend); -> the list of them."""
    return [sweeper for sweeper in (start(conf, store) for store in stores.all())
            if sweeper is not None]
