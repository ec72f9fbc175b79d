"""Who may read an image's data in stores that keep per-image access lists (multi-tenant
Swift: the container of each image names the projects that may read it).

As upstream glance, the lists follow the image: a public or community image is readable by
every project, a shared one by each of its member projects (whatever their answer: a
pending member may already download by id, as upstream), a private one by its owner only
(and the store's own admin projects). The api calls ``update_acls`` where upstream sets them:
when an upload or import makes the image active, when its visibility changes, and when a
member is added or removed. Only stores with a ``set_acls`` method are asked; for the others
(and images with no data) nothing happens and no registry call is made.

The caller's own context goes to the store (the owner's token for the owner's account). A
store that refuses (an expired token, a caller who is not the account's owner, e.g. an admin
publicizing another project's image) does not fail the request whose change is already
made: the failure is logged as a warning naming the image and the store, as upstream logs.
"""

import logging

from common import exceptions

LOG = logging.getLogger(__name__)

EVERYONE = ('public', 'community')


def _can_set(store):
    return callable(getattr(store, 'set_acls', None))


def _member_projects(ctx, registry, image):
    """The projects a shared image is shared with ([] for other visibilities); None when
    the registry cannot say (logged)."""
    if image.get('visibility') != 'shared':
        return []
    try:
        members = registry.image_member_list(ctx, image_id=image['id'])
    except Exception as exc:
        LOG.warning('Image %s: could not list its members to set the read ACLs of its '
                    'data (%s); they are left as they were.', image['id'], exc)
        return None
    return [m['member_id'] for m in members]


def _set(ctx, store, url, image, public, readers):
    try:
        store.set_acls(url, public=public, read_tenants=readers, context=ctx)
    except Exception as exc:
        LOG.warning('Image %s: could not set the read ACLs of its data in store %s (%s); '
                    'projects it is shared with, or every project for a public image, may '
                    'not be able to download it.', image['id'], store.store_id, exc)


def update_acls_at(ctx, registry, store, image, url):
    """Set the read list of the copy of ``image`` at ``url`` in ``store`` (an upload's new
    data); nothing for a store without per-image lists. Never raises."""
    if not _can_set(store):
        return
    public = image.get('visibility') in EVERYONE
    readers = [] if public else _member_projects(ctx, registry, image)
    if readers is not None:
        _set(ctx, store, url, image, public, readers)


def update_acls(ctx, registry, stores, image):
    """Set the read lists of every copy of ``image`` in the stores (a StoreCatalog) that
    keep them. Never raises: each refusal is logged."""
    if not any(_can_set(s) for s in stores.all()):
        return
    image_id = image['id']
    try:
        locations = registry.image_location_list(ctx, image_ids=[image_id]).get(image_id, [])
    except Exception as exc:
        LOG.warning('Image %s: could not list its locations to set the read ACLs of its '
                    'data (%s).', image_id, exc)
        return
    placed = []
    for location in locations:
        try:
            store = stores.for_location(location['url'], location.get('store_id'))
        except exceptions.GlimpseError:
            continue    # a location no configured store knows: no list to set there
        if _can_set(store):
            placed.append((store, location['url']))
    if not placed:
        return
    public = image.get('visibility') in EVERYONE
    readers = [] if public else _member_projects(ctx, registry, image)
    if readers is None:
        return
    for store, url in placed:
        _set(ctx, store, url, image, public, readers)
