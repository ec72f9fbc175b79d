"""The registry's record of what this node caches (upstream's centralized_db driver): one
row per node and image with its size, hits and times, so GET /v2/cache/nodes/{id} can say
which nodes hold an image.

A download served from the cache makes no RPC call: its hit is counted here and a thread
sends the counts every FLUSH_SECONDS (and before the cache is listed or pruned). The files
stay the truth of what is cached; a record that lost its file is dropped by a clean.
"""

import logging
import threading
import time

LOG = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0


class Records:
    def __init__(self, registry, node, make_context):
        self.registry = registry
        self.node = node
        self._context = make_context
        self._pending = {}   # image id -> [hits, last accessed (epoch seconds)]
        self._lock = threading.Lock()
        self._flusher = None
        self._stop = threading.Event()

    # -- the hot path: no RPC ---------------------------------------------------------

    def hit(self, image_id, now=None):
        with self._lock:
            entry = self._pending.setdefault(image_id, [0, 0.0])
            entry[0] += 1
            entry[1] = time.time() if now is None else now
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop,
                                                 name='cache-hits', daemon=True)
                self._flusher.start()

    def _flush_loop(self):
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception as exc:
                LOG.warning('Could not send cache hits to the registry (kept for the next '
                            'try): %s', exc)

    def flush(self):
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            self.registry.cache_record_hits(
                self._context(), node_reference=self.node,
                hits=[[image_id, n, at] for image_id, (n, at) in pending.items()])
        except Exception:
            with self._lock:
                for image_id, (n, at) in pending.items():
                    entry = self._pending.setdefault(image_id, [0, 0.0])
                    entry[0] += n
                    entry[1] = max(entry[1], at)
            raise

    # -- changes ----------------------------------------------------------------------

    def added(self, image_id, size, now=None):
        self.registry.cache_record_add(self._context(), node_reference=self.node,
                                       image_id=image_id, size=size,
                                       last_modified=time.time() if now is None else now)

    def removed(self, image_ids=None):
        """Drop the records of ``image_ids`` on this node (None: all); -> how many."""
        with self._lock:
            for image_id in image_ids or list(self._pending):
                self._pending.pop(image_id, None)
        return self.registry.cache_record_remove(self._context(), node_reference=self.node,
                                                 image_ids=image_ids)['removed']

    # -- reading ----------------------------------------------------------------------

    def listed(self):
        """-> this node's records, with this worker's hits sent first."""
        try:
            self.flush()
        except Exception as exc:
            LOG.warning('Could not send cache hits to the registry: %s', exc)
        return self.registry.cache_record_list(self._context(), node_reference=self.node)

    def nodes(self, image_id):
        return self.registry.cache_node_list(self._context(), image_id=image_id)

    def close(self):
        self._stop.set()
        try:
            self.flush()
        except Exception as exc:
            LOG.warning('Cache hits not sent to the registry at exit: %s', exc)
