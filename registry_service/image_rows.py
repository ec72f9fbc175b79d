"""The metadata path's image reads, as statements built once and run on a Connection.

Create, get, update, list and delete are most of what the registry serves. Through the ORM
each of them built its SELECTs anew and loaded Image objects from their rows, which cost
more Python than the database's own work: a get was 0.77 ms in the ORM and is 0.16 ms here
(the same four queries on SQLite, measured in one process). The statements below are built
once, with bound parameters, so SQLAlchemy only looks their SQL up in its compiled cache,
and rows come back as plain Row tuples; image_dicts turns them into the contract's dicts as
it does ORM objects (it reads attributes by name).

The rarer calls (members, tags, actions, uploads, imports, locations API) keep the ORM.
"""

import sqlalchemy as sa

from common import exceptions
from registry_service import access
from registry_service import image_dicts
from registry_service.db import models

IMAGES = models.Image.__table__
PROPERTIES = models.ImageProperty.__table__
TAGS = models.ImageTag.__table__
LOCATIONS = models.ImageLocation.__table__

ACTIVE = 'active'

_IMAGE = sa.select(IMAGES).where(IMAGES.c.id == sa.bindparam('image_id'),
                                 IMAGES.c.deleted == sa.false())
_IMAGE_FOR_UPDATE = _IMAGE.with_for_update()
_PROPERTIES = sa.select(PROPERTIES.c.image_id, PROPERTIES.c.name, PROPERTIES.c.value).where(
    PROPERTIES.c.image_id.in_(sa.bindparam('image_ids', expanding=True)))
_TAGS = sa.select(TAGS.c.image_id, TAGS.c.value).where(
    TAGS.c.image_id.in_(sa.bindparam('image_ids', expanding=True)))
# Every location of the images, oldest first: stores, the current and the live ones are
# all picked from these rows in Python rather than by one query each.
_LOCATIONS = sa.select(LOCATIONS.c.image_id, LOCATIONS.c.id, LOCATIONS.c.url,
                       LOCATIONS.c.store_id, LOCATIONS.c.status, LOCATIONS.c.deleted).where(
    LOCATIONS.c.image_id.in_(sa.bindparam('image_ids', expanding=True))).order_by(
    LOCATIONS.c.id)


def fetch_visible(conn, ctxt, image_id, for_update=False):
    """The non-deleted image Row ``ctxt`` may see; ImageNotFound otherwise."""
    row = None
    if isinstance(image_id, str):
        row = conn.execute(_IMAGE_FOR_UPDATE if for_update else _IMAGE,
                           {'image_id': image_id}).first()
    if row is None or not access.can_see(ctxt, row, conn):
        raise exceptions.ImageNotFound(image_id=image_id)
    return row


def fetch_changeable(conn, ctxt, image_id):
    """The image Row locked for a change by ``ctxt``: ImageNotFound if unseen, else
    Forbidden (access.fetch_changeable's rules)."""
    row = fetch_visible(conn, ctxt, image_id, for_update=True)
    access.check_changeable(ctxt, row)
    return row


def properties_of(conn, image_ids):
    """{image id: {name: value}}."""
    found = {image_id: {} for image_id in image_ids}
    if image_ids:
        for image_id, name, value in conn.execute(_PROPERTIES, {'image_ids': image_ids}):
            found[image_id][name] = value
    return found


def tags_of(conn, image_ids):
    """{image id: [tags]} (unsorted)."""
    found = {image_id: [] for image_id in image_ids}
    if image_ids:
        for image_id, value in conn.execute(_TAGS, {'image_ids': image_ids}):
            found[image_id].append(value)
    return found


def locations_of(conn, image_ids):
    """{image id: ImageLocations}."""
    found = {image_id: [] for image_id in image_ids}
    if image_ids:
        for row in conn.execute(_LOCATIONS, {'image_ids': image_ids}):
            found[row.image_id].append(row)
    return {image_id: ImageLocations(rows) for image_id, rows in found.items()}


class ImageLocations:
    """One image's location rows, oldest first, and what the image dicts need of them
    (the same choices as locations.py's queries)."""

    def __init__(self, rows):
        self.rows = rows

    def live(self):
        """The active locations, oldest first (locations.all_live)."""
        return [row for row in self.rows if row.status == ACTIVE and not row.deleted]

    def stores(self):
        """The store ids of the live locations, each once, oldest first
        (locations.stores_of)."""
        found = []
        for row in self.live():
            if row.store_id is not None and row.store_id not in found:
                found.append(row.store_id)
        return found

    def current(self):
        """The newest location, preferring one not deleted; None without data
        (locations.current)."""
        kept = [row for row in self.rows if not row.deleted]
        return (kept or self.rows or [None])[-1]


def image_dicts_of(conn, rows, internal=(), located=None):
    """The contract's dicts for ``rows``, in their order, with the ``internal`` fields
    named (image_dicts.with_internal); three queries in all. ``located``: {image id:
    ImageLocations} the caller already read."""
    ids = [row.id for row in rows]
    properties, tags = properties_of(conn, ids), tags_of(conn, ids)
    located = located if located is not None else locations_of(conn, ids)
    found = []
    for row in rows:
        where = located[row.id]
        image = image_dicts.to_dict(row, properties[row.id], tags[row.id], where.stores())
        if internal:
            image_dicts.with_internal(image, row, internal,
                                      located=(where.current(), where.stores()))
        found.append(image)
    return found
