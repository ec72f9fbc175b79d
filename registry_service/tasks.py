"""glance-api's asynchronous tasks: their records, status rules, leases and the sweep.

A task is created ``pending`` by the api that accepted it, claimed (``processing``) by the
api worker that runs it, which holds a lease on it (``holder``, ``lease_expires_at``) and
renews it while it works, and ends ``success`` or ``failure``; a finished task expires
[task] task_time_to_live hours later (``expires_at``, chosen by the api) and is hidden
(deleted) from then on, as upstream's are.

sweep() fails the tasks whose lease passed (their worker died, or lost the registry for a
whole lease; a worker also holds a lease on the pending tasks waiting in its queue) and
hands their image back: an image an import task left in
``importing`` is ``queued`` again, the stores it was importing to recorded as failed.

The value checks and the dict a task travels as are pure functions, which the api unit
tests' FakeRegistry calls too.
"""

import datetime
import json
import uuid

import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
from registry_service.db import models
from registry_service.db.types import utcnow

Task = models.Task

PENDING = 'pending'
PROCESSING = 'processing'
SUCCESS = 'success'
FAILURE = 'failure'
STATUSES = (PENDING, PROCESSING, SUCCESS, FAILURE)
FINISHED = (SUCCESS, FAILURE)
# status -> the statuses it may move to.
TRANSITIONS = {
    PENDING: frozenset({PROCESSING, FAILURE}),
    PROCESSING: frozenset({SUCCESS, FAILURE}),
    SUCCESS: frozenset(),
    FAILURE: frozenset(),
}

# The keys of a task dict, as it crosses the bus.
TASK_FIELDS = ('id', 'type', 'status', 'owner', 'input', 'result', 'message', 'image_id',
               'request_id', 'user_id', 'created_at', 'updated_at', 'expires_at')
DATETIME_FIELDS = ('created_at', 'updated_at', 'expires_at')
# What task_update may change.
CHANGEABLE = ('status', 'result', 'message', 'image_id')
# What task_list may filter on, and sort by (created_at then id break ties).
FILTERS = ('type', 'status', 'owner', 'image_id', 'user_id', 'request_id')
# Columns never NULL, so that paging after a marker means the same on every backend.
SORT_KEYS = ('created_at', 'updated_at', 'id', 'type', 'status')
SORT_DIRS = ('asc', 'desc')
# Upstream's default: [task] task_time_to_live.
DEFAULT_TIME_TO_LIVE_HOURS = 48

ID_MAX_LENGTH = 36
TYPE_MAX_LENGTH = 30
HOLDER_MAX_LENGTH = 255

# The image properties of an import in progress (upstream's names).
IMPORT_TASK_PROPERTY = 'os_glance_import_task'
IMPORTING_TO_PROPERTY = 'os_glance_importing_to_stores'
FAILED_IMPORT_PROPERTY = 'os_glance_failed_import'

DEAD_WORKER_MESSAGE = ('The glance-api worker running this task stopped before it finished; '
                       'retry the import.')
DEAD_QUEUE_MESSAGE = ('The glance-api worker that accepted this task stopped before it ran '
                      'it; retry.')


# -- pure rules, shared with the api unit tests' FakeRegistry ---------------------------------

def not_found(task_id):
    return exceptions.NotFound('Task with the given id %s was not found' % task_id,
                               task_id=task_id)


def transition_refused(current, target):
    return exceptions.Conflict('Status transition from %s to %s is not allowed'
                               % (current, target), current=current, target=target)


def not_holder(task_id):
    return exceptions.Conflict('Task %s is not held by this glance-api worker.' % task_id,
                               task_id=task_id)


def _check_string(name, value, limit, optional=True):
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or len(value) > limit:
        raise exceptions.Invalid('%s must be a string of 1 to %d characters.' % (name, limit))


def _check_object(name, value):
    if value is not None and not isinstance(value, dict):
        raise exceptions.Invalid('%s must be an object or null.' % name)


def check_new(values):
    """The values task_create keeps: {'id' (optional), 'type', 'input', 'image_id'}."""
    if not isinstance(values, dict):
        raise exceptions.Invalid('values must be an object.')
    unknown = sorted(set(values) - {'id', 'type', 'input', 'image_id'})
    if unknown:
        raise exceptions.Invalid('Unknown task attributes: %s' % ', '.join(unknown))
    _check_string('id', values.get('id'), ID_MAX_LENGTH)
    _check_string('type', values.get('type'), TYPE_MAX_LENGTH, optional=False)
    _check_object('input', values.get('input'))
    _check_string('image_id', values.get('image_id'), ID_MAX_LENGTH)
    return {'id': values.get('id'), 'type': values['type'], 'input': values.get('input'),
            'image_id': values.get('image_id')}


def check_changes(current, values):
    """The changes task_update applies to a task in status ``current``."""
    if not isinstance(values, dict):
        raise exceptions.Invalid('values must be an object.')
    unknown = sorted(set(values) - set(CHANGEABLE))
    if unknown:
        raise exceptions.Invalid('Task attributes that cannot be changed: %s'
                                 % ', '.join(unknown))
    if current in FINISHED and values:
        # Its outcome is recorded: a late worker (or a stop) must not rewrite it.
        raise exceptions.Conflict('The task has finished (%s); it cannot change any more.'
                                  % current, current=current)
    if 'status' in values:
        target = values['status']
        if target not in STATUSES:
            raise exceptions.Invalid('Invalid task status: %s' % (target,))
        if target != current and target not in TRANSITIONS[current]:
            raise transition_refused(current, target)
    _check_object('result', values.get('result'))
    if values.get('message') is not None and not isinstance(values['message'], str):
        raise exceptions.Invalid('message must be a string or null.')
    _check_string('image_id', values.get('image_id'), ID_MAX_LENGTH)
    return dict(values)


def check_lease(holder, lease_seconds):
    _check_string('holder', holder, HOLDER_MAX_LENGTH, optional=False)
    if not isinstance(lease_seconds, int) or isinstance(lease_seconds, bool) \
            or lease_seconds <= 0:
        raise exceptions.Invalid('lease_seconds must be a positive integer.')


def time_to_live(hours):
    """The timedelta a finished task lives for; ``hours`` None: upstream's default."""
    if hours is None:
        hours = DEFAULT_TIME_TO_LIVE_HOURS
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0:
        raise exceptions.Invalid('time_to_live must be a non-negative number of hours.')
    return datetime.timedelta(hours=hours)


def check_list(filters, marker, limit, sort_key, sort_dir):
    """task_list's arguments checked; -> (filters, marker, limit, sort_key, sort_dir)."""
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise exceptions.InvalidFilter(value=', '.join(unknown))
    for value in filters.values():
        if not isinstance(value, str):
            raise exceptions.InvalidFilter(value=value)
    sort_key = sort_key or 'created_at'
    sort_dir = sort_dir or 'desc'
    if sort_key not in SORT_KEYS:
        raise exceptions.InvalidSortKey(key=sort_key)
    if sort_dir not in SORT_DIRS:
        raise exceptions.InvalidSortDir(direction=sort_dir)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise exceptions.Invalid('limit must be a non-negative integer.')
    if marker is not None and not isinstance(marker, str):
        raise exceptions.MarkerNotFound(marker=marker)
    return filters, marker, limit, sort_key, sort_dir


def can_see(ctxt, owner):
    return ctxt.is_admin or (ctxt.owner is not None and owner == ctxt.owner)


def to_dict(row):
    """A task dict from ``row``: any object or mapping with the tasks columns (``input`` and
    ``result`` as JSON text)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    task = {}
    for field in TASK_FIELDS:
        value = get(field)
        if field in DATETIME_FIELDS:
            value = image_dicts.isotime(value)
        elif field in ('input', 'result'):
            value = None if value is None else json.loads(value)
        task[field] = value
    return task


def encode(value):
    """A JSON object (or None) as the text the row keeps."""
    return None if value is None else json.dumps(value, sort_keys=True)


def released_image(status, properties, task_id):
    """What handing back an image a dead import task held changes: -> (new status or None,
    {property: value or None (removed)}), or None when the task does not hold the image."""
    if properties.get(IMPORT_TASK_PROPERTY) != task_id:
        return None
    changes = {IMPORT_TASK_PROPERTY: None, IMPORTING_TO_PROPERTY: None}
    stores = [s for s in (properties.get(IMPORTING_TO_PROPERTY) or '').split(',') if s]
    if stores:
        failed = [s for s in (properties.get(FAILED_IMPORT_PROPERTY) or '').split(',') if s]
        changes[FAILED_IMPORT_PROPERTY] = ','.join(failed + [s for s in stores
                                                             if s not in failed])
    return (states.QUEUED if status == states.IMPORTING else None), changes


# -- the database ------------------------------------------------------------------------------

def _live(now):
    """SQL: tasks users still see (not deleted, not expired)."""
    return sa.and_(Task.deleted == sa.false(),
                   sa.or_(Task.expires_at.is_(None), Task.expires_at > now))


def _fetch(session, ctxt, task_id, for_update=False):
    query = sa.select(Task).where(Task.id == task_id, _live(utcnow()))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none() if isinstance(task_id, str) else None
    if row is None or not can_see(ctxt, row.owner):
        raise not_found(task_id)
    return row


def create(db, ctxt, values):
    values = check_new(values)
    now = utcnow()
    with db.write() as session:
        task_id = values['id'] or str(uuid.uuid4())
        if session.get(Task, task_id) is not None:
            raise exceptions.Duplicate('A task with id %s already exists.' % task_id)
        row = Task(id=task_id, type=values['type'], status=PENDING, owner=ctxt.owner or '',
                   input=encode(values['input']), result=None, message='',
                   image_id=values['image_id'], request_id=_cut(ctxt.request_id, 64),
                   user_id=_cut(ctxt.user_id, 64), holder=None, lease_expires_at=None,
                   expires_at=None, created_at=now, updated_at=now, deleted=False,
                   deleted_at=None)
        session.add(row)
        session.flush()
        return to_dict(row)


def _cut(value, limit):
    return None if value is None else str(value)[:limit]


def get(db, ctxt, task_id):
    with db.read() as session:
        return to_dict(_fetch(session, ctxt, task_id))


def list_tasks(db, ctxt, filters=None, marker=None, limit=None, sort_key=None, sort_dir=None):
    filters, marker, limit, sort_key, sort_dir = check_list(filters, marker, limit, sort_key,
                                                            sort_dir)
    keys = [sort_key] + [key for key in ('created_at', 'id') if key != sort_key]
    order = sa.asc if sort_dir == 'asc' else sa.desc
    with db.read() as session:
        query = sa.select(Task).where(_live(utcnow()))
        if not ctxt.is_admin:
            query = query.where(Task.owner == (ctxt.owner or ''))
        for name, value in filters.items():
            query = query.where(getattr(Task, name) == value)
        if marker is not None:
            try:
                marker_row = _fetch(session, ctxt, marker)
            except exceptions.NotFound:
                raise exceptions.MarkerNotFound(marker=marker) from None
            query = query.where(_after(marker_row, keys, sort_dir))
        query = query.order_by(*[order(getattr(Task, key)) for key in keys])
        if limit is not None:
            query = query.limit(limit)
        return [to_dict(row) for row in session.execute(query).scalars()]


def _after(marker_row, keys, sort_dir):
    """SQL: rows after ``marker_row`` in the order of ``keys`` (all in ``sort_dir``)."""
    clauses = []
    equal = []
    for key in keys:
        column = getattr(Task, key)
        value = getattr(marker_row, key)
        clauses.append(sa.and_(*equal, column > value if sort_dir == 'asc' else column < value))
        equal.append(column == value)
    return sa.or_(*clauses)


def list_for_image(db, ctxt, image_id):
    """The live tasks of an image the caller may see: all of them for its owner (or an
    admin), a caller's own ones otherwise; oldest first."""
    with db.read() as session:
        image = access.fetch_visible(session, ctxt, image_id)
        query = sa.select(Task).where(Task.image_id == image_id, _live(utcnow()))
        if not access.can_change(ctxt, image):
            query = query.where(Task.owner == (ctxt.owner or ''))
        query = query.order_by(Task.created_at, Task.id)
        return [to_dict(row) for row in session.execute(query).scalars()]


def update(db, ctxt, task_id, values, holder=None, time_to_live_hours=None):
    lifetime = time_to_live(time_to_live_hours)
    with db.write() as session:
        row = _fetch(session, ctxt, task_id, for_update=True)
        changes = check_changes(row.status, values)
        if holder is not None and (row.status != PROCESSING or row.holder != holder):
            raise not_holder(task_id)
        now = utcnow()
        for name in ('result',):
            if name in changes:
                changes[name] = encode(changes[name])
        if changes.get('status') in FINISHED and changes['status'] != row.status:
            changes.update(expires_at=now + lifetime, holder=None, lease_expires_at=None)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = now
        if changes.get('status') == FAILURE and row.image_id is not None:
            # A task failed without its work undoing the import (glance-api stopped before
            # running it, or the work died half-way) would leave the image locked and
            # ``importing``: hand it back here as the sweep does for a dead worker.
            _release_image(session, row, now)
        session.flush()
        return to_dict(row)


def claim(db, ctxt, task_id, holder, lease_seconds):
    """pending -> processing for ``holder``, with a lease of ``lease_seconds``."""
    check_lease(holder, lease_seconds)
    with db.write() as session:
        row = _fetch(session, ctxt, task_id, for_update=True)
        if row.status != PENDING:
            raise transition_refused(row.status, PROCESSING)
        now = utcnow()
        row.status = PROCESSING
        row.holder = holder
        row.lease_expires_at = now + datetime.timedelta(seconds=lease_seconds)
        row.updated_at = now
        session.flush()
        return to_dict(row)


def renewable(status, current_holder, holder):
    """A task ``holder`` runs, or a pending one nobody else holds (waiting in its queue)."""
    return (status == PROCESSING and current_holder == holder) or \
        (status == PENDING and current_holder in (None, holder))


def renew(db, ctxt, task_id, holder, lease_seconds):
    """Moves the lease of a task ``holder`` runs, or holds pending in its queue, to
    ``lease_seconds`` from now."""
    check_lease(holder, lease_seconds)
    with db.write() as session:
        row = _fetch(session, ctxt, task_id, for_update=True)
        if not renewable(row.status, row.holder, holder):
            raise not_holder(task_id)
        row.holder = holder
        now = utcnow()
        row.lease_expires_at = now + datetime.timedelta(seconds=lease_seconds)
        # A heartbeat, as upstream's running import saves its task: the import lock's
        # expiry (os_glance_import_task) goes by the task's updated_at.
        row.updated_at = now
        session.flush()
        return to_dict(row)


def _lease_passed(now):
    return sa.and_(Task.deleted == sa.false(), Task.status.in_((PENDING, PROCESSING)),
                   Task.lease_expires_at < now)


def sweep(db, now=None, time_to_live_hours=None):
    """One sweep: -> {'failed': [{'id', 'owner', 'image_id', 'image_released'}], 'expired':
    number of tasks marked deleted}.

    Several registries may sweep one database at once: the rows are locked as they are read
    and each change repeats its conditions, so a task is failed by one sweep only and a task
    whose lease was renewed meanwhile keeps running.
    """
    now = now or utcnow()
    lifetime = time_to_live(time_to_live_hours)
    failed = []
    with db.read() as session:
        due = session.execute(sa.select(Task.id).where(_lease_passed(now)).limit(1)).first()
        expired = session.execute(
            sa.select(Task.id).where(Task.deleted == sa.false(),
                                     Task.expires_at <= now).limit(1)).first()
    if due is not None:
        with db.write() as session:
            rows = session.execute(
                sa.select(Task).where(_lease_passed(now)).with_for_update()).scalars().all()
            for row in rows:
                row.message = DEAD_WORKER_MESSAGE if row.status == PROCESSING \
                    else DEAD_QUEUE_MESSAGE
                row.status = FAILURE
                row.holder = None
                row.lease_expires_at = None
                row.updated_at = now
                row.expires_at = now + lifetime
                released = row.image_id is not None and _release_image(session, row, now)
                failed.append({'id': row.id, 'owner': row.owner, 'image_id': row.image_id,
                               'image_released': bool(released)})
    count = 0
    if expired is not None:
        with db.write() as session:
            count = session.execute(
                sa.update(Task)
                .where(Task.deleted == sa.false(), Task.expires_at <= now)
                .values(deleted=True, deleted_at=now)
                .execution_options(synchronize_session=False)).rowcount
    return {'failed': failed, 'expired': count}


def _release_image(session, task, now):
    """Hands back the image ``task`` was importing into, if the task still holds it."""
    image = session.execute(
        sa.select(models.Image).where(models.Image.id == task.image_id,
                                      models.Image.deleted == sa.false())
        .with_for_update()).scalar_one_or_none()
    if image is None:
        return False
    properties = image_dicts.load_properties(session, [image.id])[image.id]
    released = released_image(image.status, properties, task.id)
    if released is None:
        return False
    status, changes = released
    Property = models.ImageProperty
    for name, value in changes.items():
        session.execute(sa.delete(Property).where(Property.image_id == image.id,
                                                  Property.name == name))
        if value is not None:
            session.add(Property(image_id=image.id, name=name, value=value))
    if status is not None:
        image.status = status
    image.updated_at = now
    session.flush()
    return True
