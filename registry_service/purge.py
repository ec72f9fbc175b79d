"""glance-manage db purge and db purge_images_table: remove what deleted images left in the
database, as upstream's commands do.

Images are soft-deleted (``deleted`` and ``deleted_at`` set, status ``deleted``). ``purge``
removes the rows that hang off such images (properties, tags, members) once they were
deleted more than ``age_in_days`` ago, and keeps the image rows themselves: an image id
stays taken forever, so nobody can create a new image under a deleted one's id and have it
mistaken for the old one (OSSN-0075). ``purge_images_table`` removes those image rows too,
for operators who accept that risk. Neither touches an image whose data is still queued for
glance-scrubber (``pending_delete``, or data a store could not remove): its record is what
says the data is still there.
"""

import datetime

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image
# The tables whose rows belong to one image, purged before the image row.
CHILD_TABLES = (models.ImageProperty, models.ImageTag, models.ImageMember,
                models.ImageLocation)


def check_arguments(age_in_days, max_rows):
    """Upstream's checks; exceptions.Invalid with its messages."""
    if age_in_days < 0:
        raise exceptions.Invalid('Must supply a non-negative value for age.')
    if age_in_days >= int(utcnow().timestamp() // 86400):
        raise exceptions.Invalid('Maximal age is count of days since epoch.')
    if max_rows < -1:
        raise exceptions.Invalid('Minimal rows limit is -1.')


def _purgeable_images(cutoff):
    """The ids of images deleted before ``cutoff`` with no data left to remove."""
    queued = sa.select(models.ImageDataDeletion.id).where(
        models.ImageDataDeletion.image_id == Image.id)
    return sa.select(Image.id).where(
        Image.deleted == sa.true(), Image.status == states.DELETED,
        Image.deleted_at < cutoff, ~sa.exists(queued))


# Keys deleted per statement: keeps each IN list small on every backend.
CHUNK = 500


def _delete_rows(session, table, column, ids_query, max_rows):
    """Delete up to ``max_rows`` (-1: all) rows of ``table`` whose ``column`` is in
    ``ids_query``; -> how many.

    The keys are read first and deleted by key: MySQL refuses a DELETE whose subquery reads
    the table it deletes from (the images table, for purge_images_table).
    """
    key_column = table.__table__.primary_key.columns[0]
    query = sa.select(key_column).where(column.in_(ids_query)).order_by(key_column)
    if max_rows != -1:
        query = query.limit(max_rows)
    keys = session.execute(query).scalars().all()
    deleted = 0
    for start in range(0, len(keys), CHUNK):
        result = session.execute(
            sa.delete(table).where(key_column.in_(keys[start:start + CHUNK]))
            .execution_options(synchronize_session=False))
        deleted += result.rowcount
    return deleted


def purge(db, age_in_days, max_rows, images_table=False):
    """-> [(table name, rows deleted)] in the order purged."""
    check_arguments(age_in_days, max_rows)
    cutoff = utcnow() - datetime.timedelta(days=age_in_days)
    ids = _purgeable_images(cutoff)
    done = []
    with db.write() as session:
        for table in CHILD_TABLES:
            done.append((table.__tablename__,
                         _delete_rows(session, table, table.image_id, ids, max_rows)))
        if images_table:
            if max_rows != -1:
                # Only images whose rows of every other table are gone already: a limited
                # run must not leave properties behind a vanished image.
                children = [sa.select(t.id).where(t.image_id == Image.id)
                            for t in CHILD_TABLES]
                ids = ids.where(*[~sa.exists(child) for child in children])
            done.append((Image.__tablename__,
                         _delete_rows(session, Image, Image.id, ids, max_rows)))
    return done
