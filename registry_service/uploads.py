"""The upload state machine: queued -> saving -> active, or back to queued on failure.

Each step is a compare-and-swap on the status, so two uploads of one image, or an upload and
a delete, cannot both win. An upload in ``saving`` holds a lease (``upload_expires_at``)
that its api worker renews while bytes flow; expire_leases() returns the images whose
lease has passed (their worker died, or lost the registry for a whole lease) to ``queued``.

Since RPC 1.5 an upload also carries a claim: the token its api worker chose for it and the
worker itself (``upload_token``, ``upload_holder``). renew, finish and abort that name a
token act only while it is still the image's, so an upload whose image was handed back (by
the sweep, or by release() when glance-api's master saw its worker die) can neither keep
nor publish it; release() hands back at once every upload of a dead worker.
"""

import datetime

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
from registry_service import locations
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image


# What begin_upload's claim may be (the columns' lengths).
TOKEN_MAX_LENGTH = 64
HOLDER_MAX_LENGTH = 255
# Values that end an upload's claim along with its lease.
NO_CLAIM = {'upload_expires_at': None, 'upload_token': None, 'upload_holder': None}


def check_claim(upload_token, holder):
    for name, value, limit in (('upload_token', upload_token, TOKEN_MAX_LENGTH),
                               ('holder', holder, HOLDER_MAX_LENGTH)):
        if value is not None and (not isinstance(value, str) or not value
                                  or len(value) > limit):
            raise exceptions.Invalid('%s must be a string of 1 to %d characters.'
                                     % (name, limit))


def _claimed(upload_token):
    """SQL: the image's upload is the one ``upload_token`` began (None: whichever)."""
    return sa.true() if upload_token is None else Image.upload_token == upload_token


def _check_current(row, upload_token):
    """UploadSuperseded when ``row`` is saving under a claim other than ``upload_token``."""
    if upload_token is not None and row.status == states.SAVING and \
            row.upload_token != upload_token:
        raise exceptions.UploadSuperseded(image_id=row.id)


def _swap_status(session, row, sources, target, internal=(), claim=None, **values):
    """UPDATE the row to `target` only while its status is one of `sources` (and, given a
    `claim` token, while that is its upload's); -> the image (with the `internal` fields
    named)."""
    result = session.execute(
        sa.update(Image)
        .where(Image.id == row.id, Image.deleted == sa.false(), Image.status.in_(sources),
               _claimed(claim))
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise exceptions.InvalidStatusTransition(current=row.status, target=target)
    session.refresh(row)
    return image_dicts.with_internal(image_dicts.to_dicts(session, [row])[0], row, internal)


def _storage_quota(quotas):
    """The user_storage_quota in bytes from the api's quotas, None when unlimited."""
    quota = (quotas or {}).get('user_storage_quota')
    if quota is None or isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
        return None
    return quota


def stored_bytes(session, owner, except_image_id):
    """What `owner` stores: the sizes of its non-deleted images, bar the one uploading."""
    used = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Image.size), 0))
        .where(Image.owner == owner, Image.deleted == sa.false(),
               Image.status.notin_((states.KILLED, states.DELETED)), Image.size > 0,
               Image.id != except_image_id)).scalar_one()
    return int(used)


def _upload_budget(session, row, quotas, expected_size):
    """Bytes this upload may write (None = unlimited); QuotaExceeded when none fit."""
    return upload_budget(quotas, expected_size,
                         lambda: stored_bytes(session, row.owner, row.id))


def upload_budget(quotas, expected_size, stored):
    """The storage quota's rule, apart from where the stored bytes come from (``stored()``).

    Like upstream, a known size must fit what is left, and an unknown size needs at least
    some room; two concurrent uploads can each pass this check, as upstream's can.
    """
    quota = _storage_quota(quotas)
    if quota is None:
        return None
    budget = quota - stored()
    if (expected_size is not None and expected_size > budget) or \
            (expected_size is None and budget <= 0):
        raise exceptions.QuotaExceeded(
            'The size of the data %s will exceed the limit. %d bytes remaining.'
            % (expected_size, max(budget, 0)))
    return budget


def _check_lease_seconds(lease_seconds):
    if not isinstance(lease_seconds, int) or isinstance(lease_seconds, bool) \
            or lease_seconds <= 0:
        raise exceptions.Invalid('lease_seconds must be a positive integer.')


def _lease_end(lease_seconds):
    return utcnow() + datetime.timedelta(seconds=lease_seconds)


def begin(db, ctxt, image_id, lease_seconds, quotas=None, expected_size=None,
          upload_token=None, holder=None):
    _check_lease_seconds(lease_seconds)
    check_claim(upload_token, holder)
    if expected_size is not None and (not isinstance(expected_size, int)
                                      or isinstance(expected_size, bool)
                                      or expected_size < 0):
        raise exceptions.Invalid('expected_size must be a non-negative integer.')
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if not states.can_transition(row.status, states.SAVING):
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.SAVING)
        if row.disk_format is None or row.container_format is None:
            raise exceptions.Invalid('Properties disk_format, container_format must be set '
                                     'prior to saving data.')
        budget = _upload_budget(session, row, quotas, expected_size)
        image = _swap_status(session, row, states.sources_of(states.SAVING), states.SAVING,
                             internal=('upload_expires_at',),
                             upload_expires_at=_lease_end(lease_seconds),
                             upload_token=upload_token, upload_holder=holder)
        image['upload_budget'] = budget
        return image


def finish(db, ctxt, image_id, location, size, checksum, os_hash_algo, os_hash_value,
           virtual_size=None, upload_token=None, store_id=None):
    check_claim(upload_token, None)
    if virtual_size is not None and (not isinstance(virtual_size, int)
                                     or isinstance(virtual_size, bool) or virtual_size < 0):
        raise exceptions.Invalid('virtual_size must be a non-negative integer.')
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.ACTIVE)
        _check_current(row, upload_token)
        if store_id is not None and (not isinstance(store_id, str) or not store_id):
            raise exceptions.Invalid('store_id must be a non-empty string.')
        # The location first, so the image answered carries its stores (rolled back with
        # the rest when the swap is refused).
        locations.add(session, image_id, location, store_id)
        return _swap_status(session, row, [states.SAVING], states.ACTIVE,
                            claim=upload_token, size=size,
                            checksum=checksum, os_hash_algo=os_hash_algo,
                            os_hash_value=os_hash_value, virtual_size=virtual_size,
                            **NO_CLAIM)


def abort(db, ctxt, image_id, upload_token=None):
    """saving -> queued; a queued image stays as it is (the abort already happened)."""
    check_claim(upload_token, None)
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status == states.QUEUED:
            return image_dicts.to_dicts(session, [row])[0]
        if row.status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.QUEUED)
        _check_current(row, upload_token)
        return _swap_status(session, row, [states.SAVING], states.QUEUED,
                            claim=upload_token, **NO_CLAIM)


def renew(db, ctxt, image_id, lease_seconds, upload_token=None):
    """Move the lease of an upload in progress to ``lease_seconds`` from now.

    A lease that has passed but was not swept yet is renewed too: the upload is evidently
    alive, and the sweep's own conditions keep the two from both winning.
    """
    _check_lease_seconds(lease_seconds)
    check_claim(upload_token, None)
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.SAVING)
        _check_current(row, upload_token)
        result = session.execute(
            sa.update(Image)
            .where(Image.id == row.id, Image.deleted == sa.false(),
                   Image.status == states.SAVING, _claimed(upload_token))
            .values(upload_expires_at=_lease_end(lease_seconds))
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.SAVING)
        session.refresh(row)
        return image_dicts.with_internal(image_dicts.to_dicts(session, [row])[0], row,
                                         ('upload_expires_at',))


def _lease_passed(now):
    # An image staging its data for import (uploading, registry_service/imports.py) holds
    # the same lease; one that finished staging has none and waits for its import.
    return sa.and_(Image.deleted == sa.false(),
                   Image.status.in_((states.SAVING, states.UPLOADING)),
                   Image.upload_expires_at < now)


def expire_leases(db, now=None):
    """saving -> queued for every upload whose lease passed before ``now``.

    -> [{'id', 'owner', 'upload_expires_at'}] of the images this call returned to queued.
    Several registries may sweep one database at once: the rows are locked as they are
    read and the UPDATE repeats the conditions (a compare-and-swap), so each image is
    returned by one sweep only, and an upload that renewed its lease meanwhile keeps it.
    """
    now = now or utcnow()
    columns = (Image.id, Image.owner, Image.upload_expires_at)
    # Nearly every sweep finds nothing: look first without taking a write lock (SQLite's
    # write transactions lock the whole database).
    with db.read() as session:
        if session.execute(sa.select(Image.id).where(_lease_passed(now)).limit(1)).first() \
                is None:
            return []
    with db.write() as session:
        rows = session.execute(
            sa.select(*columns).where(_lease_passed(now)).with_for_update()).all()
        if not rows:
            return []
        session.execute(
            sa.update(Image)
            .where(Image.id.in_([row.id for row in rows]), _lease_passed(now))
            .values(status=states.QUEUED, updated_at=utcnow(), **NO_CLAIM)
            .execution_options(synchronize_session=False))
        return [{'id': row.id, 'owner': row.owner,
                 'upload_expires_at': image_dicts.isotime(row.upload_expires_at)}
                for row in rows]


def _held_by(holder):
    return sa.and_(Image.deleted == sa.false(), Image.status == states.SAVING,
                   Image.upload_holder == holder)


def release(db, ctxt, holder):
    """saving -> queued for every upload ``holder`` (an api worker that died) holds.

    -> [{'id', 'owner'}] of the images handed back. The UPDATE repeats the conditions, so an
    image that finished, was aborted or was swept meanwhile is left as it is. Only glance-api
    itself calls it, with an admin context.
    """
    if not ctxt.is_admin:
        raise exceptions.Forbidden('Only glance-api may release the uploads of a worker.')
    check_claim(None, holder)
    if holder is None:
        raise exceptions.Invalid('holder must be a string of 1 to %d characters.'
                                 % HOLDER_MAX_LENGTH)
    with db.write() as session:
        rows = session.execute(
            sa.select(Image.id, Image.owner).where(_held_by(holder)).with_for_update()).all()
        if not rows:
            return []
        session.execute(
            sa.update(Image)
            .where(Image.id.in_([row.id for row in rows]), _held_by(holder))
            .values(status=states.QUEUED, updated_at=utcnow(), **NO_CLAIM)
            .execution_options(synchronize_session=False))
        return [{'id': row.id, 'owner': row.owner} for row in rows]
