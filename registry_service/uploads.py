"""The upload state machine: queued -> saving -> active, or back to queued on failure.

Each step is a compare-and-swap on the status, so two uploads of one image, or an upload and
a delete, cannot both win.
"""

import datetime

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image


def _swap_status(session, row, sources, target, **values):
    """UPDATE the row to `target` only while its status is one of `sources`."""
    result = session.execute(
        sa.update(Image)
        .where(Image.id == row.id, Image.deleted == sa.false(), Image.status.in_(sources))
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise exceptions.InvalidStatusTransition(current=row.status, target=target)
    session.refresh(row)
    return image_dicts.to_dicts(session, [row])[0]


def begin(db, ctxt, image_id, lease_seconds):
    if not isinstance(lease_seconds, int) or isinstance(lease_seconds, bool) \
            or lease_seconds <= 0:
        raise exceptions.Invalid('lease_seconds must be a positive integer.')
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if not states.can_transition(row.status, states.SAVING):
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.SAVING)
        if row.disk_format is None or row.container_format is None:
            raise exceptions.Invalid('Properties disk_format, container_format must be set '
                                     'prior to saving data.')
        expires = utcnow() + datetime.timedelta(seconds=lease_seconds)
        return _swap_status(session, row, states.sources_of(states.SAVING), states.SAVING,
                            upload_expires_at=expires)


def finish(db, ctxt, image_id, location, size, checksum, os_hash_algo, os_hash_value):
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.ACTIVE)
        return _swap_status(session, row, [states.SAVING], states.ACTIVE,
                            location=location, size=size, checksum=checksum,
                            os_hash_algo=os_hash_algo, os_hash_value=os_hash_value,
                            upload_expires_at=None)


def abort(db, ctxt, image_id):
    """saving -> queued; a queued image stays as it is (the abort already happened)."""
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status == states.QUEUED:
            return image_dicts.to_dicts(session, [row])[0]
        if row.status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.QUEUED)
        return _swap_status(session, row, [states.SAVING], states.QUEUED,
                            upload_expires_at=None)
