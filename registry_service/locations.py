"""The image_locations table: where an image's data lives, with the store that holds it.

An upload adds an ``active`` location (finish_upload, with the store id of glance-api's
backend); a delete marks it ``pending_delete`` (delayed delete: glance-scrubber will remove
the data) or ``deleted``; a restore brings it back to ``active``. An image has at most one
live location per upload; the table takes several (the stores attribute, and later the
locations API and copies between stores). DELETE /v2/stores/{store}/{image} removes one of
an image's locations (never its last): remove_from_store.
"""

import json

import sqlalchemy as sa

from registry_service.db import models
from registry_service.db.types import utcnow

Location = models.ImageLocation

ACTIVE = 'active'
PENDING_DELETE = 'pending_delete'
DELETED = 'deleted'


def add(session, image_id, url, store_id=None, metadata=None, now=None):
    now = now or utcnow()
    session.add(Location(image_id=image_id, url=url, store_id=store_id, status=ACTIVE,
                         meta_data=json.dumps(metadata) if metadata else None,
                         created_at=now, updated_at=now, deleted=False))


def current(session, image_id):
    """The image's newest location, preferring one not deleted; None without data."""
    return session.execute(
        sa.select(Location).where(Location.image_id == image_id)
        .order_by(Location.deleted, Location.id.desc()).limit(1)).scalars().first()


def live(session, image_id):
    """The image's newest active location, or None."""
    return session.execute(
        sa.select(Location).where(Location.image_id == image_id, Location.status == ACTIVE,
                                  Location.deleted == sa.false())
        .order_by(Location.id.desc()).limit(1)).scalars().first()


def all_live(session, image_id):
    """The image's active locations, oldest first."""
    return session.execute(
        sa.select(Location).where(Location.image_id == image_id, Location.status == ACTIVE,
                                  Location.deleted == sa.false())
        .order_by(Location.id)).scalars().all()


def mark(session, image_id, status, now=None, statuses=(ACTIVE, PENDING_DELETE)):
    """Set the status of the image's locations that are in ``statuses``."""
    now = now or utcnow()
    gone = status == DELETED
    session.execute(
        sa.update(Location)
        .where(Location.image_id == image_id, Location.status.in_(statuses))
        .values(status=status, updated_at=now, deleted=gone, deleted_at=now if gone else None)
        .execution_options(synchronize_session=False))


def remove_from_store(session, image_id, store_id, now=None):
    """Mark the image's active location in store ``store_id`` deleted; -> its url, or None
    when the image has no active location there."""
    now = now or utcnow()
    found = session.execute(
        sa.select(Location).where(Location.image_id == image_id, Location.status == ACTIVE,
                                  Location.deleted == sa.false(),
                                  Location.store_id == store_id)
        .order_by(Location.id.desc()).limit(1)).scalars().first()
    if found is None:
        return None
    found.status, found.deleted, found.deleted_at, found.updated_at = DELETED, True, now, now
    return found.url


def stores_of(session, image_ids):
    """{image id: [store ids of its active locations]} (NULL store ids left out)."""
    found = {image_id: [] for image_id in image_ids}
    if image_ids:
        rows = session.execute(
            sa.select(Location.image_id, Location.store_id)
            .where(Location.image_id.in_(image_ids), Location.status == ACTIVE,
                   Location.deleted == sa.false(), Location.store_id.is_not(None))
            .order_by(Location.id))
        for image_id, store_id in rows:
            if store_id not in found[image_id]:
                found[image_id].append(store_id)
    return found
