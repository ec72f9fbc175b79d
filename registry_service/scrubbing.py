"""The registry's side of delayed delete and glance-scrubber: the queue of image data still to
be removed (the image_data_deletions table), claimed by scrubbers, and restoring an image in
``pending_delete``.

A row is queued when a delayed delete leaves a ``pending_delete`` image's data in its store
(images.delete), or when glance-api could not remove the data of an image it deleted at once
(record_left). Scrubbers claim rows with a compare-and-swap on ``claimed_until``, so two of
them never take the same row, remove the data and report back with finish(): the row goes,
and a ``pending_delete`` image with no data left becomes ``deleted``. A failure keeps the row,
counted and with its reason, for the next run. Scrubbing and restoring are admin-only.
"""

import datetime

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import image_dicts
from registry_service import locations
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image
Deletion = models.ImageDataDeletion

# Longest reason kept for a failed removal.
MAX_ERROR_LENGTH = 1000


def _require_admin(ctxt):
    if not ctxt.is_admin:
        raise exceptions.Forbidden('Only an admin may scrub or restore images.')


def _check_non_negative(name, value, positive=False):
    if not isinstance(value, int) or isinstance(value, bool) or value < (1 if positive else 0):
        raise exceptions.Invalid('%s must be a %s integer.'
                                 % (name, 'positive' if positive else 'non-negative'))


def queue(session, image_id, location, now, error=None):
    """Queue the removal of ``location``'s data (once per image and location)."""
    exists = session.execute(
        sa.select(Deletion.id).where(Deletion.image_id == image_id,
                                     Deletion.location == location)).first()
    if exists is not None:
        return
    # An INSERT rather than session.add: image deletes run it on a Connection (image_rows).
    session.execute(sa.insert(Deletion).values(
        image_id=image_id, location=location, created_at=now,
        attempts=0 if error is None else 1,
        last_error=None if error is None else error[:MAX_ERROR_LENGTH]))


def _free(now):
    return sa.or_(Deletion.claimed_until.is_(None), Deletion.claimed_until < now)


def _due(now, scrub_time):
    """Rows whose data may go now: a pending_delete image's after scrub_time, a deleted
    image's (data an immediate delete left behind) at once."""
    deadline = now - datetime.timedelta(seconds=scrub_time)
    return sa.or_(
        sa.and_(Image.status == states.PENDING_DELETE, Image.deleted_at <= deadline),
        Image.status == states.DELETED)


def claim(db, ctxt, scrub_time, limit, claim_seconds):
    """Take up to ``limit`` due rows for ``claim_seconds``; -> [{'id', 'image_id',
    'location', 'store_id', 'image_status', 'attempts'}], fewest attempts first, then
    oldest.

    Each row is taken with its own compare-and-swap on ``claimed_until``: of several
    scrubbers asking at once, one gets it; a claim that passed (its scrubber died) is free.
    """
    _require_admin(ctxt)
    _check_non_negative('scrub_time', scrub_time)
    _check_non_negative('limit', limit, positive=True)
    _check_non_negative('claim_seconds', claim_seconds, positive=True)
    now = utcnow()
    # The store holding the data, from its location row (None: found by the URL).
    store_id = (sa.select(models.ImageLocation.store_id)
                .where(models.ImageLocation.image_id == Deletion.image_id,
                       models.ImageLocation.url == Deletion.location)
                .order_by(models.ImageLocation.id.desc()).limit(1)
                .correlate(Deletion).scalar_subquery())
    query = (sa.select(Deletion.id, Deletion.image_id, Deletion.location, Image.status,
                       Deletion.attempts, store_id.label('store_id'))
             .join(Image, Image.id == Deletion.image_id)
             .where(_free(now), _due(now, scrub_time))
             # Fresh entries first, then those that failed fewest times: one scrubber run
             # reaches every entry even when some keep failing.
             .order_by(Deletion.attempts, Deletion.created_at, Deletion.id).limit(limit))
    # Nearly every run of a cron scrubber finds nothing: look without a write lock first.
    with db.read() as session:
        candidates = session.execute(query).all()
    if not candidates:
        return []
    claimed = []
    until = now + datetime.timedelta(seconds=claim_seconds)
    with db.write() as session:
        for row in sorted(candidates, key=lambda r: r.id):
            result = session.execute(
                sa.update(Deletion).where(Deletion.id == row.id, _free(now))
                .values(claimed_until=until).execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append({'id': row.id, 'image_id': row.image_id,
                                'location': row.location, 'store_id': row.store_id,
                                'image_status': row.status, 'attempts': row.attempts})
    order = {row.id: n for n, row in enumerate(candidates)}
    return sorted(claimed, key=lambda item: order[item['id']])


def finish(db, ctxt, deletion_id, error=None):
    """Report on a claimed row: -> {'image_id', 'image_status', 'done'}.

    Without ``error`` the data is gone: the row goes and an image in ``pending_delete``
    with no data left becomes ``deleted``. A row already gone (another scrubber finished it
    after this one's claim passed) is fine: the work is done either way. With ``error`` the
    row stays, released for the next run, its attempts counted and the reason kept.
    """
    _require_admin(ctxt)
    _check_non_negative('deletion_id', deletion_id)
    now = utcnow()
    with db.write() as session:
        row = session.execute(
            sa.select(Deletion).where(Deletion.id == deletion_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            return {'image_id': None, 'image_status': None, 'done': True}
        image_id = row.image_id
        if error is not None:
            session.execute(
                sa.update(Deletion).where(Deletion.id == deletion_id)
                .values(claimed_until=None, attempts=Deletion.attempts + 1,
                        last_error=str(error)[:MAX_ERROR_LENGTH])
                .execution_options(synchronize_session=False))
            status = session.execute(sa.select(Image.status).where(Image.id == image_id)) \
                .scalar_one()
            return {'image_id': image_id, 'image_status': status, 'done': False}
        session.execute(sa.delete(Deletion).where(Deletion.id == deletion_id)
                        .execution_options(synchronize_session=False))
        left = session.execute(sa.select(Deletion.id).where(Deletion.image_id == image_id)
                               .limit(1)).first()
        if left is None:
            # Compare-and-swap: only a pending_delete image becomes deleted.
            session.execute(
                sa.update(Image)
                .where(Image.id == image_id, Image.status == states.PENDING_DELETE)
                .values(status=states.DELETED, updated_at=now)
                .execution_options(synchronize_session=False))
            locations.mark(session, image_id, locations.DELETED, now)
        status = session.execute(sa.select(Image.status).where(Image.id == image_id)) \
            .scalar_one()
        return {'image_id': image_id, 'image_status': status, 'done': True}


def record_left(db, ctxt, image_id, location, error):
    """glance-api deleted ``image_id`` but could not remove its data at ``location``: queue
    it for the scrubber, with the reason. The caller must own the image (or be an admin)."""
    if not isinstance(location, str) or not location:
        raise exceptions.Invalid('location must be a non-empty string.')
    now = utcnow()
    with db.write() as session:
        row = session.get(Image, image_id) if isinstance(image_id, str) else None
        if row is None or not row.deleted or not (
                ctxt.is_admin or (ctxt.owner is not None and row.owner == ctxt.owner)):
            raise exceptions.ImageNotFound(image_id=image_id)
        # Any of its locations (an image with copies in several stores has several).
        known = session.execute(sa.select(locations.Location.id).where(
            locations.Location.image_id == image_id,
            locations.Location.url == location)).first()
        if known is None:
            raise exceptions.Invalid('Image %s has no data at that location.' % image_id)
        queue(session, image_id, location, now, error=str(error or 'unknown error'))
        return {'image_id': image_id, 'location': location}


def restore(db, ctxt, image_id):
    """pending_delete -> active (glance-scrubber --restore): the image is back, with its
    data, and its queued removals are dropped. Refused while a scrubber holds a claim on its
    data (Conflict): that data may be half gone."""
    _require_admin(ctxt)
    now = utcnow()
    with db.write() as session:
        row = session.execute(sa.select(Image).where(Image.id == image_id).with_for_update()) \
            .scalar_one_or_none() if isinstance(image_id, str) else None
        if row is None:
            raise exceptions.ImageNotFound(image_id=image_id)
        if row.status != states.PENDING_DELETE:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.ACTIVE)
        rows = session.execute(sa.select(Deletion).where(Deletion.image_id == image_id)
                               .with_for_update()).scalars().all()
        if any(r.claimed_until is not None and r.claimed_until >= now for r in rows):
            raise exceptions.Conflict('A scrubber is removing the data of image %s; it '
                                      'cannot be restored.' % image_id, image_id=image_id)
        session.execute(sa.delete(Deletion).where(Deletion.image_id == image_id)
                        .execution_options(synchronize_session=False))
        result = session.execute(
            sa.update(Image)
            .where(Image.id == image_id, Image.status == states.PENDING_DELETE)
            .values(status=states.ACTIVE, deleted=False, deleted_at=None, updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.ACTIVE)
        locations.mark(session, image_id, locations.ACTIVE, now,
                       statuses=(locations.PENDING_DELETE,))
        session.refresh(row)
        return image_dicts.to_dicts(session, [row])[0]
