"""An in-memory registry with RegistryClient's methods, for the api unit tests.

It keeps to common/rpc/contract.py as glance-registry does: the same method names and
keyword arguments as common/rpc/client.py, the same result dicts, the same
common.exceptions classes (and messages), and the registry's ownership, visibility and
member rules and status transitions (common/states.py). The value checks and the patch
semantics are the registry's own pure functions (registry_service/patch.py, and the typed
list query of common/list_query.py), so the fake cannot drift from them; what the registry
does in SQL (visibility, filters, sorting, marker paging, quotas, compare-and-swap of the
status) is done here on dicts.

Like the wire, every call takes a copy of its arguments and of the caller's context and
returns a JSON copy of its result, so nobody shares state with the fake by accident. Each
call runs under one lock: one call is one transaction.

tests/unit/api/test_fake_registry_contract.py runs one list of scenarios against this fake
and against the real registry over kombu's memory transport, and compares what comes back.
"""

import datetime
import functools
import itertools
import json
import threading
import uuid

from common import context
from common import exceptions
from common import image_attributes
from common import list_query
from common import states
from common.rpc import client as rpc_client
from common.rpc import contract
from registry_service import access
from registry_service import image_dicts
from registry_service import images as registry_images
from registry_service import patch
from registry_service import scrubbing
from registry_service import tasks as registry_tasks
from registry_service import uploads as registry_uploads

# The fields of an image dict, as the registry sends them.
BASE_FIELDS = image_dicts.BASE_FIELDS
INTERNAL_FIELDS = image_dicts.INTERNAL_FIELDS
# A row holds every column, the internal ones too, and the image's location with its
# store (the registry's image_locations table).
ROW_FIELDS = image_attributes.names(stored=True) + ('location', 'store_id')
DATETIME_FIELDS = image_dicts.DATETIME_FIELDS
VISIBILITIES = access.VISIBILITIES
READABLE_BY_ALL = frozenset({'public', 'community'})
MEMBER_STATUSES = access.MEMBER_STATUSES
MAX_MEMBER_ID = 255
_COMPARISONS = {
    'eq': lambda value, wanted: value == wanted,
    'neq': lambda value, wanted: value != wanted,
    'in': lambda value, wanted: value in wanted,
    'gt': lambda value, wanted: value > wanted,
    'gte': lambda value, wanted: value >= wanted,
    'lt': lambda value, wanted: value < wanted,
    'lte': lambda value, wanted: value <= wanted,
}


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def isotime(value):
    return None if value is None else value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _wire(value):
    """What the other side of the RPC bus would get: a JSON copy."""
    return json.loads(json.dumps(value))


def _call(method):
    @functools.wraps(method)
    def call(self, ctxt, **kwargs):
        # The context and arguments travel as JSON, as over the bus.
        ctxt = context.RequestContext.from_dict(_wire(ctxt.to_dict()))
        kwargs = _wire(kwargs)
        with self._lock:
            return _wire(method(self, ctxt, **kwargs))
    return call


class FakeRegistry:
    """RegistryClient's interface over dicts in memory (see the module docstring)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._images = {}    # id -> {'row': {...}, 'properties': {}, 'tags': set()}
        self._members = {}   # image id -> {member id: member row}
        self._member_ids = itertools.count(1)
        self._deletions = {}  # id -> queued data removal (registry_service/scrubbing.py)
        self._deletion_ids = itertools.count(1)
        self._cache_records = {}  # (node, image id) -> record (registry_service/cache_records.py)
        self._tasks = {}  # id -> task row (registry_service/tasks.py)

    # -- helpers: rows, dicts and access ------------------------------------------------------

    @staticmethod
    def _to_dict(image, internal=()):
        """image_dicts.to_dict, plus the ``internal`` fields named (with_internal)."""
        row = image['row']
        result = {field: isotime(row[field]) if field in DATETIME_FIELDS else row[field]
                  for field in BASE_FIELDS}
        result['properties'] = dict(image['properties'])
        result['tags'] = sorted(image['tags'])
        result['stores'] = FakeRegistry._stores(image)
        result.update((field, isotime(row[field]) if field in DATETIME_FIELDS else row[field])
                      for field in internal)
        if 'location' in internal:
            # image_dicts.with_internal: the location brings its store.
            result['store_id'] = row['store_id']
        return result

    @staticmethod
    def _stores(image):
        """The ids of the stores holding the image's data, oldest location first (the
        registry's locations.stores_of): the ``older`` locations, then the current one."""
        row = image['row']
        if not row['location'] or row['status'] in (states.PENDING_DELETE, states.DELETED):
            return []
        stores = []
        for where in image.get('older', []) + [{'store_id': row['store_id']}]:
            if where['store_id'] and where['store_id'] not in stores:
                stores.append(where['store_id'])
        return stores

    def add_copy(self, image_id, url, store_id):
        """Test helper: the image's data also at ``url`` in store ``store_id`` (a newer
        location, as a copy between stores would record it)."""
        with self._lock:
            image = self._images[image_id]
            row = image['row']
            image.setdefault('older', []).append({'url': row['location'],
                                                  'store_id': row['store_id']})
            self._set(image, location=url, store_id=store_id)

    @staticmethod
    def _owns(ctxt, row):
        return ctxt.owner is not None and row['owner'] == ctxt.owner

    def _shared_with_caller(self, ctxt, row, member_status='all'):
        if row['visibility'] != 'shared' or ctxt.owner is None:
            return False
        member = self._members.get(row['id'], {}).get(ctxt.owner)
        return member is not None and member_status in ('all', member['status'])

    def _can_see(self, ctxt, row):
        return (ctxt.is_admin or self._owns(ctxt, row) or row['visibility'] in READABLE_BY_ALL
                or self._shared_with_caller(ctxt, row))

    def _can_change(self, ctxt, row):
        return ctxt.is_admin or self._owns(ctxt, row)

    def _visible(self, ctxt, image_id):
        image = self._images.get(image_id) if isinstance(image_id, str) else None
        if image is None or image['row']['deleted'] or not self._can_see(ctxt, image['row']):
            raise exceptions.ImageNotFound(image_id=image_id)
        return image

    def _changeable(self, ctxt, image_id):
        image = self._visible(ctxt, image_id)
        if not self._can_change(ctxt, image['row']):
            raise exceptions.Forbidden(
                'You are not permitted to modify image %s.' % image_id, image_id=image_id)
        return image

    @staticmethod
    def _set(image, **values):
        image['row'].update(values)

    # -- ping and images ----------------------------------------------------------------------

    @_call
    def ping(self, ctxt):
        return {'ok': True}

    @_call
    def image_create(self, ctxt, *, values, properties, tags, quotas=None):
        image_id, attributes, properties, tags = registry_images.check_new_image(
            values, properties, tags, quotas)
        if image_id in self._images:
            raise exceptions.Duplicate('Image ID %s already exists!' % image_id,
                                       image_id=image_id)
        now = utcnow()
        row = dict.fromkeys(ROW_FIELDS)
        row.update(attributes, id=image_id, status=states.QUEUED, created_at=now,
                   updated_at=now, deleted=False)
        image = {'row': row, 'properties': properties, 'tags': set(tags)}
        self._images[image_id] = image
        return self._to_dict(image)

    @_call
    def image_get(self, ctxt, *, image_id, internal=None):
        return self._to_dict(self._visible(ctxt, image_id),
                             INTERNAL_FIELDS if internal else ())

    @_call
    def image_update(self, ctxt, *, image_id, changes, quotas=None):
        image = self._changeable(ctxt, image_id)
        row = image['row']
        if not changes:
            return self._to_dict(image)
        old_base = {name: row[name] for name in patch.MUTABLE}
        base, properties, tags = patch.apply(changes, status=row['status'], base=old_base,
                                             properties=image['properties'],
                                             tags=sorted(image['tags']))
        if set(properties) - set(image['properties']):
            patch.check_quota(quotas, patch.PROPERTY_QUOTA, len(properties))
        if set(tags) != image['tags']:
            patch.check_quota(quotas, patch.TAG_QUOTA, len(tags))
        self._set(image, updated_at=utcnow(), **base)
        image['properties'], image['tags'] = dict(properties), set(tags)
        return self._to_dict(image)

    @_call
    def image_delete(self, ctxt, *, image_id, delayed=None):
        image = self._changeable(ctxt, image_id)
        row = image['row']
        if row['protected']:
            raise exceptions.Forbidden('Image %s is protected and cannot be deleted.'
                                       % image_id, image_id=image_id)
        before = self._to_dict(image, ('location',))
        before['locations'] = self._live_locations(image)
        now = utcnow()
        target = states.DELETED
        if delayed and row['location'] and \
                states.can_transition(row['status'], states.PENDING_DELETE):
            target = states.PENDING_DELETE
        self._set(image, status=target, deleted=True, deleted_at=now, updated_at=now,
                  upload_expires_at=None)
        self._forget_cached(image_id)
        if target == states.PENDING_DELETE:
            for where in before['locations'] or [{'url': row['location']}]:
                self._queue_deletion(image_id, where['url'], now)
            before['data_queued'] = True
        return before

    @staticmethod
    def _live_locations(image):
        """locations.all_live: every active location, oldest first."""
        row = image['row']
        if not row['location'] or row['status'] in (states.PENDING_DELETE, states.DELETED):
            return []
        return [{'url': where['url'], 'store_id': where['store_id']}
                for where in image.get('older', []) + [{'url': row['location'],
                                                        'store_id': row['store_id']}]]

    @_call
    def image_location_delete(self, ctxt, *, image_id, store_id):
        image = self._changeable(ctxt, image_id)
        row = image['row']
        if row['status'] != states.ACTIVE:
            raise exceptions.Conflict("It's not allowed to remove image data from store if "
                                      "image status is not 'active'", image_id=image_id)
        if len(self._stores(image)) <= 1:
            raise exceptions.Forbidden('Cannot delete image data from the only store '
                                       'containing it. Consider deleting the image instead.',
                                       image_id=image_id)
        older = image.setdefault('older', [])
        if row['store_id'] == store_id:
            url = row['location']
            newest = older.pop()
            self._set(image, location=newest['url'], store_id=newest['store_id'])
        else:
            found = [where for where in older if where['store_id'] == store_id]
            if not found:
                raise exceptions.NotFound('Image %s is not stored in store %s.'
                                          % (image_id, store_id), image_id=image_id)
            older.remove(found[-1])
            url = found[-1]['url']
        self._set(image, updated_at=utcnow())
        result = self._to_dict(image)
        result['location'], result['store_id'] = url, store_id
        return result

    # -- delayed delete and the scrubber (registry_service/scrubbing.py) -----------------------

    def _queue_deletion(self, image_id, location, now, error=None):
        if any(d['image_id'] == image_id and d['location'] == location
               for d in self._deletions.values()):
            return
        deletion_id = next(self._deletion_ids)
        self._deletions[deletion_id] = {
            'id': deletion_id, 'image_id': image_id, 'location': location, 'created_at': now,
            'claimed_until': None, 'attempts': 0 if error is None else 1,
            'last_error': None if error is None else error[:scrubbing.MAX_ERROR_LENGTH]}

    @staticmethod
    def _require_admin(ctxt):
        if not ctxt.is_admin:
            raise exceptions.Forbidden('Only an admin may scrub or restore images.')

    @_call
    def image_data_left(self, ctxt, *, image_id, location, error):
        if not isinstance(location, str) or not location:
            raise exceptions.Invalid('location must be a non-empty string.')
        image = self._images.get(image_id) if isinstance(image_id, str) else None
        row = image['row'] if image else None
        if row is None or not row['deleted'] or not (ctxt.is_admin or self._owns(ctxt, row)):
            raise exceptions.ImageNotFound(image_id=image_id)
        if location not in [row['location']] + [w['url'] for w in image.get('older', [])]:
            raise exceptions.Invalid('Image %s has no data at that location.' % image_id)
        self._queue_deletion(image_id, location, utcnow(), error=str(error or 'unknown error'))
        return {'image_id': image_id, 'location': location}

    @_call
    def scrub_claim(self, ctxt, *, scrub_time, limit, claim_seconds):
        self._require_admin(ctxt)
        for name, value, positive in (('scrub_time', scrub_time, False),
                                      ('limit', limit, True),
                                      ('claim_seconds', claim_seconds, True)):
            if not isinstance(value, int) or isinstance(value, bool) or \
                    value < (1 if positive else 0):
                raise exceptions.Invalid('%s must be a %s integer.' % (
                    name, 'positive' if positive else 'non-negative'))
        now = utcnow()
        deadline = now - datetime.timedelta(seconds=scrub_time)
        claimed = []
        for entry in sorted(self._deletions.values(),
                            key=lambda d: (d['attempts'], d['created_at'], d['id'])):
            row = self._images[entry['image_id']]['row']
            due = row['status'] == states.DELETED or (
                row['status'] == states.PENDING_DELETE and row['deleted_at'] <= deadline)
            free = entry['claimed_until'] is None or entry['claimed_until'] < now
            if due and free and len(claimed) < limit:
                entry['claimed_until'] = now + datetime.timedelta(seconds=claim_seconds)
                claimed.append({'id': entry['id'], 'image_id': entry['image_id'],
                                'location': entry['location'],
                                'store_id': (row['store_id'] if row['location'] ==
                                             entry['location'] else None),
                                'image_status': row['status'],
                                'attempts': entry['attempts']})
        return claimed

    @_call
    def scrub_finish(self, ctxt, *, deletion_id, error=None):
        self._require_admin(ctxt)
        if not isinstance(deletion_id, int) or isinstance(deletion_id, bool) or \
                deletion_id < 0:
            raise exceptions.Invalid('deletion_id must be a non-negative integer.')
        entry = self._deletions.get(deletion_id)
        if entry is None:
            return {'image_id': None, 'image_status': None, 'done': True}
        row = self._images[entry['image_id']]['row']
        if error is not None:
            entry.update(claimed_until=None, attempts=entry['attempts'] + 1,
                         last_error=str(error)[:scrubbing.MAX_ERROR_LENGTH])
            return {'image_id': row['id'], 'image_status': row['status'], 'done': False}
        del self._deletions[deletion_id]
        left = any(d['image_id'] == row['id'] for d in self._deletions.values())
        if not left and row['status'] == states.PENDING_DELETE:
            row.update(status=states.DELETED, updated_at=utcnow())
        return {'image_id': row['id'], 'image_status': row['status'], 'done': True}

    @_call
    def image_restore(self, ctxt, *, image_id):
        self._require_admin(ctxt)
        image = self._images.get(image_id) if isinstance(image_id, str) else None
        if image is None:
            raise exceptions.ImageNotFound(image_id=image_id)
        row = image['row']
        if row['status'] != states.PENDING_DELETE:
            raise exceptions.InvalidStatusTransition(current=row['status'],
                                                     target=states.ACTIVE)
        now = utcnow()
        mine = [d for d in self._deletions.values() if d['image_id'] == image_id]
        if any(d['claimed_until'] is not None and d['claimed_until'] >= now for d in mine):
            raise exceptions.Conflict('A scrubber is removing the data of image %s; it '
                                      'cannot be restored.' % image_id, image_id=image_id)
        for entry in mine:
            del self._deletions[entry['id']]
        self._set(image, status=states.ACTIVE, deleted=False, deleted_at=None, updated_at=now)
        return self._to_dict(image)

    # -- listing -------------------------------------------------------------------------------

    @staticmethod
    def _compare(spec, a, b):
        """-1/0/1: where row ``a`` sorts against row ``b`` (NULL is the smallest value)."""
        for key, direction in spec:
            x, y = a[key], b[key]
            if x == y:
                continue
            if x is None or y is None:
                order = -1 if x is None else 1
            else:
                order = -1 if x < y else 1
            return order if direction == 'asc' else -order
        return 0

    def _list_predicate(self, ctxt, visibility, member_status):
        """The visibility part of a listing (access.list_clause) as a predicate on rows."""
        def readable(row):
            if visibility not in (None, 'all') and row['visibility'] != visibility:
                return False
            if ctxt.is_admin:
                # Without a visibility, others' community images are left out.
                return (visibility is not None or row['visibility'] != 'community'
                        or self._owns(ctxt, row))
            return (row['visibility'] == 'public' or self._owns(ctxt, row)
                    or self._shared_with_caller(ctxt, row, member_status)
                    or (visibility in ('community', 'all') and row['visibility'] == 'community'))
        return readable

    @staticmethod
    def _filter_predicate(f):
        """One common.list_query.Filter (listing._filter_clause) as a predicate on images."""
        if f.property:
            return lambda image: image['properties'].get(f.name) == f.value
        compare = _COMPARISONS[f.op]
        # SQL: NULL compares with nothing.
        return lambda image: image['row'][f.name] is not None and \
            compare(image['row'][f.name], f.value)

    def _filter_predicates(self, ctxt, query):
        """listing._filter_clauses on dicts."""
        readable = self._list_predicate(ctxt, query.visibility, query.member_status)
        predicates = [lambda image: not image['row']['deleted'],
                      lambda image: readable(image['row'])]
        if not query.filter_on('os_hidden'):
            predicates.append(lambda image: not image['row']['os_hidden'])
        predicates.extend(lambda image, tag=tag: tag in image['tags'] for tag in query.tags)
        predicates.extend(self._filter_predicate(f) for f in query.filters)
        return predicates

    def image_list(self, ctxt, *, query):
        # As RegistryClient: the ListQuery travels as its dict.
        return self._image_list(ctxt, query=query.to_dict())

    @_call
    def _image_list(self, ctxt, *, query):
        query = list_query.ListQuery.from_dict(query)
        spec = list(query.sort)
        if 'id' not in [key for key, _ in spec]:
            spec.append(('id', spec[-1][1]))
        predicates = self._filter_predicates(ctxt, query)
        marker_row = None
        if query.marker is not None:
            try:
                marker_row = self._visible(ctxt, query.marker)['row']
            except exceptions.ImageNotFound:
                raise exceptions.MarkerNotFound(marker=query.marker) from None
        found = [image for image in self._images.values()
                 if all(predicate(image) for predicate in predicates)]
        if marker_row is not None:
            found = [image for image in found
                     if self._compare(spec, image['row'], marker_row) > 0]
        found.sort(key=functools.cmp_to_key(
            lambda a, b: self._compare(spec, a['row'], b['row'])))
        if query.limit is not None:
            found = found[:query.limit]
        return [self._to_dict(image) for image in found]

    # -- uploads -------------------------------------------------------------------------------

    @staticmethod
    def _check_lease_seconds(lease_seconds):
        if not isinstance(lease_seconds, int) or isinstance(lease_seconds, bool) \
                or lease_seconds <= 0:
            raise exceptions.Invalid('lease_seconds must be a positive integer.')

    @staticmethod
    def _lease_end(lease_seconds):
        return utcnow() + datetime.timedelta(seconds=lease_seconds)

    def _stored_bytes(self, owner, except_image_id):
        if owner is None:
            return 0
        return sum(image['row']['size'] for image in self._images.values()
                   if image['row']['owner'] == owner and not image['row']['deleted']
                   and image['row']['status'] not in (states.KILLED, states.DELETED)
                   and (image['row']['size'] or 0) > 0
                   and image['row']['id'] != except_image_id)

    def _upload_budget(self, row, quotas, expected_size):
        return registry_uploads.upload_budget(
            quotas, expected_size, lambda: self._stored_bytes(row['owner'], row['id']))

    @staticmethod
    def _check_current(image, upload_token):
        row = image['row']
        if upload_token is not None and row['status'] == states.SAVING and \
                row['upload_token'] != upload_token:
            raise exceptions.UploadSuperseded(image_id=row['id'])

    @_call
    def begin_upload(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None,
                     upload_token=None, holder=None):
        self._check_lease_seconds(lease_seconds)
        registry_uploads.check_claim(upload_token, holder)
        if expected_size is not None and (not isinstance(expected_size, int)
                                          or isinstance(expected_size, bool)
                                          or expected_size < 0):
            raise exceptions.Invalid('expected_size must be a non-negative integer.')
        image = self._changeable(ctxt, image_id)
        row = image['row']
        if not states.can_transition(row['status'], states.SAVING):
            raise exceptions.InvalidStatusTransition(current=row['status'],
                                                     target=states.SAVING)
        if row['disk_format'] is None or row['container_format'] is None:
            raise exceptions.Invalid('Properties disk_format, container_format must be set '
                                     'prior to saving data.')
        budget = self._upload_budget(row, quotas, expected_size)
        self._set(image, status=states.SAVING, updated_at=utcnow(),
                  upload_expires_at=self._lease_end(lease_seconds), upload_token=upload_token,
                  upload_holder=holder)
        began = self._to_dict(image, ('upload_expires_at',))
        began['upload_budget'] = budget
        return began

    @_call
    def finish_upload(self, ctxt, *, image_id, location, size, checksum, os_hash_algo,
                      os_hash_value, virtual_size=None, upload_token=None, store_id=None):
        registry_uploads.check_claim(upload_token, None)
        if virtual_size is not None and (not isinstance(virtual_size, int)
                                         or isinstance(virtual_size, bool)
                                         or virtual_size < 0):
            raise exceptions.Invalid('virtual_size must be a non-negative integer.')
        image = self._changeable(ctxt, image_id)
        if image['row']['status'] != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=image['row']['status'],
                                                     target=states.ACTIVE)
        self._check_current(image, upload_token)
        if store_id is not None and (not isinstance(store_id, str) or not store_id):
            raise exceptions.Invalid('store_id must be a non-empty string.')
        self._set(image, status=states.ACTIVE, updated_at=utcnow(), location=location,
                  store_id=store_id, size=size, checksum=checksum, os_hash_algo=os_hash_algo,
                  os_hash_value=os_hash_value, virtual_size=virtual_size,
                  **registry_uploads.NO_CLAIM)
        return self._to_dict(image)

    @_call
    def abort_upload(self, ctxt, *, image_id, upload_token=None):
        registry_uploads.check_claim(upload_token, None)
        image = self._changeable(ctxt, image_id)
        status = image['row']['status']
        if status == states.QUEUED:
            return self._to_dict(image)
        if status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=status, target=states.QUEUED)
        self._check_current(image, upload_token)
        self._set(image, status=states.QUEUED, updated_at=utcnow(),
                  **registry_uploads.NO_CLAIM)
        return self._to_dict(image)

    @_call
    def renew_upload(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        self._check_lease_seconds(lease_seconds)
        registry_uploads.check_claim(upload_token, None)
        image = self._changeable(ctxt, image_id)
        if image['row']['status'] != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=image['row']['status'],
                                                     target=states.SAVING)
        self._check_current(image, upload_token)
        self._set(image, upload_expires_at=self._lease_end(lease_seconds))
        return self._to_dict(image, ('upload_expires_at',))

    @_call
    def release_uploads(self, ctxt, *, holder):
        if not ctxt.is_admin:
            raise exceptions.Forbidden('Only glance-api may release the uploads of a worker.')
        registry_uploads.check_claim(None, holder)
        if holder is None:
            raise exceptions.Invalid('holder must be a string of 1 to %d characters.'
                                     % registry_uploads.HOLDER_MAX_LENGTH)
        released = []
        for image in self._images.values():
            row = image['row']
            if not row['deleted'] and row['status'] == states.SAVING and \
                    row['upload_holder'] == holder:
                self._set(image, status=states.QUEUED, updated_at=utcnow(),
                          **registry_uploads.NO_CLAIM)
                released.append({'id': row['id'], 'owner': row['owner']})
        return released

    # -- members -------------------------------------------------------------------------------

    @staticmethod
    def _member_dict(member):
        return {'image_id': member['image_id'], 'member_id': member['member'],
                'status': member['status'], 'created_at': isotime(member['created_at']),
                'updated_at': isotime(member['updated_at'])}

    def _shared_image(self, ctxt, image_id):
        image = self._visible(ctxt, image_id)
        if image['row']['visibility'] != 'shared':
            raise exceptions.Forbidden('Only shared images have members.', image_id=image_id)
        return image

    @staticmethod
    def _member_not_found(image_id, member_id):
        return exceptions.NotFound('%s not found in the member list of the image %s.'
                                   % (member_id, image_id), image_id=image_id,
                                   member_id=member_id)

    def _fetch_member(self, ctxt, image, member_id):
        row = image['row']
        if not (self._can_change(ctxt, row) or member_id == ctxt.owner):
            raise self._member_not_found(row['id'], member_id)
        member = self._members.get(row['id'], {}).get(member_id)
        if member is None:
            raise self._member_not_found(row['id'], member_id)
        return member

    @_call
    def image_member_create(self, ctxt, *, image_id, member_id, quotas=None):
        if not isinstance(member_id, str) or not member_id:
            raise exceptions.Invalid("Member can't be empty")
        if len(member_id) > MAX_MEMBER_ID:
            raise exceptions.Invalid('Member id must be at most %d characters.'
                                     % MAX_MEMBER_ID)
        image = self._shared_image(ctxt, image_id)
        if not self._can_change(ctxt, image['row']):
            raise exceptions.Forbidden('Not allowed to create members for image %s.'
                                       % image_id, image_id=image_id)
        existing = self._members.setdefault(image_id, {})
        if member_id in existing:
            raise exceptions.Duplicate('Member %s is duplicated for image %s'
                                       % (member_id, image_id),
                                       image_id=image_id, member_id=member_id)
        limit = (quotas or {}).get('image_member_quota')
        limit = None if limit is None or limit < 0 else limit
        if limit is not None and len(existing) + 1 > limit:
            raise exceptions.QuotaExceeded(
                'Image member limit exceeded for image %s: attempted %d, maximum %d.'
                % (image_id, len(existing) + 1, limit), image_id=image_id)
        now = utcnow()
        member = {'seq': next(self._member_ids), 'image_id': image_id, 'member': member_id,
                  'status': 'pending', 'created_at': now, 'updated_at': now}
        existing[member_id] = member
        return self._member_dict(member)

    @_call
    def image_member_list(self, ctxt, *, image_id):
        image = self._shared_image(ctxt, image_id)
        members = list(self._members.get(image_id, {}).values())
        if not self._can_change(ctxt, image['row']):
            members = [m for m in members if m['member'] == ctxt.owner]
        members.sort(key=lambda m: (m['created_at'], m['seq']))
        return [self._member_dict(m) for m in members]

    @_call
    def image_member_get(self, ctxt, *, image_id, member_id):
        try:
            image = self._shared_image(ctxt, image_id)
        except exceptions.Forbidden:
            raise self._member_not_found(image_id, member_id) from None
        return self._member_dict(self._fetch_member(ctxt, image, member_id))

    @_call
    def image_member_update(self, ctxt, *, image_id, member_id, status):
        image = self._shared_image(ctxt, image_id)
        member = self._fetch_member(ctxt, image, member_id)
        if not (ctxt.is_admin or member_id == ctxt.owner):
            raise exceptions.Forbidden('Not allowed to update members for image %s.'
                                       % image_id, image_id=image_id)
        if status not in MEMBER_STATUSES:
            raise exceptions.Invalid('Status must be one of: %s.'
                                     % ', '.join(MEMBER_STATUSES))
        member.update(status=status, updated_at=utcnow())
        return self._member_dict(member)

    @_call
    def image_member_delete(self, ctxt, *, image_id, member_id):
        image = self._shared_image(ctxt, image_id)
        member = self._fetch_member(ctxt, image, member_id)
        if not self._can_change(ctxt, image['row']):
            raise exceptions.Forbidden('Not allowed to delete members for image %s.'
                                       % image_id, image_id=image_id)
        del self._members[image_id][member_id]
        return self._member_dict(member)

    # -- tags and actions ----------------------------------------------------------------------

    @_call
    def image_tag_add(self, ctxt, *, image_id, tag, quotas=None):
        (tag,) = patch.check_tags([tag])
        image = self._changeable(ctxt, image_id)
        if tag not in image['tags']:
            patch.check_quota(quotas, patch.TAG_QUOTA, len(image['tags']) + 1)
            image['tags'].add(tag)
        self._set(image, updated_at=utcnow())
        return self._to_dict(image)

    @_call
    def image_tag_delete(self, ctxt, *, image_id, tag):
        image = self._changeable(ctxt, image_id)
        if tag not in image['tags']:
            raise exceptions.NotFound('Tag %s not found on image %s.' % (tag, image_id),
                                      image_id=image_id, tag=tag)
        image['tags'].discard(tag)
        self._set(image, updated_at=utcnow())
        return self._to_dict(image)

    def _swap(self, ctxt, image_id, action, sources, target):
        image = self._changeable(ctxt, image_id)
        if image['row']['status'] not in sources:
            raise exceptions.ImageActionNotAllowed(action=action,
                                                   current=image['row']['status'],
                                                   target=target)
        self._set(image, status=target, updated_at=utcnow())
        return self._to_dict(image)

    @_call
    def deactivate(self, ctxt, *, image_id):
        image = self._swap(ctxt, image_id, 'deactivate', (states.ACTIVE, states.DEACTIVATED),
                           states.DEACTIVATED)
        self._forget_cached(image_id)
        return image

    @_call
    def reactivate(self, ctxt, *, image_id):
        return self._swap(ctxt, image_id, 'reactivate', (states.DEACTIVATED, states.ACTIVE),
                          states.ACTIVE)

    # -- the image cache's records (registry_service/cache_records.py) ------------------------

    @staticmethod
    def _require_cache(ctxt):
        if not ctxt.is_admin:
            raise exceptions.Forbidden('Only glance-api\'s image cache may read or change '
                                       'the cache records.')

    def _forget_cached(self, image_id):
        for key in [k for k in self._cache_records if k[1] == image_id]:
            del self._cache_records[key]

    @_call
    def cache_record_add(self, ctxt, *, node_reference, image_id, size, last_modified):
        self._require_cache(ctxt)
        record = {'image_id': image_id, 'size': size, 'hits': 0,
                  'last_accessed': float(last_modified), 'last_modified': float(last_modified)}
        self._cache_records[(node_reference, image_id)] = record
        return dict(record)

    @_call
    def cache_record_hits(self, ctxt, *, node_reference, hits):
        self._require_cache(ctxt)
        updated = 0
        for image_id, count, last_accessed in hits:
            record = self._cache_records.get((node_reference, image_id))
            if record is not None:
                record['hits'] += int(count)
                record['last_accessed'] = max(record['last_accessed'], float(last_accessed))
                updated += 1
        return {'updated': updated}

    @_call
    def cache_record_remove(self, ctxt, *, node_reference, image_ids=None):
        self._require_cache(ctxt)
        keys = [k for k in self._cache_records if k[0] == node_reference
                and (image_ids is None or k[1] in image_ids)]
        for key in keys:
            del self._cache_records[key]
        return {'removed': len(keys)}

    @_call
    def cache_record_list(self, ctxt, *, node_reference):
        self._require_cache(ctxt)
        records = [dict(r) for (node, _), r in self._cache_records.items()
                   if node == node_reference]
        return sorted(records, key=lambda r: (r['last_modified'], r['image_id']))

    @_call
    def cache_node_list(self, ctxt, *, image_id):
        self._require_cache(ctxt)
        return sorted(node for node, i in self._cache_records if i == image_id)

    # -- glance-api's tasks (registry_service/tasks.py) ---------------------------------------

    @staticmethod
    def _task_live(row, now):
        return not row['deleted'] and (row['expires_at'] is None or row['expires_at'] > now)

    def _task(self, ctxt, task_id):
        row = self._tasks.get(task_id) if isinstance(task_id, str) else None
        if row is None or not self._task_live(row, utcnow()) \
                or not registry_tasks.can_see(ctxt, row['owner']):
            raise registry_tasks.not_found(task_id)
        return row

    @_call
    def task_create(self, ctxt, *, values):
        values = registry_tasks.check_new(values)
        task_id = values['id'] or str(uuid.uuid4())
        if task_id in self._tasks:
            raise exceptions.Duplicate('A task with id %s already exists.' % task_id)
        now = utcnow()
        row = {'id': task_id, 'type': values['type'], 'status': registry_tasks.PENDING,
               'owner': ctxt.owner or '', 'input': registry_tasks.encode(values['input']),
               'result': None, 'message': '', 'image_id': values['image_id'],
               'request_id': None if ctxt.request_id is None else ctxt.request_id[:64],
               'user_id': None if ctxt.user_id is None else ctxt.user_id[:64],
               'holder': None, 'lease_expires_at': None, 'expires_at': None,
               'created_at': now, 'updated_at': now, 'deleted': False}
        self._tasks[task_id] = row
        return registry_tasks.to_dict(row)

    @_call
    def task_get(self, ctxt, *, task_id):
        return registry_tasks.to_dict(self._task(ctxt, task_id))

    @_call
    def task_list(self, ctxt, *, filters=None, marker=None, limit=None, sort_key=None,
                  sort_dir=None):
        filters, marker, limit, sort_key, sort_dir = registry_tasks.check_list(
            filters, marker, limit, sort_key, sort_dir)
        now = utcnow()
        rows = [row for row in self._tasks.values() if self._task_live(row, now)
                and (ctxt.is_admin or row['owner'] == (ctxt.owner or ''))
                and all(row[name] == value for name, value in filters.items())]
        keys = [sort_key] + [key for key in ('created_at', 'id') if key != sort_key]
        rows.sort(key=lambda row: [row[key] for key in keys], reverse=sort_dir == 'desc')
        if marker is not None:
            try:
                marker_row = self._task(ctxt, marker)
            except exceptions.NotFound:
                raise exceptions.MarkerNotFound(marker=marker) from None
            rows = rows[rows.index(marker_row) + 1:] if marker_row in rows else []
        if limit is not None:
            rows = rows[:limit]
        return [registry_tasks.to_dict(row) for row in rows]

    @_call
    def image_task_list(self, ctxt, *, image_id):
        image = self._visible(ctxt, image_id)
        now = utcnow()
        rows = [row for row in self._tasks.values() if row['image_id'] == image_id
                and self._task_live(row, now)
                and (self._can_change(ctxt, image['row']) or row['owner'] == ctxt.owner)]
        rows.sort(key=lambda row: (row['created_at'], row['id']))
        return [registry_tasks.to_dict(row) for row in rows]

    @_call
    def task_update(self, ctxt, *, task_id, values, holder=None, time_to_live=None):
        lifetime = registry_tasks.time_to_live(time_to_live)
        row = self._task(ctxt, task_id)
        changes = registry_tasks.check_changes(row['status'], values)
        if holder is not None and (row['status'] != registry_tasks.PROCESSING
                                   or row['holder'] != holder):
            raise registry_tasks.not_holder(task_id)
        now = utcnow()
        if 'result' in changes:
            changes['result'] = registry_tasks.encode(changes['result'])
        if changes.get('status') in registry_tasks.FINISHED and \
                changes['status'] != row['status']:
            changes.update(expires_at=now + lifetime, holder=None, lease_expires_at=None)
        row.update(changes, updated_at=now)
        if changes.get('status') == registry_tasks.FAILURE:
            self._release_task_image(row, now)
        return registry_tasks.to_dict(row)

    @_call
    def task_claim(self, ctxt, *, task_id, holder, lease_seconds):
        registry_tasks.check_lease(holder, lease_seconds)
        row = self._task(ctxt, task_id)
        if row['status'] != registry_tasks.PENDING:
            raise registry_tasks.transition_refused(row['status'], registry_tasks.PROCESSING)
        now = utcnow()
        row.update(status=registry_tasks.PROCESSING, holder=holder, updated_at=now,
                   lease_expires_at=now + datetime.timedelta(seconds=lease_seconds))
        return registry_tasks.to_dict(row)

    @_call
    def task_renew(self, ctxt, *, task_id, holder, lease_seconds):
        registry_tasks.check_lease(holder, lease_seconds)
        row = self._task(ctxt, task_id)
        if not registry_tasks.renewable(row['status'], row['holder'], holder):
            raise registry_tasks.not_holder(task_id)
        now = utcnow()
        row.update(holder=holder, updated_at=now,
                   lease_expires_at=now + datetime.timedelta(seconds=lease_seconds))
        return registry_tasks.to_dict(row)

    def task_lease(self, task_id):
        """Test helper: (holder, lease_expires_at) of a task."""
        with self._lock:
            row = self._tasks[task_id]
            return row['holder'], row['lease_expires_at']

    def sweep_tasks(self, now=None):
        """Test helper: the registry's task sweep (registry_service/tasks.py:sweep) here."""
        now = now or utcnow()
        failed = []
        with self._lock:
            for row in self._tasks.values():
                if row['deleted'] or row['lease_expires_at'] is None \
                        or row['lease_expires_at'] >= now:
                    continue
                message = registry_tasks.DEAD_WORKER_MESSAGE \
                    if row['status'] == registry_tasks.PROCESSING \
                    else registry_tasks.DEAD_QUEUE_MESSAGE
                row.update(status=registry_tasks.FAILURE, holder=None, lease_expires_at=None,
                           message=message, updated_at=now,
                           expires_at=now + registry_tasks.time_to_live(None))
                self._release_task_image(row, now)
                failed.append(row['id'])
        return failed

    def _release_task_image(self, row, now):
        """registry_service/tasks.py:_release_image: the image a failed task still holds
        is handed back."""
        image = self._images.get(row['image_id'] or '')
        if image is None or image['row']['deleted']:
            return
        released = registry_tasks.released_image(image['row']['status'],
                                                 image['properties'], row['id'])
        if released is None:
            return
        status, changes = released
        for name, value in changes.items():
            image['properties'].pop(name, None)
            if value is not None:
                image['properties'][name] = value
        if status is not None:
            self._set(image, status=status, updated_at=now)

    def close(self):
        pass


def _needs_the_real_registry(method):
    """The metadata definitions catalog is not faked: its api unit tests
    (tests/unit/api/test_metadefs.py) run against the real registry (``real_registry``)."""
    @functools.wraps(method)
    def refuse(self, ctxt, **kwargs):
        raise NotImplementedError('%s: mark the test real_registry' % method.__name__)
    return refuse


for _name in contract.METHODS:
    if _name.startswith('metadef_'):
        setattr(FakeRegistry, _name,
                _needs_the_real_registry(getattr(rpc_client.RegistryClient, _name)))

    # The locations API (1.11): its api unit tests run against the real registry.
    if _name in ('image_location_list', 'image_location_set'):
        setattr(FakeRegistry, _name,
                _needs_the_real_registry(getattr(rpc_client.RegistryClient, _name)))

    # Import (1.13): its api unit tests run against the real registry (real_registry).
    if _name in ('begin_stage', 'renew_stage', 'finish_stage', 'abort_stage', 'begin_import',
                 'import_store_done', 'import_store_failed', 'end_import', 'staged_images'):
        setattr(FakeRegistry, _name,
                _needs_the_real_registry(getattr(rpc_client.RegistryClient, _name)))
