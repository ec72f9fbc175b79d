"""Image create, get, update and delete: one transaction per call, contract semantics.

Listing lives in listing.py, the upload state machine in uploads.py.
"""

import types
import uuid

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import cache_records
from registry_service import image_dicts
from registry_service import image_rows
from registry_service import locations
from registry_service import patch
from registry_service import scrubbing
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image

_INSERT_IMAGE = sa.insert(image_rows.IMAGES)
_INSERT_PROPERTY = sa.insert(image_rows.PROPERTIES)
_INSERT_TAG = sa.insert(image_rows.TAGS)
# The SET columns come from the parameters of each execution.
_MARK_DELETED = sa.update(image_rows.IMAGES).where(
    image_rows.IMAGES.c.id == sa.bindparam('image_id'),
    image_rows.IMAGES.c.deleted == sa.false(),
    image_rows.IMAGES.c.status.in_(sa.bindparam('sources', expanding=True)))

NEW_IMAGE_DEFAULTS = {
    'name': None, 'visibility': 'shared', 'protected': False, 'os_hidden': False,
    'owner': None, 'container_format': None, 'disk_format': None, 'min_ram': 0,
    'min_disk': 0,
}


def _dict_of(session, row):
    return image_dicts.to_dicts(session, [row])[0]


def _check_new_id(image_id):
    try:
        return str(uuid.UUID(image_id)) if image_id is not None else str(uuid.uuid4())
    except (TypeError, ValueError, AttributeError):
        raise exceptions.Invalid('Image id %r is not a UUID.' % (image_id,)) from None


def check_new_image(values, properties, tags, quotas=None):
    """image_create's arguments checked, before any database work
    -> (id, base attributes with their defaults, properties, tags)."""
    values = dict(values or {})
    image_id = _check_new_id(values.pop('id', None))
    unknown = sorted(set(values) - set(patch.MUTABLE))
    if unknown:
        raise exceptions.Invalid('Attributes %s cannot be set on a new image.'
                                 % ', '.join(unknown))
    attributes = dict(NEW_IMAGE_DEFAULTS, **values)
    for name, value in attributes.items():
        patch.check_base_value(name, value)
    properties = dict(properties or {})
    for name, value in properties.items():
        patch.check_property(name, value)
    tags = patch.check_tags(list(tags or []))
    patch.check_quota(quotas, patch.PROPERTY_QUOTA, len(properties))
    patch.check_quota(quotas, patch.TAG_QUOTA, len(tags))
    return image_id, attributes, properties, tags


def create(db, ctxt, values, properties, tags, quotas=None):
    image_id, attributes, properties, tags = check_new_image(values, properties, tags, quotas)
    now = utcnow()
    row = dict.fromkeys(image_rows.IMAGES.columns.keys())
    row.update(attributes, id=image_id, status=states.QUEUED, created_at=now,
               updated_at=now, deleted=False)
    with db.write_connection() as conn:
        # Ids are never reused, not even those of deleted images (OSSN-0075): the rows of
        # deleted images stay, and the primary key refuses the id.
        try:
            conn.execute(_INSERT_IMAGE, row)
        except sa.exc.IntegrityError:
            raise exceptions.Duplicate('Image ID %s already exists!' % image_id,
                                       image_id=image_id) from None
        _write_properties(conn, image_id, {}, properties)
        _write_tags(conn, image_id, [], tags)
        return image_dicts.to_dict(types.SimpleNamespace(**row), properties, tags, stores=())


def get(db, ctxt, image_id, internal=False):
    """The image; with ``internal``, its location and upload lease too."""
    with db.read_connection() as conn:
        row = image_rows.fetch_visible(conn, ctxt, image_id)
        return image_rows.image_dicts_of(
            conn, [row], internal=image_dicts.INTERNAL_FIELDS if internal else ())[0]


def _write_properties(session, image_id, old, new):
    """Write the change from ``old`` to ``new`` properties (``session``: a Session or a
    Connection; only statements, no ORM objects)."""
    gone = [name for name in old if name not in new]
    if gone:
        session.execute(sa.delete(models.ImageProperty).where(
            models.ImageProperty.image_id == image_id, models.ImageProperty.name.in_(gone)))
    added = [{'image_id': image_id, 'name': name, 'value': value}
             for name, value in new.items() if name not in old]
    if added:
        session.execute(_INSERT_PROPERTY, added)
    for name, value in new.items():
        if name in old and old[name] != value:
            session.execute(sa.update(models.ImageProperty).where(
                models.ImageProperty.image_id == image_id,
                models.ImageProperty.name == name).values(value=value))


def _write_tags(session, image_id, old, new):
    gone = sorted(set(old) - set(new))
    if gone:
        session.execute(sa.delete(models.ImageTag).where(
            models.ImageTag.image_id == image_id, models.ImageTag.value.in_(gone)))
    added = [{'image_id': image_id, 'value': tag} for tag in sorted(set(new) - set(old))]
    if added:
        session.execute(_INSERT_TAG, added)


def update(db, ctxt, image_id, changes, quotas=None):
    with db.write_connection() as conn:
        row = image_rows.fetch_changeable(conn, ctxt, image_id)
        if not changes:
            return image_rows.image_dicts_of(conn, [row])[0]
        old_properties = image_rows.properties_of(conn, [image_id])[image_id]
        old_tags = image_rows.tags_of(conn, [image_id])[image_id]
        old_base = {name: getattr(row, name) for name in patch.MUTABLE}
        base, properties, tags = patch.apply(changes, status=row.status, base=old_base,
                                             properties=old_properties, tags=old_tags)
        # As upstream: only a change that adds properties (or alters the tags) is held to
        # the quota, so an image already over a lowered quota can still shed some.
        if set(properties) - set(old_properties):
            patch.check_quota(quotas, patch.PROPERTY_QUOTA, len(properties))
        if set(tags) != set(old_tags):
            patch.check_quota(quotas, patch.TAG_QUOTA, len(tags))
        values = {name: value for name, value in base.items() if old_base[name] != value}
        values['updated_at'] = utcnow()
        # The row is locked, so the status check cannot fail on a database that honours
        # FOR UPDATE; it keeps the write correct where that lock is a no-op.
        result = conn.execute(
            sa.update(Image).where(Image.id == image_id, Image.status == row.status)
            .values(**values))
        if result.rowcount != 1:
            raise exceptions.Conflict('Image %s changed during the update.' % image_id,
                                      image_id=image_id)
        _write_properties(conn, image_id, old_properties, properties)
        _write_tags(conn, image_id, old_tags, tags)
        # The row as written, without reading it back.
        written = types.SimpleNamespace(**dict(row._mapping, **values))
        stores = image_rows.locations_of(conn, [image_id])[image_id].stores()
        return image_dicts.to_dict(written, properties, tags, stores)


def delete_location(db, ctxt, image_id, store_id):
    """Remove the image's location in store ``store_id`` (DELETE /v2/stores/{store}/{image},
    as upstream): only an active image, never its last location. -> the image as it is now,
    with the removed ``location`` and its ``store_id``, so the api can remove that data."""
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status != states.ACTIVE:
            raise exceptions.Conflict("It's not allowed to remove image data from store if "
                                      "image status is not 'active'", image_id=image_id)
        stores = locations.stores_of(session, [image_id])[image_id]
        if len(stores) <= 1:
            raise exceptions.Forbidden('Cannot delete image data from the only store '
                                       'containing it. Consider deleting the image instead.',
                                       image_id=image_id)
        now = utcnow()
        url = locations.remove_from_store(session, image_id, store_id, now) \
            if isinstance(store_id, str) else None
        if url is None:
            raise exceptions.NotFound('Image %s is not stored in store %s.'
                                      % (image_id, store_id), image_id=image_id)
        row.updated_at = now
        session.flush()
        image = _dict_of(session, row)
        image['location'], image['store_id'] = url, store_id
        return image


def delete(db, ctxt, image_id, delayed=False):
    """Soft-delete; return the image as it was, with its location, so the api can delete
    its data.

    ``delayed`` (delayed_delete): an image with data goes to ``pending_delete`` instead and
    its data is queued for glance-scrubber (scrubbing.py); the result then says
    ``data_queued: True`` and the api leaves the data alone. An image without data is
    deleted outright either way, as upstream does.
    """
    with db.write_connection() as conn:
        row = image_rows.fetch_changeable(conn, ctxt, image_id)
        if row.protected:
            raise exceptions.Forbidden('Image %s is protected and cannot be deleted.'
                                       % image_id, image_id=image_id)
        located = image_rows.locations_of(conn, [image_id])
        before = image_rows.image_dicts_of(conn, [row], internal=('location',),
                                           located=located)[0]
        # Every copy's data goes (1.10), not only the current location's.
        before['locations'] = [{'url': where.url, 'store_id': where.store_id}
                               for where in located[image_id].live()]
        now = utcnow()
        target = states.DELETED
        if delayed and before['location'] and \
                states.can_transition(row.status, states.PENDING_DELETE):
            target = states.PENDING_DELETE
        result = conn.execute(_MARK_DELETED, {
            'image_id': image_id, 'sources': sorted(states.sources_of(target)),
            'status': target, 'deleted': True, 'deleted_at': now, 'updated_at': now,
            'upload_expires_at': None})
        if result.rowcount != 1:
            raise exceptions.ImageNotFound(image_id=image_id)
        cache_records.forget_image(conn, image_id)
        if target == states.PENDING_DELETE:
            for url in [where['url'] for where in before['locations']] or \
                    [before['location']]:
                scrubbing.queue(conn, image_id, url, now)
            locations.mark(conn, image_id, locations.PENDING_DELETE, now)
            before['data_queued'] = True
        else:
            locations.mark(conn, image_id, locations.DELETED, now)
        return before
