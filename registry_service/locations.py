"""The image_locations table: where an image's data lives, with the store that holds it.

An upload adds an ``active`` location (finish_upload, with the store id of glance-api's
backend); a delete marks it ``pending_delete`` (delayed delete: glance-scrubber will remove
the data) or ``deleted``; a restore brings it back to ``active``. An image has at most one
live location per upload; the table takes several (the stores attribute, the locations
API and copies between stores). DELETE /v2/stores/{store}/{image} removes one of an image's
locations (never its last): remove_from_store.

The locations API (RPC 1.11) reads an image's list with list_of and rewrites it with
set_all: the api computes the new list (PATCH /locations, POST /v2/images/{id}/locations)
and the registry writes it only while the list is still the one the api read, in the same
transaction as the values (size, hashes) and the status the new list brings (RPC 1.14:
with ``import_task``, the image is ``importing`` under that task's import lock,
os_glance_import_task, as an import is, so the registry's task sweep hands it back to
``queued`` when the api worker hashing its location dies). The order of
the list is the order of the rows' ids: the first location is the oldest (image_get's
internal location is the newest, current(): every location holds the same data; with
copies in several stores the api's download reads the one its store weights prefer).
"""

import json

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
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


# Built once (every image delete runs it); the SET columns come from each execution.
_MARK = sa.update(Location.__table__).where(
    Location.__table__.c.image_id == sa.bindparam('b_image_id'),
    Location.__table__.c.status.in_(sa.bindparam('b_statuses', expanding=True)))


def mark(session, image_id, status, now=None, statuses=(ACTIVE, PENDING_DELETE)):
    """Set the status of the image's locations that are in ``statuses``."""
    now = now or utcnow()
    gone = status == DELETED
    session.execute(_MARK, {'b_image_id': image_id, 'b_statuses': list(statuses),
                            'status': status, 'updated_at': now, 'deleted': gone,
                            'deleted_at': now if gone else None})


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


# -- the locations API (RPC 1.11) -------------------------------------------------------------

# What set_all may write on the image with a new list of locations.
LOCATION_VALUES = ('size', 'checksum', 'os_hash_algo', 'os_hash_value')
MAX_URL_LENGTH = 65535
# The import lock (registry_service/imports.py's, which the task sweep releases).
IMPORT_TASK = 'os_glance_import_task'


def as_dict(row):
    """A location as it crosses the bus: {'id', 'url', 'metadata', 'store_id'}."""
    return {'id': row.id, 'url': row.url, 'store_id': row.store_id,
            'metadata': json.loads(row.meta_data) if row.meta_data else {}}


def list_of(db, ctxt, image_ids):
    """{image id: [its active locations, first first]} for the images of ``image_ids`` the
    caller may see (the others are left out)."""
    if not isinstance(image_ids, (list, tuple)) or not all(
            isinstance(i, str) for i in image_ids):
        raise exceptions.Invalid('image_ids must be a list of image ids.')
    with db.read() as session:
        rows = session.execute(
            sa.select(models.Image).where(models.Image.id.in_(list(image_ids)),
                                          models.Image.deleted == sa.false())).scalars()
        seen = [row.id for row in rows if access.can_see(ctxt, row)]
        found = {image_id: [] for image_id in seen}
        if seen:
            for row in session.execute(
                    sa.select(Location).where(Location.image_id.in_(seen),
                                              Location.status == ACTIVE,
                                              Location.deleted == sa.false())
                    .order_by(Location.id)).scalars():
                found[row.image_id].append(as_dict(row))
        return found


def _checked_locations(new):
    if not isinstance(new, (list, tuple)):
        raise exceptions.Invalid('locations must be a list.')
    for loc in new:
        if not isinstance(loc, dict) or not isinstance(loc.get('url'), str) \
                or not loc['url'] or len(loc['url']) > MAX_URL_LENGTH \
                or not isinstance(loc.get('metadata', {}), dict) \
                or not isinstance(loc.get('store_id'), (str, type(None))):
            raise exceptions.Invalid('Each location needs a url, a metadata object and a '
                                     'store_id (or null).')
    return new


def _checked_values(values):
    values = dict(values or {})
    for name, value in values.items():
        if name not in LOCATION_VALUES:
            raise exceptions.Invalid('A new list of locations may not set %s.' % name)
        if name == 'size':
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 0):
                raise exceptions.Invalid('size must be a non-negative integer.')
        elif value is not None and not isinstance(value, str):
            raise exceptions.Invalid('%s must be a string.' % name)
    return values


def _rewrite(session, image_id, old, new, now):
    """Make the image's live rows ``new`` (in order): rows kept in place keep their ids,
    the rest of the old rows are marked deleted and the rest of the new list inserted after.
    -> the old locations whose url the new list no longer has."""
    keep = 0
    while (keep < len(old) and keep < len(new) and new[keep].get('id') == old[keep].id
           and new[keep]['url'] == old[keep].url):
        keep += 1
    for row, loc in zip(old[:keep], new[:keep], strict=True):
        metadata = loc.get('metadata') or None
        row.meta_data = json.dumps(metadata) if metadata else None
        row.store_id = loc.get('store_id')
        row.updated_at = now
    for row in old[keep:]:
        row.status, row.deleted, row.deleted_at, row.updated_at = DELETED, True, now, now
    for loc in new[keep:]:
        add(session, image_id, loc['url'], loc.get('store_id'), loc.get('metadata'), now)
    urls = {loc['url'] for loc in new}
    return [{'url': row.url, 'store_id': row.store_id} for row in old if row.url not in urls]


def _import_lock(session, row, task_id, status):
    """The import lock of a location import (``task_id``): taken as the image becomes
    ``importing`` (Conflict while another task holds it), released as it leaves it, which
    only the holder may do (else Conflict: the task sweep handed the image back
    meanwhile)."""
    Property = models.ImageProperty
    held = image_dicts.load_properties(session, [row.id])[row.id].get(IMPORT_TASK)
    if status == states.IMPORTING:
        if held not in (None, task_id):
            raise exceptions.Conflict('Image %s is being imported by task %s.'
                                      % (row.id, held), image_id=row.id)
        if held is None:
            session.add(Property(image_id=row.id, name=IMPORT_TASK, value=task_id))
        return
    if held != task_id:
        raise exceptions.Conflict('Task %s does not hold image %s.' % (task_id, row.id),
                                  image_id=row.id)
    session.execute(sa.delete(Property).where(Property.image_id == row.id,
                                              Property.name == IMPORT_TASK))


def set_all(db, ctxt, image_id, expected=None, locations=None, values=None, statuses=None,
            status=None, import_task=None):
    """The image's locations become ``locations`` (None: unchanged), its ``values`` (size,
    checksum, os_hash_algo, os_hash_value; None clears one) are set and its status becomes
    ``status`` (None: unchanged), in one transaction.

    ``expected``: the ids of the image's live locations as the caller read them; when they
    changed since -> Conflict. ``statuses``: the image must be in one of them (Conflict).
    ``import_task``: the task computing the hash of a location import, which takes the
    import lock with ``status`` importing and releases it with another (_import_lock).
    Owner or admin. -> the image, with its ``locations`` now and ``removed``: the old
    locations whose url is gone (the api decides about their data).
    """
    values = _checked_values(values)
    new = _checked_locations(locations) if locations is not None else None
    if status is not None and status not in states.ALL:
        raise exceptions.Invalid('Unknown status %r.' % (status,))
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if statuses is not None and row.status not in statuses:
            raise exceptions.Conflict("The locations of image %s may not change while its "
                                      "status is %s." % (image_id, row.status),
                                      image_id=image_id)
        old = all_live(session, image_id)
        if expected is not None and [r.id for r in old] != list(expected):
            raise exceptions.Conflict('The locations of image %s changed meanwhile; read '
                                      'them again.' % image_id, image_id=image_id)
        if import_task is not None:
            if not isinstance(import_task, str) or not import_task:
                raise exceptions.Invalid('import_task must be a task id.')
            _import_lock(session, row, import_task, status)
        now = utcnow()
        removed = _rewrite(session, image_id, old, new, now) if new is not None else []
        if status is not None and status != row.status:
            if not states.can_transition(row.status, status):
                raise exceptions.InvalidStatusTransition(current=row.status, target=status)
            row.status = status
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
        session.flush()
        image = image_dicts.to_dicts(session, [row])[0]
        image['locations'] = [as_dict(r) for r in all_live(session, image_id)]
        image['removed'] = removed
        return image
