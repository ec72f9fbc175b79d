"""One tag added to or removed from an image: one transaction each, as the contract says.

The image row is locked for the change (access.fetch_changeable), so two calls on one image
apply one after the other and the quota count cannot be raced past.
"""

import sqlalchemy as sa

from common import exceptions
from registry_service import access
from registry_service import image_dicts
from registry_service import patch
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image
ImageTag = models.ImageTag


def _touch(session, row):
    session.execute(sa.update(Image).where(Image.id == row.id).values(updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    session.flush()
    session.refresh(row)


def add(db, ctxt, image_id, tag, quotas=None):
    """Adding a tag the image already has changes nothing but updated_at, as upstream."""
    (tag,) = patch.check_tags([tag])
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        tags = image_dicts.load_tags(session, [image_id])[image_id]
        if tag not in tags:
            patch.check_quota(quotas, patch.TAG_QUOTA, len(tags) + 1)
            session.add(ImageTag(image_id=image_id, value=tag))
            tags.append(tag)
        _touch(session, row)
        return image_dicts.to_dict(row, image_dicts.load_properties(session, [image_id])
                                   [image_id], tags)


def delete(db, ctxt, image_id, tag):
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        result = session.execute(sa.delete(ImageTag).where(
            ImageTag.image_id == image_id, ImageTag.value == tag))
        if result.rowcount != 1:
            raise exceptions.NotFound('Tag %s not found on image %s.' % (tag, image_id),
                                      image_id=image_id, tag=tag)
        _touch(session, row)
        return image_dicts.to_dicts(session, [row])[0]
