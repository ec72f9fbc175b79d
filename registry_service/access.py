"""Who may see and change which image, from the request context alone.

Shared images are visible to their owner only until image members exist; the member rules
go into ``_shared_with_caller`` (one row check) and ``_shared_with_caller_clause`` (the same
rule in SQL for listings).
"""

import sqlalchemy as sa

from common import exceptions
from registry_service.db import models

Image = models.Image

VISIBILITIES = ('public', 'private', 'shared', 'community')
# Visible to every project: `public` also appears in everyone's listing, `community` only in
# its owner's listing or when asked for with visibility=community (or all).
READABLE_BY_ALL = frozenset({'public', 'community'})


def _owns(ctxt, image):
    return ctxt.owner is not None and image.owner == ctxt.owner


def _shared_with_caller(ctxt, image):
    return False  # image members arrive later


def _shared_with_caller_clause(ctxt):
    return None  # image members arrive later


def can_see(ctxt, image):
    return (ctxt.is_admin or _owns(ctxt, image) or image.visibility in READABLE_BY_ALL
            or _shared_with_caller(ctxt, image))


def can_change(ctxt, image):
    return ctxt.is_admin or _owns(ctxt, image)


def list_clause(ctxt, visibility=None):
    """The WHERE clause of a listing for `ctxt`, optionally of one visibility ('all' = any)."""
    if visibility is not None and visibility != 'all' and visibility not in VISIBILITIES:
        raise exceptions.InvalidFilter(value=visibility)
    wanted = Image.visibility == visibility if visibility not in (None, 'all') else None
    if ctxt.is_admin:
        return wanted if wanted is not None else sa.true()
    readable = [Image.visibility == 'public']
    if ctxt.owner is not None:
        readable.append(Image.owner == ctxt.owner)
    shared = _shared_with_caller_clause(ctxt)
    if shared is not None:
        readable.append(shared)
    if visibility in ('community', 'all'):
        readable.append(Image.visibility == 'community')
    clause = sa.or_(*readable)
    return clause if wanted is None else sa.and_(wanted, clause)


def fetch_visible(session, ctxt, image_id, for_update=False):
    """The non-deleted image row `ctxt` may see; ImageNotFound otherwise."""
    query = sa.select(Image).where(Image.id == image_id, Image.deleted == sa.false())
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none() if isinstance(image_id, str) else None
    if row is None or not can_see(ctxt, row):
        raise exceptions.ImageNotFound(image_id=image_id)
    return row


def fetch_changeable(session, ctxt, image_id):
    """The image row locked for a change by `ctxt`: ImageNotFound if unseen, else Forbidden."""
    row = fetch_visible(session, ctxt, image_id, for_update=True)
    if not can_change(ctxt, row):
        raise exceptions.Forbidden(
            'You are not permitted to modify image %s.' % image_id, image_id=image_id)
    return row
