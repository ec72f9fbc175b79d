"""Deleting an image and its data: DELETE /v2/images/{id} and glance-scrubber share it.

The registry deletes the record first (image_delete). With ``delayed_delete`` an image with
data goes to ``pending_delete`` and the registry queues its data for glance-scrubber; else
the data is removed here at once, and data a store could not remove (a store that was down)
is recorded in the registry (image_data_left), so glance-scrubber retries it until it is
gone. The user's delete succeeds either way: the image is gone for them.
"""

import logging

from api_service import exceptions
from api_service.stores import base

LOG = logging.getLogger(__name__)


def remove_data(stores, location, store_id=None, context=None):
    """Remove the data at ``location`` from whichever store holds it (the store
    ``store_id`` when the location names one the catalog knows).

    Data already gone counts as removed (another scrubber, or an operator, was first), and
    so does data in a store that never deletes (the read-only http store: the data is not
    ours; upstream ignores its StoreDeleteNotSupported the same way). Anything else the
    store raises (down, refusing, an unknown scheme) propagates. ``context``: the
    request's, for a store that works with the user's token (multi-tenant Swift).
    """
    try:
        store = stores.for_location(location, store_id)
        if not store.can(base.Capability.DELETE):
            LOG.info('Image data at %s is in the read-only store %s; it is left there.',
                     location, store.store_id)
            return
        base.remove(store, location, context)
    except exceptions.StoreDataNotFound:
        LOG.info('Image data at %s was already gone.', location)


def delete_image(registry, ctxt, image_id, stores, delayed=False):
    """Delete ``image_id`` for ``ctxt``; -> the image as it was (with ``data_queued`` when
    its data was left to glance-scrubber)."""
    image = registry.image_delete(ctxt, image_id=image_id, delayed=delayed or None)
    if not image.get('location'):
        _remove_upload_leftovers(stores, ctxt, image_id)
        return image
    if image.get('data_queued'):
        return image
    # Every copy (1.10: ``locations``, each store's), else the one location.
    for where in image.get('locations') or [{'url': image['location'],
                                             'store_id': image.get('store_id')}]:
        _remove_or_record(registry, ctxt, image_id, stores, where['url'], where['store_id'])
    return image


def _remove_or_record(registry, ctxt, image_id, stores, location, store_id):
    try:
        remove_data(stores, location, store_id, context=ctxt)
    except Exception as exc:
        LOG.warning('Image %s deleted but its data at %s could not be removed (%s); '
                    'glance-scrubber will retry it.', image_id, location, exc)
        try:
            registry.image_data_left(ctxt, image_id=image_id, location=location,
                                     error='%s: %s' % (type(exc).__name__, exc))
        except Exception as record_exc:
            # The delete itself succeeded; the data is waste an operator must remove.
            LOG.error('Could not record the data of deleted image %s at %s for '
                      'glance-scrubber (%s); remove it by hand.', image_id, location,
                      record_exc)


def _remove_upload_leftovers(stores, ctxt, image_id):
    """An image deleted with no data may still have segments in Swift of an upload that
    never finished (its host went down before anyone removed them): they go with it."""
    for store in stores.all():
        if not hasattr(store, 'remove_segments'):
            continue
        try:
            store.remove_segments(image_id, **base.context_for(store, ctxt))
        except Exception as exc:
            LOG.warning('Could not look for segments an unfinished upload of deleted image '
                        '%s left in store %s (%s).', image_id, store.store_id, exc)
