"""Who may see and change which image, from the request context alone.

Upstream's visibility rules, one function each:

* ``public`` and ``community`` images are readable by everyone; ``public`` ones appear in
  everyone's listing, ``community`` ones only in their owner's or when asked for with
  ``visibility=community`` (or ``all``);
* a ``shared`` image is readable by its owner and by every project it is shared with,
  whatever that member's status; it appears in a member's listing only while the membership
  has the asked-for ``member_status`` (``accepted`` unless told otherwise);
* ``private`` images are their owner's alone; admins see everything.
"""

import sqlalchemy as sa
from sqlalchemy import orm

from common import exceptions
from common import image_attributes
from registry_service.db import models

Image = models.Image
ImageMember = models.ImageMember

VISIBILITIES = image_attributes.VISIBILITIES
# Visible to every project: `public` also appears in everyone's listing, `community` only in
# its owner's listing or when asked for with visibility=community (or all).
READABLE_BY_ALL = frozenset({'public', 'community'})
MEMBER_STATUSES = image_attributes.MEMBER_STATUSES
# The listing's member_status filter: one of the statuses, or 'all' of them.
MEMBER_STATUS_FILTERS = MEMBER_STATUSES + ('all',)


def _owns(ctxt, image):
    return ctxt.owner is not None and image.owner == ctxt.owner


def _membership_of_caller(ctxt, image_id):
    """The WHERE clause of the caller's own membership row of ``image_id``."""
    return sa.and_(ImageMember.image_id == image_id, ImageMember.member == ctxt.owner)


def _shared_with_caller(ctxt, image, executor=None):
    """True when ``image`` is shared and the caller is one of its members (any status).
    ``executor``: the Session or Connection to look the membership up on; by default the
    session an ORM ``image`` belongs to."""
    if image.visibility != 'shared' or ctxt.owner is None:
        return False
    if executor is None:
        executor = orm.object_session(image)
    found = executor.execute(
        sa.select(ImageMember.id).where(_membership_of_caller(ctxt, image.id))).first()
    return found is not None


def _shared_with_caller_clause(ctxt, member_status='accepted'):
    """The same rule in SQL for listings, narrowed to one membership status (or 'all')."""
    if ctxt.owner is None:
        return None
    membership = [_membership_of_caller(ctxt, Image.id)]
    if member_status != 'all':
        membership.append(ImageMember.status == member_status)
    return sa.and_(Image.visibility == 'shared', sa.exists().where(*membership))


def can_see(ctxt, image, executor=None):
    """``image``: an ORM Image, or a Row of the images table with the ``executor`` (Session
    or Connection) it was read on."""
    return (ctxt.is_admin or _owns(ctxt, image) or image.visibility in READABLE_BY_ALL
            or _shared_with_caller(ctxt, image, executor))


def can_change(ctxt, image):
    return ctxt.is_admin or _owns(ctxt, image)


def check_changeable(ctxt, image):
    """Forbidden unless ``ctxt`` may change the visible ``image``."""
    if not can_change(ctxt, image):
        raise exceptions.Forbidden(
            'You are not permitted to modify image %s.' % image.id, image_id=image.id)


def list_clause(ctxt, visibility=None, member_status='accepted'):
    """The WHERE clause of a listing for `ctxt`, optionally of one visibility ('all' = any)
    and, for images shared with the caller, of one membership status ('all' = any)."""
    if visibility is not None and visibility != 'all' and visibility not in VISIBILITIES:
        raise exceptions.InvalidFilter(value=visibility)
    if member_status is None:
        member_status = 'accepted'
    if member_status not in MEMBER_STATUS_FILTERS:
        raise exceptions.InvalidFilter(value=member_status)
    wanted = Image.visibility == visibility if visibility not in (None, 'all') else None
    if ctxt.is_admin:
        if wanted is not None or visibility == 'all':
            return wanted if wanted is not None else sa.true()
        # As upstream: without a visibility, even an admin's list leaves out the community
        # images of other projects (they are listed with visibility=community or all).
        if ctxt.owner is None:
            return Image.visibility != 'community'
        return sa.or_(Image.visibility != 'community', Image.owner == ctxt.owner)
    readable = [Image.visibility == 'public']
    if ctxt.owner is not None:
        readable.append(Image.owner == ctxt.owner)
    shared = _shared_with_caller_clause(ctxt, member_status)
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
    check_changeable(ctxt, row)
    return row
