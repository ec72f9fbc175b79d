"""The image cache's records (upstream's centralized_db driver): which glance-api node holds
a copy of which image, with its size, hits and times (seconds since the epoch).

glance-api writes them with its own context (they describe its disk, not a user's image);
every call names the node. Deleting or deactivating an image drops every node's record of
it (``forget_image``, in that call's transaction).
"""

import sqlalchemy as sa

from common import exceptions
from registry_service.db import models

CachedImage = models.CachedImage


def _require_admin(ctxt):
    # glance-api calls with its own admin context (api_service/cache/node.py).
    if not ctxt.is_admin:
        raise exceptions.Forbidden('Only glance-api\'s image cache may read or change '
                                   'the cache records.')


def _to_dict(row):
    return {'image_id': row.image_id, 'size': row.size, 'hits': row.hits,
            'last_accessed': row.last_accessed, 'last_modified': row.last_modified}


def add(db, ctxt, node_reference, image_id, size, last_modified):
    """A copy was published on the node: the record, new or reset (hits 0)."""
    _require_admin(ctxt)
    with db.write() as session:
        row = session.execute(
            sa.select(CachedImage)
            .where(CachedImage.node_reference == node_reference,
                   CachedImage.image_id == image_id)
            .with_for_update()).scalar_one_or_none()
        if row is None:
            row = CachedImage(node_reference=node_reference, image_id=image_id)
            session.add(row)
        row.size = size
        row.hits = 0
        row.last_accessed = last_modified
        row.last_modified = last_modified
        session.flush()
        return _to_dict(row)


def add_hits(db, ctxt, node_reference, hits):
    """``hits``: [[image_id, count, last_accessed]]; records that are gone are skipped.
    -> {'updated': n}."""
    _require_admin(ctxt)
    updated = 0
    with db.write() as session:
        for image_id, count, last_accessed in hits:
            result = session.execute(
                sa.update(CachedImage)
                .where(CachedImage.node_reference == node_reference,
                       CachedImage.image_id == image_id)
                .values(hits=CachedImage.hits + int(count),
                        last_accessed=sa.case(
                            (CachedImage.last_accessed < float(last_accessed),
                             float(last_accessed)),
                            else_=CachedImage.last_accessed))
                .execution_options(synchronize_session=False))
            updated += result.rowcount
    return {'updated': updated}


def remove(db, ctxt, node_reference, image_ids=None):
    """Drop the node's records of ``image_ids`` (None: all of them); -> {'removed': n}."""
    _require_admin(ctxt)
    with db.write() as session:
        stmt = sa.delete(CachedImage).where(CachedImage.node_reference == node_reference)
        if image_ids is not None:
            if not image_ids:
                return {'removed': 0}
            stmt = stmt.where(CachedImage.image_id.in_(list(image_ids)))
        result = session.execute(stmt.execution_options(synchronize_session=False))
        return {'removed': result.rowcount}


def list_node(db, ctxt, node_reference):
    _require_admin(ctxt)
    with db.read() as session:
        rows = session.execute(
            sa.select(CachedImage)
            .where(CachedImage.node_reference == node_reference)
            .order_by(CachedImage.last_modified, CachedImage.image_id)).scalars()
        return [_to_dict(row) for row in rows]


def nodes_of(db, ctxt, image_id):
    _require_admin(ctxt)
    with db.read() as session:
        return list(session.execute(
            sa.select(CachedImage.node_reference)
            .where(CachedImage.image_id == image_id)
            .order_by(CachedImage.node_reference)).scalars())


# Built once: every image delete runs it.
_FORGET_IMAGE = sa.delete(CachedImage.__table__).where(
    CachedImage.__table__.c.image_id == sa.bindparam('image_id'))


def forget_image(session, image_id):
    """Inside a delete's or deactivate's transaction: no node's copy counts any more."""
    session.execute(_FORGET_IMAGE, {'image_id': image_id})
