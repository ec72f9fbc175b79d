"""In glance-api's master: when a worker dies, its uploads are handed back at once.

A worker killed mid-upload (SIGKILL, the kernel's OOM killer, a crash) never calls
abort_upload. Its uploads' leases would return their images to ``queued`` only once they
pass; gunicorn's master sees the death at once (its ``child_exit`` hook), and from there
WorkerDeaths, in a thread of its own so the master never waits on the message bus:

* removes the worker's partial files, which its worker tag names
  (api_service/stores/filesystem.py:FilesystemStore.remove_partials_of);
* asks the registry to return every image that worker held in ``saving`` to ``queued``
  (release_uploads, RPC 1.5, with the holder api_service/services/upload_claim.py names);
* removes the Swift segments of those images (api_service/stores/swift.py:
  SwiftStore.remove_segments): queued again, they have no data.

The master makes a registry client for each death and closes it right after, so nothing of
the message bus lives on in the master while it forks the next worker; pre_fork waits a few
seconds for a release in flight. If the registry cannot be reached (or [registry]
version_cap is below 1.5), the uploads' leases and the partial sweeper still undo them, as
they do when a whole host dies.
"""

import logging
import threading
import time

import oslo_messaging

from api_service.services import upload_claim
from api_service.stores import catalog
from common import context
from common.rpc import client as rpc_client

LOG = logging.getLogger(__name__)

# Seconds the master's release_uploads waits for the registry (its own, short timeout).
RPC_TIMEOUT = 5
# Seconds pre_fork waits for releases in flight before forking anyway.
WAIT_BEFORE_FORK = 5


class WorkerDeaths:
    def __init__(self, conf, make_client=None, make_stores=None):
        self._conf = conf
        self._make_client = make_client or (
            lambda: rpc_client.RegistryClient(conf, timeout=RPC_TIMEOUT))
        self._make_stores = make_stores or (lambda: catalog.from_config(conf))
        self._stores = None
        self._all_stores = None
        self._threads = []
        self._lock = threading.Lock()

    def worker_exited(self, pid):
        """Hand back what worker ``pid`` held, in a thread; -> the thread (started)."""
        thread = threading.Thread(target=self.release, args=(pid,), daemon=True,
                                  name='release-worker-%d' % pid)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def wait(self, timeout=WAIT_BEFORE_FORK):
        """Let the releases in flight end, for up to ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def release(self, pid):
        """-> (images handed back, partial files removed). Never raises."""
        removed = self._remove_partials(pid)
        released = self._release_uploads(pid)
        self._remove_segments(released)
        return released, removed

    def _remove_segments(self, released):
        """The segments the dead worker's uploads wrote to Swift (stores with
        ``remove_segments``): the images are queued again, so they are nobody's data."""
        try:
            stores = [store for store in self._make_stores_once().all()
                      if hasattr(store, 'remove_segments')]
        except Exception:
            LOG.exception('Could not make the stores to remove the segments of a dead '
                          'worker\'s uploads; the next upload of each image removes them.')
            return
        for image in released:
            for store in stores:
                if getattr(store, 'takes_context', False):
                    LOG.warning('Segments of the abandoned upload of image %s may remain in '
                                'its project\'s Swift account (store %s works with user '
                                'tokens); the next upload of the image removes them.',
                                image['id'], store.store_id)
                    continue
                try:
                    store.remove_segments(image['id'])
                except Exception as exc:
                    LOG.warning('Could not remove the segments of the abandoned upload of '
                                'image %s from store %s (%s); the next upload of the image '
                                'removes them.', image['id'], store.store_id, exc)

    def _make_stores_once(self):
        if self._all_stores is None:
            self._all_stores = self._make_stores()
        return self._all_stores

    def _stores_with_partials(self):
        if self._stores is None:
            self._stores = [store for store in self._make_stores_once().all()
                            if hasattr(store, 'remove_partials_of')]
        return self._stores

    def _remove_partials(self, pid):
        removed = []
        try:
            for store in self._stores_with_partials():
                removed.extend(store.remove_partials_of(upload_claim.worker_tag(pid)))
        except Exception:
            LOG.exception('Could not remove the partial uploads of dead worker %d; the '
                          'partial sweeper will.', pid)
        return removed

    def _release_uploads(self, pid):
        holder = upload_claim.holder(pid)
        client = None
        try:
            client = self._make_client()
            released = client.release_uploads(
                context.RequestContext(is_admin=True, overwrite=False), holder=holder)
        except oslo_messaging.RPCVersionCapError:
            LOG.info('Registry version cap below 1.5: the uploads of dead worker %d return '
                     'to queued when their leases pass.', pid)
            return []
        except Exception as exc:
            LOG.warning('Could not hand back the uploads of dead worker %d (%s); they '
                        'return to queued when their leases pass.', pid, exc)
            return []
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception as exc:
                    LOG.debug('Closing the release client: %s', exc)
        for image in released:
            LOG.warning('Upload of image %s (owner %s) abandoned: api worker %d died; the '
                        'image is queued again.', image['id'], image['owner'], pid)
        return released
