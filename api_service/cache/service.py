"""The work behind the /v2/cache API (upstream's cache API, v2.14 and v2.18), free of Flask.

Each call acts on the node that answers it (its own disk, its records in the registry),
as upstream's: a deployment with several api nodes behind a balancer reaches each node by
its own address (glance cache-* wants a direct endpoint for that reason).
"""

from api_service import exceptions as api_exceptions
from api_service.cache import pruning
from common import exceptions
from common import states

CLEAR_TARGETS = ('', 'cache', 'queue')


def state(cache):
    """GET /v2/cache: -> {'cached_images': [record], 'queued_images': [image id]}."""
    return {'cached_images': cache.records.listed(), 'queued_images': cache.disk.queued()}


def queue(cache, image):
    """PUT /v2/cache/{id}: only an active image can be cached."""
    if image['status'] != states.ACTIVE:
        raise api_exceptions.BadRequest('Only images with status active can be targeted '
                                        'for queueing')
    cache.queue(image['id'])


def holds(cache, image_id):
    return cache.disk.is_cached(image_id) or image_id in cache.disk.queued()


def delete(cache, image_id):
    """DELETE /v2/cache/{id}: the copy and the queue entry."""
    cache.evict(image_id)


def clear(cache, target):
    """DELETE /v2/cache with x-image-cache-clear-target '', 'cache' or 'queue'."""
    target = (target or '').strip().lower()
    if target not in CLEAR_TARGETS:
        raise api_exceptions.BadRequest("If provided 'x-image-cache-clear-target' must be "
                                        "'cache', 'queue' or empty string.")
    result = {}
    if target in ('', 'cache'):
        result['cache_deleted'] = cache.disk.remove_all()
        cache.records.removed(None)
    if target in ('', 'queue'):
        result['queue_deleted'] = cache.disk.remove_all_queued()
    return result


def clean(cache):
    return pruning.clean(cache)


def prune(cache):
    files, freed = pruning.prune(cache)
    return {'total_files_pruned': files, 'total_bytes_pruned': freed}


def nodes(cache, image_id):
    return cache.records.nodes(image_id)


def not_enabled():
    return exceptions.NotFound('Caching via API is not supported at this site.')
