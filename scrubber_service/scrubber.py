"""One scrubber run: take due data removals from the registry, remove the data, report back.

The registry keeps the queue (registry_service/scrubbing.py): the data of ``pending_delete``
images once ``scrub_time`` has passed, and data an immediate delete could not remove. A run
claims entries in batches (scrub_claim), removes each one's data with glance-api's store
code (api_service/services/deletion.py:remove_data) in ``scrub_pool_size`` threads, and
reports each result (scrub_finish): the registry then marks the image ``deleted``, or keeps
the entry with the failure's reason for the next run. Data already gone counts as removed,
so two scrubbers, or a scrubber that took over a dead one's claim, never fail on each
other's work.
"""

import dataclasses
import logging
from concurrent import futures

from api_service.services import deletion
from common import context

LOG = logging.getLogger(__name__)

# Entries taken from the registry at a time.
BATCH = 100


def admin_context():
    """The scrubber's own context: an admin of no project (the registry checks is_admin)."""
    return context.RequestContext(user_id='glance-scrubber', project_id=None,
                                  roles=['admin'], is_admin=True)


@dataclasses.dataclass
class RunResult:
    removed: int = 0
    failed: int = 0
    images_deleted: int = 0


class Scrubber:
    def __init__(self, registry, stores, scrub_time, pool_size, claim_seconds):
        self.registry = registry
        self.stores = stores
        self.scrub_time = scrub_time
        self.pool_size = pool_size
        self.claim_seconds = claim_seconds
        self.ctxt = admin_context()

    @classmethod
    def from_conf(cls, conf, registry, stores):
        return cls(registry, stores, conf.scrub_time, conf.scrub_pool_size,
                   conf.scrub_claim_time)

    def _scrub_one(self, entry):
        """Remove one entry's data and report it; -> (removed, image deleted now)."""
        image_id, location = entry['image_id'], entry['location']
        try:
            deletion.remove_data(self.stores, location, entry.get('store_id'))
        except Exception as exc:
            reason = '%s: %s' % (type(exc).__name__, exc)
            LOG.warning('Could not remove the data of image %s at %s (%s); it stays queued '
                        'for the next run.', image_id, location, reason)
            self.registry.scrub_finish(self.ctxt, deletion_id=entry['id'], error=reason)
            return False, False
        result = self.registry.scrub_finish(self.ctxt, deletion_id=entry['id'])
        deleted = entry['image_status'] == 'pending_delete' and \
            result.get('image_status') == 'deleted'
        LOG.info('Removed the data of image %s at %s%s.', image_id, location,
                 '; the image is now deleted' if deleted else '')
        return True, deleted

    def run_once(self):
        """Scrub every due entry once; -> RunResult.

        Batch after batch while batches come full; a batch with a failure ends the run,
        since a failure releases its entry and the next claim could hand it back at once
        (it waits for the next run, behind the entries that never failed). Registry errors
        (RegistryUnavailable, MessageBusUnavailable ...) propagate: the entries claimed so
        far are taken over by a later run once their claim passes.
        """
        result = RunResult()
        with futures.ThreadPoolExecutor(max_workers=self.pool_size,
                                        thread_name_prefix='scrubber') as pool:
            while True:
                batch = self.registry.scrub_claim(self.ctxt, scrub_time=self.scrub_time,
                                                  limit=BATCH,
                                                  claim_seconds=self.claim_seconds)
                failed_before = result.failed
                for removed, deleted in pool.map(self._scrub_one, batch):
                    result.removed += removed
                    result.failed += not removed
                    result.images_deleted += deleted
                if len(batch) < BATCH or result.failed > failed_before:
                    break
        return result

    def restore(self, image_id):
        """pending_delete -> active; -> the image."""
        return self.registry.image_restore(self.ctxt, image_id=image_id)
