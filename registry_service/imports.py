"""Interoperable image import: staging and the import lock (RPC 1.13).

Upstream keeps an import's state in reserved image properties, and so does this module:

* ``os_glance_stage_host``: the api worker holding the staged data (its
  worker_self_reference_url), for proxying the import to it;
* ``os_glance_import_task``: the lock, the id of the task importing into or copying the
  image; taken atomically by begin_import, released by end_import;
* ``os_glance_importing_to_stores`` / ``os_glance_failed_import``: comma-joined store ids
  still to do and those that failed.

Staging reuses the upload lease of uploads.py (``upload_expires_at``, ``upload_token``,
``upload_holder``) with ``uploading`` as the in-flight status: begin_stage moves queued ->
uploading under a lease, finish_stage ends the lease and leaves the image uploading with its
staged data (waiting for a glance-direct import, without a lease, as upstream), and
abort_stage (or the lease sweep) returns it to queued.
"""

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
from registry_service import images
from registry_service import locations
from registry_service import uploads
from registry_service.db import models
from registry_service.db.types import utcnow

Image = models.Image

STAGE_HOST = 'os_glance_stage_host'
IMPORT_TASK = 'os_glance_import_task'
IMPORTING = 'os_glance_importing_to_stores'
FAILED = 'os_glance_failed_import'

# What each method may import into: the image's status before, and during, the import.
METHOD_STATUS = {'glance-direct': states.UPLOADING, 'web-download': states.QUEUED,
                 'glance-download': states.QUEUED, 'copy-image': states.ACTIVE}


def _ids(value):
    return [item for item in (value or '').split(',') if item]


def _properties(session, image_id):
    return image_dicts.load_properties(session, [image_id])[image_id]


def _write(session, row, old, new):
    images._write_properties(session, row.id, old, new)
    session.flush()


def _answer(session, row, internal=()):
    session.refresh(row)
    return image_dicts.with_internal(image_dicts.to_dicts(session, [row])[0], row, internal)


def begin_stage(db, ctxt, image_id, lease_seconds, quotas=None, expected_size=None,
                upload_token=None, holder=None):
    """queued -> uploading under a lease; the image with ``upload_budget`` (as
    begin_upload)."""
    uploads._check_lease_seconds(lease_seconds)
    uploads.check_claim(upload_token, holder)
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status != states.QUEUED:
            raise exceptions.InvalidStatusTransition(current=row.status,
                                                     target=states.UPLOADING)
        budget = uploads._upload_budget(session, row, quotas, expected_size)
        image = uploads._swap_status(session, row, [states.QUEUED], states.UPLOADING,
                                     internal=('upload_expires_at',),
                                     upload_expires_at=uploads._lease_end(lease_seconds),
                                     upload_token=upload_token, upload_holder=holder)
        image['upload_budget'] = budget
        return image


def _staging_row(session, ctxt, image_id, upload_token):
    row = access.fetch_changeable(session, ctxt, image_id)
    if row.status != states.UPLOADING or row.upload_expires_at is None:
        raise exceptions.InvalidStatusTransition(current=row.status, target=states.UPLOADING)
    if upload_token is not None and row.upload_token != upload_token:
        raise exceptions.UploadSuperseded(image_id=row.id)
    return row


def renew_stage(db, ctxt, image_id, lease_seconds, upload_token=None):
    uploads._check_lease_seconds(lease_seconds)
    uploads.check_claim(upload_token, None)
    with db.write() as session:
        row = _staging_row(session, ctxt, image_id, upload_token)
        row.upload_expires_at = uploads._lease_end(lease_seconds)
        session.flush()
        return _answer(session, row, ('upload_expires_at',))


def finish_stage(db, ctxt, image_id, size, upload_token=None, stage_host=None,
                 virtual_size=None):
    """End the staging lease: the image stays uploading with its staged data (``size``
    bytes, ``virtual_size`` as the stage's inspection found it) and, given a
    ``stage_host``, os_glance_stage_host."""
    uploads.check_claim(upload_token, None)
    for name, value in (('size', size), ('virtual_size', virtual_size)):
        if (value is not None or name == 'size') and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise exceptions.Invalid('%s must be a non-negative integer.' % name)
    with db.write() as session:
        row = _staging_row(session, ctxt, image_id, upload_token)
        old = _properties(session, image_id)
        new = {k: v for k, v in old.items() if k != STAGE_HOST}
        if stage_host:
            new[STAGE_HOST] = stage_host
        _write(session, row, old, new)
        row.size, row.virtual_size = size, virtual_size
        row.updated_at = utcnow()
        for name, value in uploads.NO_CLAIM.items():
            setattr(row, name, value)
        session.flush()
        return _answer(session, row)


def abort_stage(db, ctxt, image_id, upload_token=None):
    """uploading (staging, or staged) -> queued; a queued image stays as it is."""
    uploads.check_claim(upload_token, None)
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        if row.status == states.QUEUED:
            return _answer(session, row)
        if row.status != states.UPLOADING:
            raise exceptions.InvalidStatusTransition(current=row.status, target=states.QUEUED)
        if upload_token is not None and row.upload_token not in (None, upload_token):
            raise exceptions.UploadSuperseded(image_id=row.id)
        old = _properties(session, image_id)
        _write(session, row, old, {k: v for k, v in old.items() if k != STAGE_HOST})
        return uploads._swap_status(session, row, [states.UPLOADING], states.QUEUED,
                                    size=None, virtual_size=None, **uploads.NO_CLAIM)


def _check_str_list(name, value):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise exceptions.Invalid('%s must be a list of store ids.' % name)


def begin_import(db, ctxt, image_id, task_id, method, stores, steal_from=None, quotas=None):
    """Take the import lock for ``task_id`` and record the stores to import into.

    The lock is taken only while os_glance_import_task is absent or still ``steal_from``
    (the stale lock the api decided to break, upstream's rules), so two imports cannot
    both win. glance-direct (uploading) and web-download (queued) move the image to
    importing; copy-image needs it active and leaves it so. -> the image, with
    ``upload_budget`` (the storage quota's room, as begin_upload) for a web-download.
    """
    if method not in METHOD_STATUS:
        raise exceptions.Invalid('Unknown import method %r.' % (method,))
    if not isinstance(task_id, str) or not task_id:
        raise exceptions.Invalid('task_id must be a non-empty string.')
    _check_str_list('stores', stores)
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        wanted = METHOD_STATUS[method]
        if row.status != wanted:
            raise exceptions.InvalidStatusTransition(
                'Image %s is %s; the %s method needs it %s.'
                % (image_id, row.status, method, wanted),
                current=row.status, target=states.IMPORTING)
        old = _properties(session, image_id)
        holder = old.get(IMPORT_TASK)
        if holder is not None and holder != steal_from:
            raise exceptions.Conflict('Image %s has an import task in progress (%s).'
                                      % (image_id, holder), image_id=image_id)
        budget = None
        if method in ('web-download', 'glance-download'):
            budget = uploads._upload_budget(session, row, quotas, None)
        new = dict(old)
        new[IMPORT_TASK] = task_id
        new[IMPORTING] = ','.join(stores)
        # A copy keeps the record of earlier failures but for the stores it tries again.
        failed = _ids(old.get(FAILED)) if method == 'copy-image' else []
        new[FAILED] = ','.join(s for s in failed if s not in stores)
        _write(session, row, old, new)
        if wanted != states.ACTIVE:
            image = uploads._swap_status(session, row, [wanted], states.IMPORTING)
        else:
            row.updated_at = utcnow()
            image = _answer(session, row)
        image['upload_budget'] = budget
        return image


def _locked_row(session, ctxt, image_id, task_id):
    row = access.fetch_changeable(session, ctxt, image_id)
    old = _properties(session, image_id)
    if old.get(IMPORT_TASK) != task_id:
        raise exceptions.Conflict('The import task %s no longer holds image %s.'
                                  % (task_id, image_id), image_id=image_id)
    return row, old


def import_store_done(db, ctxt, image_id, task_id, store_id, location, size, checksum,
                      os_hash_algo, os_hash_value, virtual_size=None, disk_format=None):
    """The image's data is now in ``store_id`` at ``location``: a location is added, and an
    importing image takes the data's size, hashes (and ``disk_format``, after a
    conversion); it becomes active at end_import. ``store_id`` leaves
    os_glance_importing_to_stores."""
    if not isinstance(location, str) or not location:
        raise exceptions.Invalid('location must be a non-empty string.')
    with db.write() as session:
        row, old = _locked_row(session, ctxt, image_id, task_id)
        if row.status not in (states.IMPORTING, states.ACTIVE):
            raise exceptions.InvalidStatusTransition(current=row.status,
                                                     target=states.ACTIVE)
        new = dict(old)
        new[IMPORTING] = ','.join(s for s in _ids(old.get(IMPORTING)) if s != store_id)
        _write(session, row, old, new)
        locations.add(session, image_id, location, store_id or None)
        if row.status == states.IMPORTING:
            row.size, row.checksum, row.virtual_size = size, checksum, virtual_size
            row.os_hash_algo, row.os_hash_value = os_hash_algo, os_hash_value
            if disk_format:
                row.disk_format = disk_format
        row.updated_at = utcnow()
        session.flush()
        return _answer(session, row)


def import_store_failed(db, ctxt, image_id, task_id, store_id):
    """``store_id`` moves from os_glance_importing_to_stores to os_glance_failed_import."""
    with db.write() as session:
        row, old = _locked_row(session, ctxt, image_id, task_id)
        new = dict(old)
        new[IMPORTING] = ','.join(s for s in _ids(old.get(IMPORTING)) if s != store_id)
        failed = _ids(old.get(FAILED))
        if store_id and store_id not in failed:
            failed.append(store_id)
        new[FAILED] = ','.join(failed)
        _write(session, row, old, new)
        return _answer(session, row)


def end_import(db, ctxt, image_id, task_id, failed=False):
    """Release the lock of ``task_id``. An importing image becomes active when the import
    succeeded and its data is in a store; otherwise it returns to queued: the stores it did
    not reach go to os_glance_failed_import, its staging host is forgotten (the staged data
    is gone) and the locations this import added are removed, -> the image with
    ``removed_locations`` [{'url', 'store_id'}] for the api to remove that data. A lock
    already taken over by another task is left alone (-> the image as it is)."""
    with db.write() as session:
        row = access.fetch_changeable(session, ctxt, image_id)
        old = _properties(session, image_id)
        if old.get(IMPORT_TASK) != task_id:
            answer = _answer(session, row)
            answer['removed_locations'] = []
            return answer
        new = {k: v for k, v in old.items() if k != IMPORT_TASK}
        live = locations.all_live(session, image_id)
        success = not failed and (row.status != states.IMPORTING or bool(live))
        if not success:
            left = _ids(old.get(IMPORTING))
            done = _ids(old.get(FAILED))
            new[FAILED] = ','.join(done + [s for s in left if s not in done])
            new[IMPORTING] = ''
        removed = []
        if row.status == states.IMPORTING:
            new.pop(STAGE_HOST, None)
            _write(session, row, old, new)
            if success:
                image = uploads._swap_status(session, row, [states.IMPORTING], states.ACTIVE)
            else:
                removed = [{'url': loc.url, 'store_id': loc.store_id} for loc in live]
                locations.mark(session, image_id, locations.DELETED)
                image = uploads._swap_status(
                    session, row, [states.IMPORTING], states.QUEUED, size=None,
                    checksum=None, os_hash_algo=None, os_hash_value=None, virtual_size=None,
                    **uploads.NO_CLAIM)
        else:
            _write(session, row, old, new)
            row.updated_at = utcnow()
            session.flush()
            image = _answer(session, row)
        image['removed_locations'] = removed
        return image


def staged_images(db, ctxt, image_ids):
    """-> {image id: status} of those of ``image_ids`` that exist, are not deleted and may
    hold staged data: uploading, importing, or under an import lock (a copy); for
    glance-api's staging sweep (an admin call)."""
    if not ctxt.is_admin:
        raise exceptions.Forbidden('Only glance-api may list staged images.')
    _check_str_list('image_ids', image_ids)
    locked = sa.select(models.ImageProperty.image_id).where(
        models.ImageProperty.name == IMPORT_TASK)
    with db.read() as session:
        rows = session.execute(
            sa.select(Image.id, Image.status).where(
                Image.id.in_(image_ids), Image.deleted == sa.false(),
                sa.or_(Image.status.in_((states.UPLOADING, states.IMPORTING)),
                       Image.id.in_(locked)))).all()
        return {row.id: row.status for row in rows}
