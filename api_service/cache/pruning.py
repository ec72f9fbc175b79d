"""Keeping the cache in bounds: prune (least recently used first, down to
image_cache_max_size) and clean (stalled incomplete copies, copies of images that are no
longer active, records whose file is gone)."""

import logging
import threading

from common import exceptions
from common import states

LOG = logging.getLogger(__name__)

_PRUNE_LOCK = threading.Lock()


def prune(cache):
    """Remove least recently used copies until the cache fits image_cache_max_size;
    -> (files removed, bytes removed)."""
    limit = cache.conf.image_cache_max_size
    with _PRUNE_LOCK:
        entries = cache.disk.entries()
        total = sum(e['size'] for e in entries)
        files = freed = 0
        removed = []
        for entry in sorted(entries, key=lambda e: (e['last_accessed'], e['image_id'])):
            if total <= limit:
                break
            if cache.disk.remove(entry['image_id']):
                files += 1
                freed += entry['size']
                removed.append(entry['image_id'])
            total -= entry['size']
    if removed:
        LOG.info('Pruned %d cached images (%d bytes) to stay under %d bytes.',
                 files, freed, limit)
        try:
            cache.records.removed(removed)
        except Exception as exc:
            LOG.warning('Pruned cached images, but their records stay until the next '
                        'clean: %s', exc)
    return files, freed


def prune_if_over(cache):
    if cache.disk.total_size() > cache.conf.image_cache_max_size:
        prune(cache)


def clean(cache, stall_time=None):
    """-> {'stalled', 'invalid', 'records'}: what was removed."""
    stall_time = cache.conf.image_cache_stall_time if stall_time is None else stall_time
    stalled = cache.disk.remove_stalled(stall_time)
    invalid = []
    for entry in cache.disk.entries():
        image_id = entry['image_id']
        try:
            image = cache.registry.image_get(cache.records._context(), image_id=image_id)
        except exceptions.ImageNotFound:
            image = None
        if image is None or image['status'] != states.ACTIVE:
            cache.disk.remove(image_id)
            invalid.append(image_id)
    on_disk = {e['image_id']: e for e in cache.disk.entries()}
    recorded = {r['image_id'] for r in cache.records.listed()}
    orphans = [image_id for image_id in recorded if image_id not in on_disk]
    gone = invalid + orphans
    if gone:
        cache.records.removed(gone)
    # Copies whose record was never made (the registry was away when they were published).
    missing = [e for image_id, e in on_disk.items() if image_id not in recorded]
    for entry in missing:
        cache.records.added(entry['image_id'], entry['size'], now=entry['last_modified'])
    return {'stalled': stalled, 'invalid': len(invalid), 'records': len(orphans),
            'recorded': len(missing)}
