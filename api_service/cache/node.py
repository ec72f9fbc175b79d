"""This node's image cache as the api uses it: the download hook, eviction, the queue.

Built by create_app() when ``[DEFAULT] image_cache_dir`` is set (``from_config``) and kept
on the Runtime; the download path calls ``open_for_download`` once per GET /file, after the
registry said the image is active and the caller may have it, so a deleted or deactivated
image is never served from here.
"""

import logging
import os
import queue
import socket
import threading

from api_service import exceptions as api_exceptions
from api_service.cache import disk
from api_service.cache import pruning
from api_service.cache import records as cache_records
from api_service.services import download
from common import context
from common import states

LOG = logging.getLogger(__name__)


def node_reference(conf):
    """``worker_self_reference_url``, else http://<bind host or this host>:<bind port>."""
    if conf.worker_self_reference_url:
        return conf.worker_self_reference_url.rstrip('/')
    host = conf.bind_host
    if host in ('0.0.0.0', '::', ''):
        host = socket.getfqdn()
    if ':' in host:
        host = '[%s]' % host
    return 'http://%s:%d' % (host, conf.bind_port)


def service_context():
    """The context of the cache's own registry calls (records, the queue's fetches)."""
    return context.RequestContext(user_id='glance-api-cache', is_admin=True,
                                  overwrite=False)


class NodeCache:
    def __init__(self, conf, registry, stores, directory=None):
        self.conf = conf
        self.registry = registry
        self.stores = stores
        self.node = node_reference(conf)
        self.records = cache_records.Records(registry, self.node, service_context)
        self.disk = disk.DiskCache(directory or conf.image_cache_dir,
                                   on_published=self._published)
        self._fetches = None
        self._lock = threading.Lock()

    # -- the download path ------------------------------------------------------------

    def open_for_download(self, image, whole, open_store):
        """-> (file, size) for a download of ``image``: the cached copy when there is one,
        else for the ``whole`` image the store's data (``open_store()``: all of it, as a
        file-like object) through a cache fill; None when the cache has nothing to do with
        it (a range of an uncached image, an image that is not active). No RPC call here:
        a hit is counted locally."""
        image_id = image['id']
        if image['status'] != states.ACTIVE:
            # An admin's download of a deactivated image: from the store, and no copy
            # is kept for it.
            self.evict(image_id)
            return None
        cached = self.disk.open_cached(image_id, image.get('size'))
        if cached is not None:
            self.records.hit(image_id)
            return cached
        if not whole:
            return None
        if (image.get('size') or 0) > self.conf.image_cache_max_size:
            # It would only push everything else out and then go itself.
            return None
        f, size = open_store()
        fill = self.disk.start_fill(image_id, size, image.get('checksum'), reopen=open_store)
        if fill is None:
            return f, size
        return disk.FillingReader(f, fill, size), size

    def _published(self, image_id, size):
        self.records.added(image_id, size)
        pruning.prune_if_over(self)

    # -- eviction ---------------------------------------------------------------------

    def evict(self, image_id, record=True):
        """Remove the cached copy and queue entry of ``image_id``; -> whether it was cached."""
        self.disk.remove_queued(image_id)
        removed = self.disk.remove(image_id)
        if removed and record:
            self.records.removed([image_id])
        return removed

    # -- the queue (PUT /v2/cache/{id}) ------------------------------------------------

    def queue(self, image_id):
        """Queue ``image_id`` for caching on this node; a thread of this worker fetches it."""
        if self.disk.queue(image_id):
            self._fetcher().put(image_id)

    def _fetcher(self):
        with self._lock:
            if self._fetches is None:
                self._fetches = queue.Queue()
                threading.Thread(target=self._fetch_loop, name='cache-prefetch',
                                 daemon=True).start()
            return self._fetches

    def _fetch_loop(self):
        while True:
            image_id = self._fetches.get()
            try:
                self.fetch(image_id)
            except Exception as exc:
                LOG.warning('Caching queued image %s failed: %s', image_id, exc)
            finally:
                self.disk.remove_queued(image_id)

    def fetch(self, image_id):
        """Read the image from its store into the cache; -> the fill's result or None."""
        image = self.registry.image_get(service_context(), image_id=image_id, internal=True)
        location = image.get('location')
        if image['status'] != states.ACTIVE or not location or self.disk.is_cached(image_id):
            return None
        store = self.stores.for_location(location, image.get('store_id'))
        f, size = download.open_whole(store, location)
        fill = self.disk.start_fill(image_id, size, image.get('checksum'))
        if fill is None:
            f.close()
            return None
        reader = disk.FillingReader(f, fill, size)
        chunk = self.conf.glance_store.filesystem_store_chunk_size
        try:
            while True:
                data = reader.read(chunk)
                if not data:
                    break
                # A prefetch may wait for its writer: no client is waiting for it.
                if not fill.wait_for_room():
                    break
        finally:
            reader.close()
        return fill.wait()

    def close(self):
        self.records.close()


def from_config(conf, registry, stores):
    """The node's cache, or None without image_cache_dir; ConfigurationError when the
    directory cannot be made or written."""
    if not conf.image_cache_dir:
        return None
    try:
        os.makedirs(conf.image_cache_dir, exist_ok=True)
        cache = NodeCache(conf, registry, stores)
    except OSError as exc:
        raise api_exceptions.ConfigurationError(
            'image_cache_dir = %s cannot be used: %s' % (conf.image_cache_dir, exc)) from exc
    if not os.access(conf.image_cache_dir, os.W_OK | os.X_OK):
        raise api_exceptions.ConfigurationError(
            'image_cache_dir = %s is not writable by glance-api.' % conf.image_cache_dir)
    return cache
