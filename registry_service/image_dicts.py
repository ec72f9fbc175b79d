"""Rows to the image dicts of the RPC contract, tags and properties loaded per page."""

import sqlalchemy as sa
from sqlalchemy import orm

from common import image_attributes
from registry_service import locations
from registry_service.db import models

# The columns every image dict carries (common/image_attributes.py); the internal ones
# (location, upload_expires_at) only the calls that need them add, with with_internal().
BASE_FIELDS = image_attributes.IMAGE_DICT_FIELDS
# Who holds an upload stays in the registry: no call returns it.
UPLOAD_CLAIM_FIELDS = ('upload_token', 'upload_holder')
# ``location`` comes from the image_locations table, with ``store_id``; every image dict
# carries ``stores`` (1.10), the ids of the stores holding its data.
INTERNAL_FIELDS = ('location',) + tuple(
    name for name in image_attributes.names(stored=True, in_image_dict=False)
    if name not in UPLOAD_CLAIM_FIELDS)
DATETIME_FIELDS = frozenset(image_attributes.DATETIMES)


def isotime(value):
    """'YYYY-MM-DDTHH:MM:SS.ffffffZ' for a naive UTC datetime, None for None."""
    # isoformat rather than strftime: the same text, for a third of the time (every image
    # dict has three times, a listing a thousand images).
    return None if value is None else value.isoformat(timespec='microseconds') + 'Z'


def load_properties(session, image_ids):
    found = {image_id: {} for image_id in image_ids}
    if image_ids:
        rows = session.execute(
            sa.select(models.ImageProperty.image_id, models.ImageProperty.name,
                      models.ImageProperty.value)
            .where(models.ImageProperty.image_id.in_(image_ids)))
        for image_id, name, value in rows:
            found[image_id][name] = value
    return found


def load_tags(session, image_ids):
    found = {image_id: [] for image_id in image_ids}
    if image_ids:
        rows = session.execute(
            sa.select(models.ImageTag.image_id, models.ImageTag.value)
            .where(models.ImageTag.image_id.in_(image_ids)))
        for image_id, value in rows:
            found[image_id].append(value)
    return found


_BASE_TIME_FIELDS = tuple(field for field in BASE_FIELDS if field in DATETIME_FIELDS)


def _field(row, field):
    value = getattr(row, field)
    return isotime(value) if field in DATETIME_FIELDS else value


def to_dict(row, properties, tags, stores=None):
    """``stores``: the ids of the stores holding the image's data (looked up when None).
    ``row``: an ORM Image, a Core Row of the images table or any object with its columns
    as attributes."""
    # A Core Row's mapping is read by key, far cheaper than its attributes by name.
    mapping = getattr(row, '_mapping', None)
    if mapping is not None:
        image = {field: mapping[field] for field in BASE_FIELDS}
    else:
        image = {field: getattr(row, field) for field in BASE_FIELDS}
    for field in _BASE_TIME_FIELDS:
        image[field] = isotime(image[field])
    image['properties'] = dict(properties)
    image['tags'] = sorted(tags)
    if stores is None:
        stores = locations.stores_of(orm.object_session(row), [row.id])[row.id]
    image['stores'] = list(stores)
    return image


def with_internal(image, row, fields=INTERNAL_FIELDS, located=None):
    """``image`` plus the internal ``fields`` of ``row`` (for the calls that need them).
    ``location`` brings the data's ``store_id`` and the image's ``stores`` with it: from
    ``located`` = (current location or None, store ids) when the caller has them (a Row
    from image_rows has no session to look them up in)."""
    for field in fields:
        if field == 'location':
            if located is None:
                session = orm.object_session(row)
                located = (locations.current(session, row.id),
                           locations.stores_of(session, [row.id])[row.id])
            where, stores = located
            image['location'] = where.url if where is not None else None
            image['store_id'] = where.store_id if where is not None else None
            image['stores'] = list(stores)
        else:
            image[field] = _field(row, field)
    return image


def to_dicts(session, rows):
    """The contract's dicts for `rows`, in their order, with three extra queries in all."""
    ids = [row.id for row in rows]
    properties = load_properties(session, ids)
    tags = load_tags(session, ids)
    stores = locations.stores_of(session, ids)
    return [to_dict(row, properties[row.id], tags[row.id], stores[row.id]) for row in rows]
