"""An in-memory registry with RegistryClient's methods, for the api unit tests.

It keeps to common/rpc/contract.py as glance-registry does: the same method names and
keyword arguments as common/rpc/client.py, the same result dicts, the same
common.exceptions classes (and messages), and the registry's ownership, visibility and
member rules and status transitions (common/states.py). The value checks and the patch
semantics are the registry's own pure functions (registry_service/patch.py, the listing's
operator syntax), so the fake cannot drift from them; what the registry does in SQL
(visibility, filters, sorting, marker paging, quotas, compare-and-swap of the status) is
done here on dicts.

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

from oslo_utils import timeutils

from common import context
from common import exceptions
from common import states
from registry_service import access
from registry_service import image_dicts
from registry_service import images as registry_images
from registry_service import listing as registry_listing
from registry_service import patch

# The fields of an image dict, as the registry sends them.
BASE_FIELDS = image_dicts.BASE_FIELDS
DATETIME_FIELDS = image_dicts.DATETIME_FIELDS
VISIBILITIES = access.VISIBILITIES
READABLE_BY_ALL = frozenset({'public', 'community'})
MEMBER_STATUSES = access.MEMBER_STATUSES
MAX_MEMBER_ID = 255


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

    # -- helpers: rows, dicts and access ------------------------------------------------------

    @staticmethod
    def _to_dict(image):
        row = image['row']
        result = {field: isotime(row[field]) if field in DATETIME_FIELDS else row[field]
                  for field in BASE_FIELDS}
        result['properties'] = dict(image['properties'])
        result['tags'] = sorted(image['tags'])
        return result

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
        values = dict(values or {})
        image_id = values.pop('id', None)
        try:
            image_id = str(uuid.UUID(image_id)) if image_id is not None else str(uuid.uuid4())
        except (TypeError, ValueError, AttributeError):
            raise exceptions.Invalid('Image id %r is not a UUID.' % (image_id,)) from None
        unknown = sorted(set(values) - set(patch.MUTABLE))
        if unknown:
            raise exceptions.Invalid('Attributes %s cannot be set on a new image.'
                                     % ', '.join(unknown))
        attributes = dict(registry_images.NEW_IMAGE_DEFAULTS, **values)
        for name, value in attributes.items():
            patch.check_base_value(name, value)
        properties = dict(properties or {})
        for name, value in properties.items():
            patch.check_property(name, value)
        tags = patch.check_tags(list(tags or []))
        patch.check_quota(quotas, patch.PROPERTY_QUOTA, len(properties))
        patch.check_quota(quotas, patch.TAG_QUOTA, len(tags))
        if image_id in self._images:
            raise exceptions.Duplicate('Image ID %s already exists!' % image_id,
                                       image_id=image_id)
        now = utcnow()
        row = dict.fromkeys(BASE_FIELDS)
        row.update(attributes, id=image_id, status=states.QUEUED, created_at=now,
                   updated_at=now, deleted=False)
        image = {'row': row, 'properties': properties, 'tags': set(tags)}
        self._images[image_id] = image
        return self._to_dict(image)

    @_call
    def image_get(self, ctxt, *, image_id):
        return self._to_dict(self._visible(ctxt, image_id))

    @_call
    def image_update(self, ctxt, *, image_id, changes, expected_status=None, quotas=None):
        image = self._changeable(ctxt, image_id)
        row = image['row']
        if expected_status is not None and row['status'] != expected_status:
            raise exceptions.Conflict(
                'Image %s is %s, not %s.' % (image_id, row['status'], expected_status),
                image_id=image_id, status=row['status'])
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
    def image_delete(self, ctxt, *, image_id):
        image = self._changeable(ctxt, image_id)
        if image['row']['protected']:
            raise exceptions.Forbidden('Image %s is protected and cannot be deleted.'
                                       % image_id, image_id=image_id)
        before = self._to_dict(image)
        now = utcnow()
        self._set(image, status=states.DELETED, deleted=True, deleted_at=now, updated_at=now,
                  upload_expires_at=None)
        return before

    # -- listing -------------------------------------------------------------------------------

    @staticmethod
    def _sort_spec(sort_keys, sort_dirs):
        keys = list(sort_keys or [registry_listing.DEFAULT_SORT_KEY])
        dirs = list(sort_dirs or [])
        for key in keys:
            if key not in registry_listing.SORT_KEYS:
                raise exceptions.InvalidSortKey(key=key)
        for direction in dirs:
            if direction not in registry_listing.SORT_DIRS:
                raise exceptions.InvalidSortDir(direction=direction)
        default_dir = registry_listing.DEFAULT_SORT_DIR
        if not dirs:
            dirs = [default_dir] * len(keys)
        elif len(dirs) == 1:
            default_dir = dirs[0]
            dirs = dirs * len(keys)
        elif len(dirs) != len(keys):
            raise exceptions.Invalid('Number of sort dirs does not match the number of sort '
                                     'keys')
        for key in registry_listing.TIE_BREAKERS:
            if key not in keys:
                keys.append(key)
                dirs.append(default_dir)
        return list(zip(keys, dirs, strict=True))

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
        if visibility is not None and visibility != 'all' and visibility not in VISIBILITIES:
            raise exceptions.InvalidFilter(value=visibility)
        if member_status is None:
            member_status = 'accepted'
        if member_status not in MEMBER_STATUSES + ('all',):
            raise exceptions.InvalidFilter(value=member_status)

        def readable(row):
            if visibility not in (None, 'all') and row['visibility'] != visibility:
                return False
            if ctxt.is_admin:
                return True
            return (row['visibility'] == 'public' or self._owns(ctxt, row)
                    or self._shared_with_caller(ctxt, row, member_status)
                    or (visibility in ('community', 'all') and row['visibility'] == 'community'))
        return readable

    @staticmethod
    def _as_bool(name, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ('true', 'false'):
            return value.lower() == 'true'
        raise exceptions.InvalidFilter("Invalid value '%s' for '%s' filter. Valid values are "
                                       "'true' or 'false'." % (value, name))

    @staticmethod
    def _as_int(value, message='Unable to filter on a range with a non-numeric value.'):
        if isinstance(value, bool):
            raise exceptions.InvalidFilter(message)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise exceptions.InvalidFilter(message) from None

    @staticmethod
    def _as_text(name, value):
        if not isinstance(value, str):
            raise exceptions.InvalidFilter('Filter %s takes a single string value.' % name)
        return value

    def _operator_predicate(self, name, expression):
        if isinstance(expression, (list, tuple)):
            wanted = [self._as_text(name, v) for v in expression]
            return lambda image: image['row'][name] in wanted
        operator, value = registry_listing.split_operator(self._as_text(name, expression))
        if operator == 'in':
            wanted = registry_listing.split_list(value)
            return lambda image: image['row'][name] in wanted
        if operator == 'eq':
            return lambda image: image['row'][name] == value
        raise exceptions.InvalidFilter("Unable to filter by unknown operator '%s'." % operator)

    def _time_predicate(self, name, expression):
        operator, value = registry_listing.split_operator(self._as_text(name, expression))
        try:
            threshold = timeutils.normalize_time(timeutils.parse_isotime(value))
        except ValueError:
            raise exceptions.InvalidFilter('Bad "%s" query filter format. Use ISO 8601 '
                                           'DateTime notation.' % name) from None
        if operator not in registry_listing.TIME_OPERATORS:
            raise exceptions.InvalidFilter('Unable to filter on a unknown operator.')
        compare = {'gt': lambda v: v > threshold, 'gte': lambda v: v >= threshold,
                   'lt': lambda v: v < threshold, 'lte': lambda v: v <= threshold,
                   'eq': lambda v: v == threshold, 'neq': lambda v: v != threshold}[operator]
        return lambda image: compare(image['row'][name])

    @staticmethod
    def _equals(name, value):
        # SQL: NULL equals nothing.
        return lambda image: image['row'][name] is not None and image['row'][name] == value

    def _property_is(self, name, value):
        value = self._as_text(name, value)
        return lambda image: image['properties'].get(name) == value

    def _range_predicate(self, name, value):
        column, bound = name[:-4], name[-3:]
        if column not in registry_listing.INT_COLUMNS:
            return None
        limit = self._as_int(value)
        if bound == 'min':
            return lambda image: image['row'][column] is not None and \
                image['row'][column] >= limit
        return lambda image: image['row'][column] is not None and image['row'][column] <= limit

    def _filter_predicates(self, ctxt, filters):
        """listing._filter_clauses, in its order (so the same filter is refused first)."""
        filters = dict(filters or {})
        readable = self._list_predicate(ctxt, filters.pop('visibility', None),
                                        filters.pop('member_status', None))
        predicates = [lambda image: not image['row']['deleted'],
                      lambda image: readable(image['row'])]
        hidden = self._as_bool('os_hidden', filters.pop('os_hidden', False))
        predicates.append(lambda image: image['row']['os_hidden'] == hidden)
        if 'protected' in filters:
            protected = self._as_bool('protected', filters.pop('protected'))
            predicates.append(lambda image: image['row']['protected'] == protected)
        tags = filters.pop('tags', None) or []
        for tag in [tags] if isinstance(tags, str) else tags:
            tag = self._as_text('tag', tag)
            predicates.append(lambda image, tag=tag: tag in image['tags'])
        properties = filters.pop('properties', None) or {}
        for name, value in filters.items():
            if name in registry_listing.OPERATOR_FILTERS:
                predicates.append(self._operator_predicate(name, value))
            elif name in registry_listing.TIME_FILTERS:
                predicates.append(self._time_predicate(name, value))
            elif name in registry_listing.INT_COLUMNS:
                predicates.append(self._equals(name, self._as_int(
                    value, 'Filter %s takes an integer.' % name)))
            elif name in registry_listing.STRING_COLUMNS:
                predicates.append(self._equals(name, self._as_text(name, value)))
            elif name.endswith(('_min', '_max')) and \
                    self._range_predicate(name, value) is not None:
                predicates.append(self._range_predicate(name, value))
            else:
                predicates.append(self._property_is(name, value))
        predicates.extend(self._property_is(name, value)
                          for name, value in properties.items())
        return predicates

    @_call
    def image_list(self, ctxt, *, filters, marker, limit, sort_keys, sort_dirs):
        spec = self._sort_spec(sort_keys, sort_dirs)
        if limit is not None and self._as_int(limit,
                                              'limit must be a non-negative integer') < 0:
            raise exceptions.InvalidFilter('limit param must be positive')
        predicates = self._filter_predicates(ctxt, filters)
        marker_row = None
        if marker is not None:
            try:
                marker_row = self._visible(ctxt, marker)['row']
            except exceptions.ImageNotFound:
                raise exceptions.MarkerNotFound(marker=marker) from None
        found = [image for image in self._images.values()
                 if all(predicate(image) for predicate in predicates)]
        if marker_row is not None:
            found = [image for image in found
                     if self._compare(spec, image['row'], marker_row) > 0]
        found.sort(key=functools.cmp_to_key(
            lambda a, b: self._compare(spec, a['row'], b['row'])))
        if limit is not None:
            found = found[:int(limit)]
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
        quota = (quotas or {}).get('user_storage_quota')
        if quota is None or isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
            return None
        budget = quota - self._stored_bytes(row['owner'], row['id'])
        if (expected_size is not None and expected_size > budget) or \
                (expected_size is None and budget <= 0):
            raise exceptions.QuotaExceeded(
                'The size of the data %s will exceed the limit. %d bytes remaining.'
                % (expected_size, max(budget, 0)))
        return budget

    @_call
    def begin_upload(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None):
        self._check_lease_seconds(lease_seconds)
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
                  upload_expires_at=self._lease_end(lease_seconds))
        began = self._to_dict(image)
        began['upload_budget'] = budget
        return began

    @_call
    def finish_upload(self, ctxt, *, image_id, location, size, checksum, os_hash_algo,
                      os_hash_value, virtual_size=None):
        if virtual_size is not None and (not isinstance(virtual_size, int)
                                         or isinstance(virtual_size, bool)
                                         or virtual_size < 0):
            raise exceptions.Invalid('virtual_size must be a non-negative integer.')
        image = self._changeable(ctxt, image_id)
        if image['row']['status'] != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=image['row']['status'],
                                                     target=states.ACTIVE)
        self._set(image, status=states.ACTIVE, updated_at=utcnow(), location=location,
                  size=size, checksum=checksum, os_hash_algo=os_hash_algo,
                  os_hash_value=os_hash_value, virtual_size=virtual_size,
                  upload_expires_at=None)
        return self._to_dict(image)

    @_call
    def abort_upload(self, ctxt, *, image_id):
        image = self._changeable(ctxt, image_id)
        status = image['row']['status']
        if status == states.QUEUED:
            return self._to_dict(image)
        if status != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=status, target=states.QUEUED)
        self._set(image, status=states.QUEUED, updated_at=utcnow(), upload_expires_at=None)
        return self._to_dict(image)

    @_call
    def renew_upload(self, ctxt, *, image_id, lease_seconds):
        self._check_lease_seconds(lease_seconds)
        image = self._changeable(ctxt, image_id)
        if image['row']['status'] != states.SAVING:
            raise exceptions.InvalidStatusTransition(current=image['row']['status'],
                                                     target=states.SAVING)
        self._set(image, upload_expires_at=self._lease_end(lease_seconds))
        return self._to_dict(image)

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
        return self._swap(ctxt, image_id, 'deactivate', (states.ACTIVE, states.DEACTIVATED),
                          states.DEACTIVATED)

    @_call
    def reactivate(self, ctxt, *, image_id):
        return self._swap(ctxt, image_id, 'reactivate', (states.DEACTIVATED, states.ACTIVE),
                          states.ACTIVE)

    def close(self):
        pass
