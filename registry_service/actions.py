"""Deactivate and reactivate: the two image actions, each a compare-and-swap on the status.

Upstream treats a repeat as a no-op (deactivating a deactivated image answers 204), so the
target status is also accepted as a source; any other status is refused.
"""

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import cache_records
from registry_service import image_dicts
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image


def _swap(db, ctxt, image_id, action, sources, target):
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status not in sources:
            raise exceptions.ImageActionNotAllowed(action=action, current=row.status,
                                                   target=target)
        result = session.execute(
            sa.update(Image)
            .where(Image.id == image_id, Image.deleted == sa.false(),
                   Image.status.in_(sources))
            .values(status=target, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            # Only where FOR UPDATE is a no-op can the status move under us.
            raise exceptions.ImageActionNotAllowed(action=action, current=row.status,
                                                   target=target)
        if target == states.DEACTIVATED:
            # No node serves or keeps a deactivated image's cached copy.
            cache_records.forget_image(session, image_id)
        session.refresh(row)
        return image_dicts.to_dicts(session, [row])[0]


def deactivate(db, ctxt, image_id):
    return _swap(db, ctxt, image_id, 'deactivate', (states.ACTIVE, states.DEACTIVATED),
                 states.DEACTIVATED)


def reactivate(db, ctxt, image_id):
    return _swap(db, ctxt, image_id, 'reactivate', (states.DEACTIVATED, states.ACTIVE),
                 states.ACTIVE)
