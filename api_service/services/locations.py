"""Image locations, as upstream Glance serves them: a location checked before it is recorded,
the legacy PATCH of ``/locations`` (add, replace, remove) and the 2.17 locations API
(POST /v2/images/{id}/locations), with the hash computed from a location's data.

Each change is computed here from the list the registry gave (image_location_list) and
written by one image_location_set call, which refuses it when the list changed meanwhile.

- A URL is accepted when a configured store handles its scheme, the scheme is not one
  upstream keeps out for safety (file, filesystem, swift+config: they would expose the
  api host's files or the operator's Swift credentials), and the data is there with a
  size: the store is asked for its first byte (the http store sends a one-byte Range
  request, whose answer gives the whole size); a missing or empty location is 400
  ``Invalid location``. The store that owns the URL is recorded with it (the image's
  ``stores``).
- A queued image given a location becomes active at once, without passing through saving,
  with the location's size and the validation data's checksum and hashes.
- POST /locations (2.17) adds the location of a queued image synchronously (so a bad URL
  is a 400, where upstream's background task would leave the image queued), records a
  ``location_import`` task as upstream does (GET /v2/images/{id}/tasks) and answers 202.
  With [DEFAULT] do_secure_hash (the default) the checksum and hash are then computed
  from the data by that task, run by this api worker's TaskRunner under the task's lease:
  with validation data the image is ``importing`` until they match (then active), under
  the task's import lock (os_glance_import_task, taken in the same registry call); a
  mismatch, or data that cannot be read, returns the image to ``queued`` without hashes
  and fails the task, as upstream's revert does (an http location stays, as upstream's
  does; another goes, its data left alone). Without validation data the image is active
  at once and gets its hashes when they are computed. Without do_secure_hash the
  validation data is taken as the image's hashes. A worker that dies while it computes
  renews no lease: the registry's task sweep fails the task and returns the importing
  image to ``queued`` (its location stays, as after a failed check of an http one).
"""

import hashlib
import logging
import time
import urllib.parse
import uuid

from api_service import exceptions as api_exceptions
from api_service.services import deletion
from api_service.stores import base
from api_service.tasks import runner as task_runner
from common import exceptions
from common import states

LOG = logging.getLogger(__name__)

# Schemes never accepted from a user (upstream's RESTRICTED_URI_SCHEMAS).
RESTRICTED_SCHEMES = frozenset({'file', 'filesystem', 'swift+config'})
# Hash algorithms the POST /locations schema accepts.
POST_HASH_ALGORITHMS = ('sha1', 'sha256', 'sha512', 'md5')
VALIDATION_KEYS = ('checksum', 'os_hash_algo', 'os_hash_value')
# Reads of a location's data before the hash is given up (upstream's http_retries default).
HASH_ATTEMPTS = 3
# The metadata key upstream keeps a location's store id in (multi-store).
STORE_KEY = 'store'


def public_metadata(location, multi_store):
    """A location's metadata as users see it: with its store id in a multi-store api."""
    metadata = dict(location.get('metadata') or {})
    if multi_store and location.get('store_id'):
        metadata[STORE_KEY] = location['store_id']
    return metadata


def public(location, multi_store):
    return {'url': location['url'], 'metadata': public_metadata(location, multi_store)}


# -- checking a location -------------------------------------------------------------------


def _invalid_location():
    return exceptions.Invalid('Invalid location')


def data_size(store, url):
    """The size of the data at ``url`` in ``store`` (None when the store does not say):
    a store that can tell it (the http store: HEAD, as upstream) does, any other is asked
    for one byte of it; StoreDataNotFound / StoreUnreachable propagate."""
    size_of = getattr(store, 'size', None)
    if size_of is not None:
        return size_of(url)
    chunks, size = base.read(store, url, 0, 1)
    try:
        next(iter(chunks), None)
    finally:
        close = getattr(chunks, 'close', None)
        if close is not None:
            close()
    return size


def check_url(stores, url):
    """-> (store id, size) of a location a user may record; else Invalid (400)."""
    if not isinstance(url, str) or not url:
        raise _invalid_location()
    scheme = urllib.parse.urlparse(url).scheme
    known = {s for store in stores.all() for s in store.schemes}
    if scheme not in known or scheme in RESTRICTED_SCHEMES:
        raise _invalid_location()
    try:
        store = stores.for_location(url)
        size = data_size(store, url)
    except (exceptions.NotFound, api_exceptions.StoreUnreachable,
            api_exceptions.StoreCapabilityMissing, api_exceptions.UnknownStoreScheme) as exc:
        LOG.info('Location %s refused: %s', url, exc)
        raise _invalid_location() from None
    if not size:
        raise _invalid_location()
    return store.store_id, size


def _hex_of_size(name, value, want, error=exceptions.Conflict):
    try:
        raw = bytes.fromhex(value)
    except (ValueError, TypeError):
        raise error('%s (%s) is not a valid hexadecimal value' % (name, value)) from None
    if len(raw) != want:
        raise error('%s (%s) is not the correct size (should be %d bytes)'
                    % (name, value, want))


def validation_values(image, locations, hashing_algorithm):
    """The image values the locations' ``validation_data`` bring (upstream's rules, each a
    409): the locations must agree, a value already set must be the same, new values only
    for a queued image, os_hash_algo must be ``hashing_algorithm``, checksum and
    os_hash_value must be hex of the right length. -> {name: value} of the new ones."""
    given = {}
    for loc in locations:
        for name, value in (loc.get('validation_data') or {}).items():
            if given.get(name, value) != value:
                raise exceptions.Conflict('Conflicting values for %s' % name)
            given[name] = value
    new = {}
    for name, value in given.items():
        if image.get(name) == value:
            continue
        if image.get(name):
            raise exceptions.Conflict('%s is already set with a different value' % name)
        new[name] = value
    if not new:
        return {}
    if image['status'] != states.QUEUED:
        raise exceptions.Conflict("New value(s) for %s may only be provided when image "
                                  "status is 'queued'" % ', '.join(sorted(new)))
    if 'checksum' in new:
        _hex_of_size('checksum', new['checksum'], 16)
    algo = new.get('os_hash_algo')
    if algo != hashing_algorithm:
        raise exceptions.Conflict('os_hash_algo must be %s, not %s'
                                  % (hashing_algorithm, algo))
    _hex_of_size('os_hash_value', new.get('os_hash_value'), hashlib.new(algo).digest_size)
    return new


def _check_validation_data_shape(location):
    data = location.get('validation_data')
    if data is None:
        return
    if not isinstance(data, dict) or set(data) - set(VALIDATION_KEYS) or not all(
            isinstance(v, str) for v in data.values()) \
            or not {'os_hash_algo', 'os_hash_value'} <= set(data):
        raise exceptions.Invalid('validation_data takes os_hash_algo and os_hash_value '
                                 '(strings, both required) and an optional checksum.')


def _check_location_shape(location):
    if not isinstance(location, dict) or not isinstance(location.get('url'), str) \
            or not isinstance(location.get('metadata'), dict) \
            or set(location) - {'url', 'metadata', 'validation_data'}:
        raise exceptions.Invalid('A location is an object with a url (string), a metadata '
                                 'object and optional validation_data.')
    if len(location['url']) > 255:
        raise exceptions.Invalid('A location url has at most 255 characters.')
    _check_validation_data_shape(location)


def position(token, count, allow_end):
    """A /locations/N token -> the index it names ('-' = the end), None when invalid."""
    if token is None:
        return None
    if token == '-':
        pos = count if allow_end else count - 1
    elif token.isdigit():
        pos = int(token)
    else:
        return None
    if allow_end:
        return pos if pos <= count else None
    return pos if 0 <= pos < count else None


def _user_metadata(metadata):
    return {k: v for k, v in (metadata or {}).items() if k != STORE_KEY}


def _same(a, b):
    return a['url'] == b['url'] and _user_metadata(a.get('metadata')) == _user_metadata(
        b.get('metadata'))


def _check_quota(conf, count):
    quota = conf.image_location_quota
    if quota is not None and 0 <= quota < count:
        raise exceptions.QuotaExceeded(
            'The limit has been exceeded on the number of allowed image locations. '
            'Attempted: %d, Maximum: %d' % (count, quota), attempted=count, maximum=quota)


# -- the legacy PATCH of /locations --------------------------------------------------------


class PatchLocations:
    """The /locations changes of one image PATCH, applied in order."""

    def __init__(self, registry, stores, conf, ctx):
        self.registry, self.stores, self.conf, self.ctx = registry, stores, conf, ctx

    def _current(self, image_id):
        found = self.registry.image_location_list(self.ctx, image_ids=[image_id])
        if image_id not in found:
            raise exceptions.ImageNotFound(image_id=image_id)
        return found[image_id]

    def apply(self, image, changes):
        for change in changes:
            image = getattr(self, '_' + change['op'])(image, change)
        return image

    def _set(self, image, current, new, values, statuses):
        status = states.ACTIVE if image['status'] == states.QUEUED else None
        sizes = [loc['size'] for loc in new if loc.get('size')]
        if image.get('size') is None and sizes and 'size' not in values:
            values = dict(values, size=sizes[0])
        result = self.registry.image_location_set(
            self.ctx, image_id=image['id'], expected=[loc['id'] for loc in current],
            locations=[{k: loc[k] for k in ('id', 'url', 'metadata', 'store_id') if k in loc}
                       for loc in new],
            values={k: v for k, v in values.items() if v is not None} or None,
            statuses=list(statuses), status=status if new else None)
        self._remove_data(image['id'], result.get('removed') or [])
        return result

    def _remove_data(self, image_id, removed):
        for where in removed:
            try:
                deletion.remove_data(self.stores, where['url'], where.get('store_id'),
                                     context=self.ctx)
            except Exception as exc:
                LOG.error('Image %s no longer lists the location %s, but its data could '
                          'not be removed (%s); remove it by hand.', image_id, where['url'],
                          exc)

    def _new_location(self, value):
        store_id, size = check_url(self.stores, value['url'])
        return {'url': value['url'], 'metadata': _user_metadata(value['metadata']),
                'store_id': store_id, 'size': size}

    def _add(self, image, change):
        value = change['value']
        _check_location_shape(value)
        if image['status'] not in (states.ACTIVE, states.QUEUED):
            raise exceptions.Conflict("It's not allowed to add locations if image status is "
                                      "%s." % image['status'])
        values = validation_values(image, [value], self.conf.hashing_algorithm)
        current = self._current(image['id'])
        new_loc = self._new_location(value)
        pos = position(change.get('position'), len(current), True)
        if pos is None:
            raise exceptions.Invalid('Invalid position for adding a location.')
        if any(_same(loc, value) for loc in current):
            raise exceptions.Invalid('The location %s already exists' % value['url'])
        new = list(current)
        new.insert(pos, new_loc)
        _check_quota(self.conf, len(new))
        return self._set(image, current, new, values, (states.ACTIVE, states.QUEUED))

    def _replace(self, image, change):
        value = change['value']
        if not value:
            raise exceptions.Forbidden('Cannot set locations to empty list.')
        if not isinstance(value, list):
            raise exceptions.Invalid('Invalid locations')
        for loc in value:
            _check_location_shape(loc)
        if image['status'] not in (states.ACTIVE, states.QUEUED):
            raise exceptions.Conflict("It's not allowed to replace locations if image status "
                                      "is %s." % image['status'])
        values = validation_values(image, value, self.conf.hashing_algorithm)
        current = self._current(image['id'])
        urls, old_urls = sorted(v['url'] for v in value), sorted(c['url'] for c in current)
        if current and urls != old_urls:
            raise exceptions.Invalid('Original locations is not empty: %s'
                                     % ', '.join(old_urls))
        for i, loc in enumerate(value):
            if any(_same(loc, other) for other in value[i + 1:]):
                raise exceptions.Invalid('The location %s already exists' % loc['url'])
        if current:
            # Only the metadata may change: each url keeps its location (and store).
            by_url = {c['url']: c for c in current}
            new = [dict(by_url[v['url']], metadata=_user_metadata(v['metadata']))
                   for v in value]
        else:
            new = [self._new_location(v) for v in value]
        _check_quota(self.conf, len(new))
        return self._set(image, current, new, values, (states.ACTIVE, states.QUEUED))

    def _remove(self, image, change):
        if image['status'] != states.ACTIVE:
            raise exceptions.Conflict("It's not allowed to remove locations if image status "
                                      "is %s." % image['status'])
        current = self._current(image['id'])
        if len(current) == 1:
            raise exceptions.Forbidden('Cannot remove last location in the image.')
        pos = position(change.get('position'), len(current), False)
        if pos is None:
            raise exceptions.Invalid('Invalid position for removing a location.')
        new = current[:pos] + current[pos + 1:]
        return self._set(image, current, new, {}, (states.ACTIVE,))


# -- the locations API (2.17) --------------------------------------------------------------


def check_hash_data(validation_data, hashing_algorithm):
    """POST /locations' validation_data: -> {'os_hash_algo', 'os_hash_value'} or {} (400s)."""
    if validation_data is None:
        return {}
    if not isinstance(validation_data, dict) or set(validation_data) - {
            'os_hash_algo', 'os_hash_value'}:
        raise exceptions.Invalid('validation_data takes only os_hash_algo and '
                                 'os_hash_value.')
    if not validation_data:
        return {}
    if set(validation_data) != {'os_hash_algo', 'os_hash_value'}:
        # Upstream's schema: each needs the other.
        raise exceptions.Invalid('validation_data needs both os_hash_algo and '
                                 'os_hash_value.')
    algo, value = validation_data['os_hash_algo'], validation_data['os_hash_value']
    if algo not in POST_HASH_ALGORITHMS:
        raise exceptions.Invalid('os_hash_algo must be one of %s.'
                                 % ', '.join(POST_HASH_ALGORITHMS))
    if not isinstance(value, str) or len(value) > 128:
        raise exceptions.Invalid('os_hash_value must be a string of at most 128 characters.')
    _hex_of_size('os_hash_value', value, hashlib.new(algo).digest_size,
                 error=exceptions.Invalid)
    return {'os_hash_algo': algo, 'os_hash_value': value}


# The task a POST /locations records, as upstream's (GET /v2/images/{id}/tasks shows it).
TASK_TYPE = 'location_import'


def _new_task(registry, ctx, image_id, url, given):
    """A pending ``location_import`` task for the hash (raises when the registry refuses)."""
    return registry.task_create(ctx, values={
        'id': str(uuid.uuid4()), 'type': TASK_TYPE, 'image_id': image_id,
        'input': {'image_id': image_id, 'loc_url': url, 'validation_data': given}})


def _record_task(registry, ctx, image_id, url, given):
    """A ``location_import`` task, finished at once (the location needed no hash); a
    registry that would not take it is logged (the location is added all the same)."""
    try:
        task = _new_task(registry, ctx, image_id, url, given)
        registry.task_update(ctx, task_id=task['id'], values={'status': 'processing'})
        registry.task_update(ctx, task_id=task['id'], values={'status': 'success'})
    except Exception as exc:
        LOG.warning('No task records the location added to image %s: %s', image_id, exc)


def _fail_task(registry, ctx, task_id, message):
    try:
        registry.task_update(ctx, task_id=task_id,
                             values={'status': 'failure', 'message': message})
    except Exception as exc:
        LOG.warning('Task %s could not be marked failed: %s', task_id, exc)


def add_location(registry, stores, conf, ctx, image, url, validation_data, service,
                 runner):
    """POST /v2/images/{id}/locations for ``image`` (policy already checked); ``service``:
    the caller has the service role; ``runner``: this worker's TaskRunner, which runs the
    hash. -> the image as the location left it."""
    if image['status'] != states.QUEUED:
        raise exceptions.Conflict("It's not allowed to add locations if image status is %s."
                                  % image['status'])
    if not isinstance(url, str) or not url or len(url) > 65535:
        raise exceptions.Invalid('url is required: the URL of the new location.')
    if not service:
        # An ordinary user may only point an image at data on a web server.
        scheme = urllib.parse.urlparse(url).scheme
        if not any(store.driver == 'http' for store in stores.all()) \
                or scheme not in ('http', 'https'):
            raise exceptions.Forbidden('http store must be enabled to use location API by '
                                       'normal user.')
    given = check_hash_data(validation_data, conf.hashing_algorithm)
    store_id, size = check_url(stores, url)
    current = registry.image_location_list(ctx, image_ids=[image['id']]).get(image['id'], [])
    new = {'url': url, 'metadata': {}, 'store_id': store_id}
    if any(_same(loc, new) for loc in current):
        raise exceptions.Invalid('The location %s already exists' % url)
    values = {} if image.get('size') is not None else {'size': size}
    hashing = conf.do_secure_hash
    algo = given.get('os_hash_algo') or conf.hashing_algorithm
    if given and not hashing:
        values.update(given)
    elif hashing and not given:
        # Active at once, its hash to come (upstream shows the algorithm meanwhile).
        values['os_hash_algo'] = algo
    status = states.IMPORTING if hashing and given else states.ACTIVE
    if not hashing:
        result = registry.image_location_set(
            ctx, image_id=image['id'], expected=[loc['id'] for loc in current],
            locations=current + [new], values=values or None, statuses=[states.QUEUED],
            status=status)
        _record_task(registry, ctx, image['id'], url, given)
        return result
    task = _new_task(registry, ctx, image['id'], url, given)
    # An importing image is the task's (its lock): if this worker dies before the hash is
    # done, the registry's sweep fails the task and hands the image back.
    lock = task['id'] if status == states.IMPORTING else None
    try:
        result = registry.image_location_set(
            ctx, image_id=image['id'], expected=[loc['id'] for loc in current],
            locations=current + [new], values=values or None, statuses=[states.QUEUED],
            status=status, import_task=lock)
    except Exception as exc:
        _fail_task(registry, ctx, task['id'], 'The location could not be added: %s' % exc)
        raise
    added = result['locations'][-1]
    work = HashWork(registry, stores, ctx, image['id'], added, algo,
                    given.get('os_hash_value'), lock)
    try:
        runner.submit(ctx, task, work)
    except Exception as exc:
        LOG.exception('The hash of image %s could not be started.', image['id'])
        _fail_task(registry, ctx, task['id'], 'The hash could not be started: %s' % exc)
        if lock is not None:
            _revert(registry, ctx, image['id'], added, lock)
        raise
    return result


class HashWork:
    """The work of a ``location_import`` task (TaskRunner): the hash of the added location;
    a failure is the task's (TaskFailed), a lost lease stops it (TaskLost)."""

    def __init__(self, registry, stores, ctx, image_id, location, algo, expected_value,
                 lock):
        self.args = (registry, stores, ctx, image_id, location, algo, expected_value)
        self.lock = lock

    def __call__(self, handle):
        check = handle.check if handle is not None else None
        failure = compute_hash(*self.args, lock=self.lock, check=check)
        if failure is not None:
            raise task_runner.TaskFailed(failure)
        return {}


# How often, in seconds, a hash in progress checks that its image still exists.
ALIVE_CHECK_SECONDS = 5.0


class _Cancelled(Exception):
    """The image was deleted while its hash was computed."""


def _hashes(stores, location, algo, alive=None):
    store = stores.for_location(location['url'], location.get('store_id'))
    checksum, digest = hashlib.md5(usedforsecurity=False), hashlib.new(algo)
    chunks, _ = base.read(store, location['url'])
    checked = time.monotonic()
    try:
        for chunk in chunks:
            checksum.update(chunk)
            digest.update(chunk)
            if alive is not None and time.monotonic() - checked >= ALIVE_CHECK_SECONDS:
                # Upstream cancels the hash of a deleted image; so does this.
                alive()
                checked = time.monotonic()
    finally:
        close = getattr(chunks, 'close', None)
        if close is not None:
            close()
    return checksum.hexdigest(), digest.hexdigest()


def _read_hashes(stores, image_id, location, algo, alive=None):
    """-> (checksum, hash) of the location's data, or None when it cannot be read."""
    for attempt in range(1, HASH_ATTEMPTS + 1):
        try:
            return _hashes(stores, location, algo, alive)
        except api_exceptions.StoreUnreachable as exc:
            LOG.warning('[%d/%d] Hash calculation of image %s failed: %s', attempt,
                        HASH_ATTEMPTS, image_id, exc)
        except exceptions.NotFound as exc:
            LOG.warning('Hash calculation of image %s failed: %s', image_id, exc)
            return None
    return None


def compute_hash(registry, stores, ctx, image_id, location, algo, expected_value,
                 lock=None, check=None):
    """The background half of POST /locations: the image's checksum and hash from the
    location's data; given ``expected_value``, the image (importing, under the import lock
    of task ``lock``) becomes active when it matches and returns to queued when it does
    not. ``check``: raises TaskLost once the task's lease is lost (the registry's sweep
    handed the image back): the hash stops, writing nothing. -> None, or the failure."""

    def alive():
        if check is not None:
            check()
        try:
            registry.image_get(ctx, image_id=image_id)
        except exceptions.ImageNotFound:
            raise _Cancelled() from None

    try:
        found = _read_hashes(stores, image_id, location, algo, alive)
        if check is not None:
            check()
        if expected_value is None:
            if found is None:
                # Upstream's image stays active too, only warned about.
                LOG.warning('Image %s stays active without checksum nor hash: its data '
                            'could not be read.', image_id)
                return None
            registry.image_location_set(
                ctx, image_id=image_id, statuses=[states.ACTIVE],
                values={'checksum': found[0], 'os_hash_algo': algo,
                        'os_hash_value': found[1]})
            return None
        if found is not None and found[1] == expected_value:
            registry.image_location_set(
                ctx, image_id=image_id, statuses=[states.IMPORTING], status=states.ACTIVE,
                values={'checksum': found[0], 'os_hash_algo': algo,
                        'os_hash_value': found[1]}, import_task=lock)
            return None
        failure = ('os_hash_value: (%s) not matched with actual os_hash_value: (%s)'
                   % (expected_value, found[1]) if found is not None
                   else 'Hash calculation failed for image %s data' % image_id)
        LOG.warning('Image %s returns to queued: %s', image_id, failure)
        _revert(registry, ctx, image_id, location, lock)
        return failure
    except task_runner.TaskLost:
        raise
    except (exceptions.NotFound, _Cancelled):
        # Deleted meanwhile (upstream's HashCalculationRemoteDeletionTest): nothing to do.
        failure = 'Image %s was deleted while its hash was computed.' % image_id
        LOG.info(failure)
        return failure
    except Exception as exc:
        LOG.exception('The hash of image %s could not be recorded.', image_id)
        return 'The hash of image %s could not be recorded: %s' % (image_id, exc)


def _revert(registry, ctx, image_id, location, lock=None):
    """An importing image whose data did not match goes back to queued without hashes, as
    upstream's revert: the location goes, unless it is an http one (upstream keeps those,
    its http store deleting nothing: glance bug 2076648, which tempest expects); the data,
    the caller's, is never removed. The size stays, as upstream leaves it. ``lock``: the
    task whose import lock is released with it."""
    current = registry.image_location_list(ctx, image_ids=[image_id]).get(image_id, [])
    keep = location['url'].startswith(('http://', 'https://'))
    registry.image_location_set(
        ctx, image_id=image_id, expected=[loc['id'] for loc in current],
        locations=current if keep else [loc for loc in current
                                        if loc['id'] != location['id']],
        statuses=[states.IMPORTING], status=states.QUEUED,
        values={'checksum': None, 'os_hash_algo': None, 'os_hash_value': None},
        import_task=lock)
