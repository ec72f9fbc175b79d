"""Image members: sharing a ``shared`` image with other projects, one transaction per call.

Who may do what (upstream's rules):

* anyone who cannot see the image gets ImageNotFound, whatever they ask;
* only ``shared`` images have members: other visibilities are Forbidden (and NotFound for a
  single member's lookup, which never says more than "not there");
* the owner (or an admin) sees every member, adds and removes them; a member sees only its
  own membership and is the only one (with admins) who may change its status.
"""

import sqlalchemy as sa

from common import exceptions
from registry_service import access
from registry_service.db import models
from registry_service.db.types import utcnow
from registry_service.image_dicts import isotime

ImageMember = models.ImageMember

MAX_MEMBER_ID = 255


def to_dict(row):
    return {'image_id': row.image_id, 'member_id': row.member, 'status': row.status,
            'created_at': isotime(row.created_at), 'updated_at': isotime(row.updated_at)}


def _check_member_id(member_id):
    if not isinstance(member_id, str) or not member_id:
        raise exceptions.Invalid("Member can't be empty")
    if len(member_id) > MAX_MEMBER_ID:
        raise exceptions.Invalid('Member id must be at most %d characters.' % MAX_MEMBER_ID)


def _check_status(status):
    if status not in access.MEMBER_STATUSES:
        raise exceptions.Invalid('Status must be one of: %s.'
                                 % ', '.join(access.MEMBER_STATUSES))


def _member_limit(quotas):
    limit = (quotas or {}).get('image_member_quota')
    return None if limit is None or limit < 0 else limit


def _sees_every_member(ctxt, image):
    return access.can_change(ctxt, image)


def _shared_image(session, ctxt, image_id, for_update=False):
    """The visible image row, which must be ``shared``: ImageNotFound, else Forbidden."""
    image = access.fetch_visible(session, ctxt, image_id, for_update=for_update)
    if image.visibility != 'shared':
        raise exceptions.Forbidden('Only shared images have members.', image_id=image_id)
    return image


def _member_not_found(image_id, member_id):
    return exceptions.NotFound('%s not found in the member list of the image %s.'
                               % (member_id, image_id), image_id=image_id,
                               member_id=member_id)


def _fetch_member(session, ctxt, image, member_id, for_update=False):
    """The membership row ``member_id`` of ``image`` as far as ``ctxt`` may see it."""
    if not (_sees_every_member(ctxt, image) or member_id == ctxt.owner):
        raise _member_not_found(image.id, member_id)
    query = sa.select(ImageMember).where(ImageMember.image_id == image.id,
                                         ImageMember.member == member_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise _member_not_found(image.id, member_id)
    return row


def create(db, ctxt, image_id, member_id, quotas=None):
    _check_member_id(member_id)
    with db.write() as session:
        # The image row stays locked until commit, so two concurrent adds cannot both pass
        # the quota count.
        image = _shared_image(session, ctxt, image_id, for_update=True)
        if not access.can_change(ctxt, image):
            raise exceptions.Forbidden('Not allowed to create members for image %s.'
                                       % image_id, image_id=image_id)
        existing = session.execute(
            sa.select(ImageMember.member).where(ImageMember.image_id == image_id)
        ).scalars().all()
        if member_id in existing:
            raise exceptions.Duplicate('Member %s is duplicated for image %s'
                                       % (member_id, image_id),
                                       image_id=image_id, member_id=member_id)
        limit = _member_limit(quotas)
        if limit is not None and len(existing) + 1 > limit:
            raise exceptions.QuotaExceeded(
                'Image member limit exceeded for image %s: attempted %d, maximum %d.'
                % (image_id, len(existing) + 1, limit), image_id=image_id)
        now = utcnow()
        row = ImageMember(image_id=image_id, member=member_id, status='pending',
                          created_at=now, updated_at=now)
        session.add(row)
        try:
            session.flush()
        except sa.exc.IntegrityError:
            # Another registry added the same member where the row lock is a no-op.
            raise exceptions.Duplicate('Member %s is duplicated for image %s'
                                       % (member_id, image_id),
                                       image_id=image_id, member_id=member_id) from None
        return to_dict(row)


def list_members(db, ctxt, image_id):
    with db.read() as session:
        image = _shared_image(session, ctxt, image_id)
        query = sa.select(ImageMember).where(ImageMember.image_id == image_id)
        if not _sees_every_member(ctxt, image):
            query = query.where(ImageMember.member == ctxt.owner)
        query = query.order_by(ImageMember.created_at, ImageMember.id)
        return [to_dict(row) for row in session.execute(query).scalars()]


def get(db, ctxt, image_id, member_id):
    with db.read() as session:
        try:
            image = _shared_image(session, ctxt, image_id)
        except exceptions.Forbidden:
            # Looking up one member never tells more than "not there".
            raise _member_not_found(image_id, member_id) from None
        return to_dict(_fetch_member(session, ctxt, image, member_id))


def update(db, ctxt, image_id, member_id, status):
    with db.write() as session:
        image = _shared_image(session, ctxt, image_id)
        row = _fetch_member(session, ctxt, image, member_id, for_update=True)
        if not (ctxt.is_admin or member_id == ctxt.owner):
            raise exceptions.Forbidden('Not allowed to update members for image %s.'
                                       % image_id, image_id=image_id)
        _check_status(status)
        row.status = status
        row.updated_at = utcnow()
        session.flush()
        return to_dict(row)


def delete(db, ctxt, image_id, member_id):
    with db.write() as session:
        image = _shared_image(session, ctxt, image_id)
        row = _fetch_member(session, ctxt, image, member_id, for_update=True)
        if not access.can_change(ctxt, image):
            raise exceptions.Forbidden('Not allowed to delete members for image %s.'
                                       % image_id, image_id=image_id)
        removed = to_dict(row)
        session.delete(row)
        session.flush()
        return removed
