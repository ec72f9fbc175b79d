"""Image data as objects in OpenStack Swift (or another Swift API such as Ceph RadosGW's),
through python-swiftclient.

Single-tenant: every image goes to the account of one set of credentials, read from the
swift store config file (``swift_store_config_file``, the section ``default_swift_reference``
names) as upstream glance_store reads it: ``auth_address``, ``auth_version`` (1 for auth v1
such as tempauth or RadosGW, 2 or 3 for Keystone), ``user``, ``key`` and, for Keystone,
``user_domain_*`` / ``project_domain_*``. Locations are upstream's
``swift+config://REFERENCE/CONTAINER/IMAGE_ID``, so the data stays readable by either.

An image announced smaller than ``swift_store_large_object_size`` is one object; a larger
one, or one of unknown size, goes up as segments of ``swift_store_large_object_chunk_size``
(``IMAGE_ID-00001`` ... in the same container) and then a dynamic large object manifest
(``X-Object-Manifest: CONTAINER/IMAGE_ID-``), as upstream writes them, so images written by
either can be read and deleted by the other. A failed upload deletes the segments it wrote
(retried in the background while Swift cannot be reached). A delete removes the segments
too. With ``swift_buffer_on_upload`` each segment is first written to an unlinked temporary
file, so that a segment PUT that fails is sent again; streamed, it fails the upload.
``remove_segments`` removes what an upload that never finished left (glance-api's master
calls it for a dead worker's uploads, and deleting an image with no data too).

Downloads always send a Range; one that Swift cuts short is resumed from the first byte not
sent, up to ``swift_store_retry_get_count`` times.

Multi-tenant mode is MultiTenantSwiftStore, at the end.

Tokens: one token is shared by the store's operations; an expired one is renewed on the 401
(swiftclient re-authenticates and retries). A body streamed from the client cannot be sent
twice, so before each object or segment a cheap request checks the token first: a long
upload made of many segments outlives any token lifetime.
"""

import configparser
import http.client
import logging
import tempfile
import threading
import time
from urllib import parse

import requests
import swiftclient
import swiftclient.utils
import urllib3

from api_service import exceptions
from api_service.stores import base

LOG = logging.getLogger(__name__)

MiB = 1024 * 1024
SCHEMES = ('swift+config', 'swift', 'swift+http', 'swift+https')
AUTH_VERSIONS = {'1': '1.0', '1.0': '1.0', '2': '2.0', '2.0': '2.0', '3': '3', '3.0': '3'}
# Seconds between two attempts at removing what a failed upload left, and for how long.
LEFTOVER_RETRY_SECONDS = 5
LEFTOVER_RETRY_FOR_SECONDS = 3600
_CONNECTION_ERRORS = (swiftclient.ClientException, requests.RequestException, OSError)
# What reading a response body raises when Swift (or the network) cuts it.
_READ_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError,
                http.client.HTTPException, OSError)


class BadReference(ValueError):
    """The swift store config file cannot be used (the message says why)."""


def read_reference(path, name):
    """The credentials of reference ``name`` in the swift store config file ``path`` ->
    dict (auth_address, auth_version, user, key, domains); BadReference saying why not."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding='utf-8') as f:
            parser.read_file(f)
    except OSError as exc:
        raise BadReference('cannot read %s (%s)' % (path, exc.strerror or exc)) from None
    except configparser.Error as exc:
        raise BadReference('%s is not a valid config file (%s)' % (path, exc)) from None
    if not parser.has_section(name):
        raise BadReference('%s has no section [%s] (default_swift_reference)'
                              % (path, name))
    ref = dict(parser.items(name))
    missing = [key for key in ('auth_address', 'user', 'key') if not ref.get(key)]
    if missing:
        raise BadReference('[%s] in %s lacks %s' % (name, path, ', '.join(missing)))
    version = str(ref.get('auth_version') or '3').strip()
    if version not in AUTH_VERSIONS:
        raise BadReference('[%s] auth_version = %s in %s: use 1, 2 or 3'
                              % (name, version, path))
    ref['auth_version'] = AUTH_VERSIONS[version]
    if ref['auth_version'] != '1.0' and ':' not in ref['user']:
        raise BadReference('[%s] user in %s must be PROJECT:USER for Keystone'
                              % (name, path))
    return ref


def _close(body):
    close = getattr(body, 'close', None)
    if close is not None:
        close()


def _container_of(headers_value):
    container, _, prefix = headers_value.partition('/')
    return parse.unquote(container), parse.unquote(prefix)


class _Source:
    """The upload's chunks, read up to a limit at a time; remembers what the source raised
    (so it is re-raised as itself, whatever swiftclient made of it)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b''
        self.error = None
        self.done = False
        self.total = 0

    def _next(self):
        if self._pending:
            chunk, self._pending = self._pending, b''
            return chunk
        while True:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.done = True
                return b''
            except BaseException as exc:
                self.error = exc
                raise
            if chunk:
                return chunk

    def has_more(self):
        if self._pending:
            return True
        if self.done:
            return False
        self._pending = self._next()
        return bool(self._pending)

    def upto(self, limit):
        """A generator of at most ``limit`` bytes (None: all of them)."""
        sent = 0
        while limit is None or sent < limit:
            chunk = self._next()
            if not chunk:
                return
            if limit is not None and sent + len(chunk) > limit:
                chunk, self._pending = chunk[:limit - sent], chunk[limit - sent:]
            sent += len(chunk)
            self.total += len(chunk)
            yield chunk


class _SizedBody(swiftclient.utils.ReadableToIterable):
    """The chunks of ``source``, ``length`` bytes in all, as a request body of known length.

    Why: a body of unknown length goes with chunked transfer encoding, and urllib3 frames
    each chunk by formatting a new bytes object around it (a copy of every byte, in the
    request thread, holding the GIL: about 0.5 CPU-second per GiB on this project's
    machine). swiftclient hands a ReadableToIterable to requests as it is; with a length
    requests sends Content-Length, and urllib3 sends each chunk as it is (no ``read``
    method here, so it iterates instead of reading 16 KiB at a time). A source longer or
    shorter than ``length`` fails the request (Swift then stores nothing).
    """

    def __init__(self, source, length):
        super().__init__(None, chunk_size=None)
        self._chunks = source.upto(None)
        self._length = length
        self._sent = 0

    def __len__(self):
        return self._length

    def __iter__(self):
        return self

    def __next__(self):
        chunk = next(self._chunks, None)
        if chunk is None:
            if self._sent != self._length:
                raise ValueError('the image data ended after %d of the %d bytes announced'
                                 % (self._sent, self._length))
            raise StopIteration
        self._sent += len(chunk)
        if self._sent > self._length:
            raise ValueError('the image data is longer than the %d bytes announced'
                             % self._length)
        return chunk

    next = __next__


class SwiftStore(base.Store):
    driver = 'swift'
    schemes = SCHEMES
    capabilities = (base.Capability.READ | base.Capability.READ_OFFSET |
                    base.Capability.WRITE | base.Capability.DELETE)

    def __init__(self, store_id=None, description=None, weight=0, *, reference=None,
                 reference_name='ref1', container='glance', create_container=False,
                 large_object_size=5120 * MiB, large_object_chunk_size=200 * MiB,
                 containers_seed=0, endpoint=None, insecure=False, cacert=None,
                 region=None, service_type='object-store', endpoint_type='publicURL',
                 retries=2, read_chunk_size=MiB, timeout=60, retry_get_count=0,
                 buffer_dir=None):
        """``reference``: read_reference()'s dict; sizes in bytes. ``retry_get_count``:
        how many times a download Swift cut short is resumed from where it stopped.
        ``buffer_dir``: each segment is first written to a temporary file there, so a
        segment PUT that fails is sent again (swift_buffer_on_upload); None streams."""
        super().__init__(store_id, description, weight)
        self.reference = reference
        self.reference_name = reference_name
        self.container = container
        self.create_container = create_container
        self.large_object_size = large_object_size
        self.chunk_size = large_object_chunk_size
        self.containers_seed = containers_seed
        self.endpoint = endpoint
        self.insecure = insecure
        self.cacert = cacert
        self.region = region
        self.service_type = service_type
        self.endpoint_type = endpoint_type
        self.retries = retries
        self.read_chunk_size = read_chunk_size
        self.timeout = timeout
        self.retry_get_count = retry_get_count
        self.buffer_dir = buffer_dir
        self._auth = (None, None)
        self._auth_lock = threading.Lock()
        self._leftovers = []
        self._leftovers_lock = threading.Lock()
        self._leftover_thread = None

    def properties(self):
        # As upstream's GET /v2/info/stores/detail shows a swift store (sizes in bytes).
        return {'container': self.container, 'large_object_size': self.large_object_size,
                'large_object_chunk_size': self.chunk_size}

    # -- connections ----------------------------------------------------------------------

    def _os_options(self):
        ref = self.reference
        options = {'service_type': self.service_type, 'endpoint_type': self.endpoint_type}
        if self.region:
            options['region_name'] = self.region
        if self.endpoint:
            options['object_storage_url'] = self.endpoint
        if ref['auth_version'] != '1.0':
            project, _, _ = ref['user'].partition(':')
            options['project_name'] = project
            if ref['auth_version'] == '2.0':
                options['tenant_name'] = project
            for key in ('user_domain_id', 'user_domain_name', 'project_domain_id',
                        'project_domain_name'):
                if ref.get(key):
                    options[key] = ref[key]
            if not (ref.get('user_domain_id') or ref.get('user_domain_name')):
                options['user_domain_id'] = 'default'
            if not (ref.get('project_domain_id') or ref.get('project_domain_name')):
                options['project_domain_id'] = 'default'
        return options

    def _connection(self):
        ref = self.reference
        user = ref['user']
        if ref['auth_version'] != '1.0':
            user = user.partition(':')[2]
        url, token = self._auth
        return swiftclient.Connection(
            authurl=ref['auth_address'], user=user, key=ref['key'],
            auth_version=ref['auth_version'], os_options=self._os_options(),
            preauthurl=url, preauthtoken=token, retries=self.retries,
            starting_backoff=0.5, max_backoff=4, insecure=self.insecure,
            cacert=self.cacert, timeout=self.timeout)

    def _keep_auth(self, conn):
        if conn.url and conn.token:
            with self._auth_lock:
                self._auth = (conn.url, conn.token)

    def _unavailable(self, exc, doing):
        status = getattr(exc, 'http_status', None)
        if status == 401 or (isinstance(exc, swiftclient.ClientException) and
                             'Unauthorized' in str(exc)):
            reason = ('authentication failed: check auth_address, user and key of [%s] in '
                      'swift_store_config_file (%s)' % (self.reference_name, exc))
        else:
            reason = '%s failed: %s' % (doing, exc)
        LOG.error('Swift store %s: %s', self.store_id, reason)
        return exceptions.StoreUnavailable(store=self.store_id, reason=reason)

    # -- locations ------------------------------------------------------------------------

    def container_for(self, image_id):
        if self.containers_seed > 0:
            return '%s_%s' % (self.container, image_id[:self.containers_seed])
        return self.container

    def url_for(self, container, obj):
        return 'swift+config://%s/%s/%s' % (self.reference_name, parse.quote(container),
                                            parse.quote(obj))

    @staticmethod
    def parse_location(location):
        """-> (container, object) of a swift location (its last two path parts)."""
        parsed = parse.urlsplit(location)
        parts = [p for p in parsed.path.split('/') if p]
        if len(parts) < 2:
            raise exceptions.StoreDataNotFound(uri=location)
        return parse.unquote(parts[-2]), parse.unquote(parts[-1])

    def owns(self, url):
        if not super().owns(url):
            return False
        if url.startswith('swift+config://'):
            return parse.urlsplit(url).netloc == self.reference_name
        return True

    # -- where the data goes --------------------------------------------------------------

    def _place(self, image_id, context):
        """-> (connect, container, url) of a new image's data: ``connect()`` makes a
        connection to the account the data goes to."""
        container = self.container_for(image_id)
        return self._connection, container, self.url_for(container, image_id)

    def _reach(self, location, context):
        """-> (connect, container, object) of existing data at ``location``."""
        container, obj = self.parse_location(location)
        return self._connection, container, obj

    def _new_container_headers(self):
        """Headers of a container the store creates."""
        return {}

    # -- writing --------------------------------------------------------------------------

    def _ready_container(self, conn, container):
        """Check the token (renewing it) and that the container exists (or create it)."""
        try:
            conn.head_container(container)
        except swiftclient.ClientException as exc:
            if exc.http_status != 404:
                raise
            if not self.create_container:
                raise exceptions.StoreUnavailable(
                    store=self.store_id,
                    reason='the container "%s" does not exist and '
                           'swift_store_create_container_on_put is False; create it or '
                           'set that option' % container) from None
            conn.put_container(container, headers=self._new_container_headers())

    def add(self, image_id, chunks, size_hint=None, context=None):
        self.require(base.Capability.WRITE)
        connect, container, url = self._place(image_id, context)
        source = _Source(chunks)
        conn = connect()
        written = []
        current = None
        try:
            self._ready_container(conn, container)
            if size_hint is not None and size_hint < self.large_object_size:
                current = image_id
                conn.put_object(container, image_id, _SizedBody(source, size_hint),
                                content_length=size_hint,
                                content_type='application/octet-stream')
                written.append(image_id)
            elif not source.has_more():
                current = image_id
                conn.put_object(container, image_id, b'', content_length=0,
                                content_type='application/octet-stream')
                written.append(image_id)
            else:
                number = 0
                while source.has_more():
                    number += 1
                    current = '%s-%05d' % (image_id, number)
                    if number > 1:
                        # Renews the token if it expired while the last segment went up.
                        conn.head_container(container)
                    self._put_segment(conn, container, current, source)
                    written.append(current)
                # Segments an earlier upload of this image left (its api worker died) would
                # join the manifest's listing: remove them first.
                self._remove_strays(conn, container, image_id, written)
                current = image_id
                conn.put_object(container, image_id, b'', content_length=0,
                                content_type='application/octet-stream',
                                headers={'X-Object-Manifest': '%s/%s-' % (
                                    parse.quote(container), parse.quote(image_id))})
                written.append(image_id)
                stored = int(conn.head_object(container, image_id)['content-length'])
                if stored != source.total:
                    raise exceptions.StoreUnavailable(
                        store=self.store_id,
                        reason='the manifest of image %s adds up to %d bytes, not the %d '
                               'written (the container listing lags?)'
                               % (image_id, stored, source.total))
            self._keep_auth(conn)
            return base.Added(url, source.total)
        except BaseException as exc:
            if current is not None and current not in written:
                # A request cut short stores nothing, but one the server completed before
                # the error reached us did.
                written.append(current)
            self._remove_leftovers(connect, container, written)
            if source.error is not None:
                raise source.error from None
            if isinstance(exc, _CONNECTION_ERRORS):
                raise self._unavailable(exc, 'writing image %s' % image_id) from exc
            raise
        finally:
            conn.close()

    def _put_segment(self, conn, container, name, source):
        if self.buffer_dir is None:
            conn.put_object(container, name, source.upto(self.chunk_size),
                            content_type='application/octet-stream')
            return
        # swiftclient seeks a file body back and sends it again when the PUT fails (up
        # to its retries); the file is unlinked from the start, so nothing outlives it.
        try:
            buffered = tempfile.TemporaryFile(dir=self.buffer_dir)
        except OSError as exc:
            raise self._buffer_failed(exc) from exc
        try:
            size = 0
            for chunk in source.upto(self.chunk_size):
                try:
                    buffered.write(chunk)
                except OSError as exc:
                    raise self._buffer_failed(exc) from exc
                size += len(chunk)
            buffered.seek(0)
            conn.put_object(container, name, buffered, content_length=size,
                            content_type='application/octet-stream')
        finally:
            buffered.close()

    def _buffer_failed(self, exc):
        reason = 'buffering a segment in swift_upload_buffer_dir %s failed: %s' % (
            self.buffer_dir, exc.strerror or exc)
        LOG.error('Swift store %s: %s', self.store_id, reason)
        return exceptions.StoreUnavailable(store=self.store_id, reason=reason)

    @staticmethod
    def _remove_strays(conn, container, image_id, written):
        _, listing = conn.get_container(container, prefix='%s-' % image_id,
                                        full_listing=True)
        for entry in listing:
            if entry['name'] not in written:
                LOG.warning('Removing %s/%s, a segment left by an earlier upload of the '
                            'image.', container, entry['name'])
                try:
                    conn.delete_object(container, entry['name'])
                except swiftclient.ClientException as exc:
                    if exc.http_status != 404:
                        raise

    def remove_segments(self, image_id, context=None):
        """Remove the segments (``IMAGE_ID-NNNNN``) an upload of ``image_id`` that never
        finished left (its api worker died). Only for an image with no data: the segments
        of a finished upload are its data. -> the names removed; StoreUnavailable."""
        connect, container, _ = self._place(image_id, context)
        conn = connect()
        removed = []
        try:
            try:
                _, listing = conn.get_container(container, prefix='%s-' % image_id,
                                                full_listing=True)
            except swiftclient.ClientException as exc:
                if exc.http_status == 404:
                    return removed
                raise
            for entry in listing:
                try:
                    conn.delete_object(container, entry['name'])
                except swiftclient.ClientException as exc:
                    if exc.http_status != 404:
                        raise
                removed.append(entry['name'])
            self._keep_auth(conn)
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'removing the segments of image %s' % image_id) \
                from exc
        finally:
            conn.close()
        if removed:
            LOG.warning('Swift store %s: removed %d segment(s) left by an unfinished upload '
                        'of image %s.', self.store_id, len(removed), image_id)
        return removed

    def _remove_leftovers(self, connect, container, names):
        if not names:
            return
        left = []
        conn = connect()
        conn.retries = 0
        try:
            for name in names:
                try:
                    conn.delete_object(container, name)
                except swiftclient.ClientException as exc:
                    if exc.http_status != 404:
                        left.append(name)
                except (requests.RequestException, OSError):
                    left.append(name)
        finally:
            conn.close()
        if left:
            LOG.warning('Swift store %s: %d object(s) of a failed upload could not be '
                        'removed yet; retrying in the background.', self.store_id, len(left))
            with self._leftovers_lock:
                self._leftovers.extend((connect, container, n, time.monotonic())
                                       for n in left)
                if self._leftover_thread is None or not self._leftover_thread.is_alive():
                    self._leftover_thread = threading.Thread(
                        target=self._retry_leftovers, name='swift-leftovers', daemon=True)
                    self._leftover_thread.start()

    def _retry_leftovers(self):
        while True:
            time.sleep(LEFTOVER_RETRY_SECONDS)
            with self._leftovers_lock:
                pending, self._leftovers = self._leftovers, []
            if not pending:
                with self._leftovers_lock:
                    if not self._leftovers:
                        self._leftover_thread = None
                        return
                continue
            still = []
            for connect, container, name, since in pending:
                conn = connect()
                conn.retries = 0
                try:
                    conn.delete_object(container, name)
                except swiftclient.ClientException as exc:
                    if exc.http_status != 404:
                        still.append((connect, container, name, since))
                except (requests.RequestException, OSError):
                    still.append((connect, container, name, since))
                finally:
                    conn.close()
            now = time.monotonic()
            for connect, container, name, since in still:
                if now - since > LEFTOVER_RETRY_FOR_SECONDS:
                    LOG.error('Swift store %s: giving up removing %s/%s, left by a failed '
                              'upload; remove it by hand.', self.store_id, container, name)
                else:
                    with self._leftovers_lock:
                        self._leftovers.append((connect, container, name, since))

    def pending_leftovers(self):
        """The objects of failed uploads still to remove (container, name)."""
        with self._leftovers_lock:
            return [(c, n) for _, c, n, _ in self._leftovers]

    # -- reading --------------------------------------------------------------------------

    def _size(self, conn, container, obj, location):
        try:
            return int(conn.head_object(container, obj)['content-length'])
        except swiftclient.ClientException as exc:
            if exc.http_status == 404:
                raise exceptions.StoreDataNotFound(uri=location) from None
            raise

    def get(self, location, offset=0, length=None, context=None):
        connect, container, obj = self._reach(location, context)
        conn = connect()
        try:
            if length == 0:
                size = self._size(conn, container, obj, location)
                conn.close()
                return iter(()), size
            try:
                got, body = self._get_object(conn, container, obj, offset, length)
            except swiftclient.ClientException as exc:
                if exc.http_status == 404:
                    raise exceptions.StoreDataNotFound(uri=location) from None
                if exc.http_status == 416:
                    # An offset at or past the end: nothing to send.
                    size = self._size(conn, container, obj, location)
                    conn.close()
                    return iter(()), size
                raise
            self._keep_auth(conn)
        except exceptions.StoreDataNotFound:
            conn.close()
            raise
        except _CONNECTION_ERRORS as exc:
            conn.close()
            raise self._unavailable(exc, 'reading %s' % location) from exc
        content_range = got.get('content-range')
        if content_range and '/' in content_range:
            size = int(content_range.rpartition('/')[2])
        else:
            size = int(got['content-length'])
        wanted = int(got['content-length'])
        return self._chunks(conn, body, container, obj, offset, wanted, location), size

    def _get_object(self, conn, container, obj, offset, length):
        # Always a Range (bytes=0- for the whole object): swiftclient would otherwise resume
        # a cut whole-object body by itself, up to its request retries, whatever
        # swift_store_retry_get_count says; _chunks does it, for ranges too.
        end = '' if length is None else str(offset + length - 1)
        return conn.get_object(container, obj, headers={'Range': 'bytes=%d-%s' % (offset, end)},
                               resp_chunk_size=self.read_chunk_size)

    def _chunks(self, conn, body, container, obj, offset, wanted, location):
        """The bytes of ``body`` (``wanted`` of them from ``offset``). A response Swift cut
        short is resumed with a ranged GET from the first byte not received, up to
        ``retry_get_count`` times (upstream's swift_store_retry_get_count); past that, or
        with 0, the download fails."""
        received = 0
        retries_left = self.retry_get_count
        try:
            while True:
                try:
                    for chunk in body:
                        if chunk:
                            received += len(chunk)
                            yield chunk
                    if received >= wanted:
                        return
                    cut = 'the response ended after %d of %d bytes' % (received, wanted)
                except _READ_ERRORS as exc:
                    cut = str(exc) or type(exc).__name__
                if received >= wanted:
                    return
                if retries_left <= 0:
                    LOG.error('Swift store %s: reading %s failed after %d bytes: %s',
                              self.store_id, location, received, cut)
                    raise exceptions.StoreUnavailable(
                        store=self.store_id, reason='reading %s was cut short: %s'
                        % (location, cut))
                retries_left -= 1
                LOG.warning('Swift store %s: reading %s was cut after %d of %d bytes (%s); '
                            'resuming from there (%d retries left).', self.store_id,
                            location, received, wanted, cut, retries_left)
                _close(body)
                try:
                    _, body = self._get_object(conn, container, obj, offset + received,
                                               wanted - received)
                except _CONNECTION_ERRORS as exc:
                    raise self._unavailable(exc, 'resuming %s' % location) from exc
        finally:
            _close(body)
            conn.close()

    # -- deleting -------------------------------------------------------------------------

    def delete(self, location, context=None):
        connect, container, obj = self._reach(location, context)
        conn = connect()
        try:
            self._delete_object(conn, container, obj, location)
            self._after_delete(conn, container)
            self._keep_auth(conn)
        except exceptions.StoreDataNotFound:
            raise
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'deleting %s' % location) from exc
        finally:
            conn.close()

    def _after_delete(self, conn, container):
        """What goes once the image's data is gone (the multi-tenant store's container)."""

    @staticmethod
    def _delete_object(conn, container, obj, location):
        try:
            headers = conn.head_object(container, obj)
        except swiftclient.ClientException as exc:
            if exc.http_status == 404:
                raise exceptions.StoreDataNotFound(uri=location) from None
            raise
        if headers.get('x-static-large-object', '').lower() == 'true':
            conn.delete_object(container, obj, query_string='multipart-manifest=delete')
            return
        manifest = headers.get('x-object-manifest')
        if manifest:
            seg_container, prefix = _container_of(manifest)
            _, listing = conn.get_container(seg_container, prefix=prefix,
                                            full_listing=True)
            for entry in listing:
                try:
                    conn.delete_object(seg_container, entry['name'])
                except swiftclient.ClientException as exc:
                    if exc.http_status != 404:
                        raise
        try:
            conn.delete_object(container, obj)
        except swiftclient.ClientException as exc:
            if exc.http_status != 404:
                raise

    # -- checks ---------------------------------------------------------------------------

    def check_access(self):
        """Authenticate now (one request); StoreUnavailable saying why not."""
        conn = self._connection()
        try:
            conn.head_account()
            self._keep_auth(conn)
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'reaching Swift') from exc
        finally:
            conn.close()


def catalog_url(catalog, service_type, region=None, endpoint_type='publicURL'):
    """The URL of ``service_type`` in a Keystone service catalog (the v2 form
    keystonemiddleware's X-Service-Catalog carries, or the v3 form); None if absent."""
    interface = endpoint_type[:-3] if endpoint_type.endswith('URL') else endpoint_type
    for service in catalog or []:
        if not isinstance(service, dict) or service.get('type') != service_type:
            continue
        for endpoint in service.get('endpoints') or []:
            if region and region not in (endpoint.get('region'),
                                         endpoint.get('region_id')):
                continue
            url = endpoint.get(interface + 'URL')
            if not url and endpoint.get('interface') == interface:
                url = endpoint.get('url')
            if url:
                return url
    return None


def _acl_set(value):
    """The entries of a Swift ACL header, as a set (Swift may respace or reorder them)."""
    return {entry.strip() for entry in (value or '').split(',') if entry.strip()}


class MultiTenantSwiftStore(SwiftStore):
    """``swift_store_multi_tenant = True``: each image's data goes to the Swift account of
    the project that uploads it, with the user's own token, in a container of its own named
    as upstream names it (``swift_store_container`` + "_" + IMAGE_ID). The account's
    storage URL is the object-store endpoint of the request's service catalog (which
    keystonemiddleware passes in X-Service-Catalog), or ``swift_store_endpoint`` when set,
    as upstream. Locations are upstream's ``swift+http(s)://STORAGE-URL/CONTAINER/IMAGE_ID``.

    The projects of ``swift_store_admin_tenants`` get read and write ACLs on each container
    (upstream grants them write; read is added so that they can serve the data too).
    Containers are always created (each image has its own).

    Without a request there is no token: glance-scrubber, the cache prefetcher and the sweep
    of a dead worker's segments get StoreUnavailable saying so, and deletions they cannot do
    stay recorded. Keystone trusts are not used: a transfer must end within the life of
    the user's token (a write cut by an expired token removes what it wrote).
    """

    takes_context = True

    def __init__(self, store_id=None, description=None, weight=0, *, admin_tenants=(),
                 **kwargs):
        kwargs.pop('reference', None)
        kwargs.setdefault('reference_name', None)
        super().__init__(store_id, description, weight, **kwargs)
        self.admin_tenants = [t.strip() for t in admin_tenants if t and t.strip()]
        self.create_container = True

    def properties(self):
        props = super().properties()
        props['multi_tenant'] = True
        return props

    def _token(self, context, doing):
        token = getattr(context, 'auth_token', None)
        if not token:
            raise exceptions.StoreUnavailable(
                store=self.store_id,
                reason='%s: multi-tenant Swift works with the token of the user who asks, '
                       'and there is none here (glance-scrubber, the cache prefetcher or '
                       'auth_strategy = noauth)' % doing)
        return token

    def storage_url_for(self, context):
        """The storage URL of the account of ``context``'s project."""
        if self.endpoint:
            return self.endpoint
        url = catalog_url(getattr(context, 'service_catalog', None), self.service_type,
                          self.region, self.endpoint_type)
        if not url:
            raise exceptions.StoreUnavailable(
                store=self.store_id,
                reason='the service catalog of the request has no %s endpoint (%s%s): '
                       'multi-tenant Swift needs it, or swift_store_endpoint'
                       % (self.service_type, self.endpoint_type,
                          ', region %s' % self.region if self.region else ''))
        return url

    def _user_connection(self, storage_url, token):
        # No credentials to authenticate again with: a 401 is the end (see _unavailable).
        return swiftclient.Connection(
            preauthurl=storage_url, preauthtoken=token, retries=self.retries,
            starting_backoff=0.5, max_backoff=4, insecure=self.insecure,
            cacert=self.cacert, timeout=self.timeout, retry_on_ratelimit=False)

    def _keep_auth(self, conn):
        """Tokens are the users' own: none is kept."""

    def _unavailable(self, exc, doing):
        if getattr(exc, 'http_status', None) in (401, 403):
            reason = ('%s: Swift refused the user\'s token (%s); the token may have '
                      'expired, or the project has no access to that account'
                      % (doing, exc))
            LOG.warning('Swift store %s: %s', self.store_id, reason)
            return exceptions.StoreUnavailable(store=self.store_id, reason=reason)
        return super()._unavailable(exc, doing)

    def container_for(self, image_id):
        return '%s_%s' % (self.container, image_id)

    @staticmethod
    def location_of(storage_url, container, obj):
        scheme, _, rest = storage_url.partition('://')
        return '%s://%s/%s/%s' % ('swift+http' if scheme == 'http' else 'swift+https',
                                  rest.strip('/'), parse.quote(container), parse.quote(obj))

    @staticmethod
    def split_location(location):
        """-> (storage URL, container, object) of a multi-tenant location."""
        parsed = parse.urlsplit(location)
        parts = [p for p in parsed.path.split('/') if p]
        if parsed.scheme == 'swift+config' or len(parts) < 2 or not parsed.netloc:
            raise exceptions.StoreDataNotFound(uri=location)
        scheme = 'http' if parsed.scheme == 'swift+http' else 'https'
        netloc = parsed.netloc.rpartition('@')[2]  # old locations may carry credentials
        storage_url = '%s://%s/%s' % (scheme, netloc, '/'.join(parts[:-2]))
        return storage_url.rstrip('/'), parse.unquote(parts[-2]), parse.unquote(parts[-1])

    def owns(self, url):
        return url.partition(':')[0] in ('swift', 'swift+http', 'swift+https')

    def _place(self, image_id, context):
        token = self._token(context, 'writing image %s' % image_id)
        storage_url = self.storage_url_for(context)
        container = self.container_for(image_id)
        return (lambda: self._user_connection(storage_url, token), container,
                self.location_of(storage_url, container, image_id))

    def _reach(self, location, context):
        token = self._token(context, 'reaching %s' % location)
        storage_url, container, obj = self.split_location(location)
        return lambda: self._user_connection(storage_url, token), container, obj

    def add(self, image_id, chunks, size_hint=None, context=None):
        try:
            return super().add(image_id, chunks, size_hint=size_hint, context=context)
        except BaseException:
            # The image's own container goes with what the upload wrote (when it is empty:
            # objects whose removal is retried in the background keep it).
            if getattr(context, 'auth_token', None):
                self._remove_container(context, image_id)
            raise

    def _remove_container(self, context, image_id):
        try:
            connect, container, _ = self._place(image_id, context)
            conn = connect()
        except exceptions.StoreUnavailable:
            return
        try:
            conn.retries = 0
            conn.delete_container(container)
        except _CONNECTION_ERRORS as exc:
            if getattr(exc, 'http_status', None) not in (404, 409):
                LOG.warning('Swift store %s: could not remove the container %s of a '
                            'failed upload (%s).', self.store_id, container, exc)
        finally:
            conn.close()

    def remove_segments(self, image_id, context=None):
        removed = super().remove_segments(image_id, context)
        self._remove_container(context, image_id)
        return removed

    def _new_container_headers(self):
        acl = ','.join('%s:*' % tenant for tenant in self.admin_tenants)
        return {'X-Container-Read': acl, 'X-Container-Write': acl} if acl else {}

    def set_acls(self, location, public=False, read_tenants=(), write_tenants=(),
                 context=None):
        """Set who may read and write the container of the image at ``location``, with the
        caller's token (the account owner's, as upstream): every project (``*:*``) for a
        public image, else ``read_tenants`` and the admin tenants; writing stays with
        ``write_tenants`` and the admin tenants. Both headers are always sent, so a project
        no longer named loses its access. StoreDataNotFound for a container that is gone;
        StoreUnavailable when Swift refuses."""
        writers = list(write_tenants) + self.admin_tenants
        readers = ['*'] if public else list(read_tenants) + self.admin_tenants
        headers = {'X-Container-Read': ','.join('%s:*' % t for t in dict.fromkeys(readers)),
                   'X-Container-Write': ','.join('%s:*' % t for t in dict.fromkeys(writers))}
        connect, container, _ = self._reach(location, context)
        conn = connect()
        try:
            conn.post_container(container, headers=headers)
            # Swift drops ACL headers, answering 204, from a caller who may write to the
            # container but does not own the account (an admin tenant's user): read them
            # back so that this is not taken for done.
            kept = conn.head_container(container)
        except swiftclient.ClientException as exc:
            if exc.http_status == 404:
                raise exceptions.StoreDataNotFound(uri=location) from exc
            raise self._unavailable(exc, 'setting the ACLs of %s' % container) from exc
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'setting the ACLs of %s' % container) from exc
        finally:
            conn.close()
        for name, wanted in headers.items():
            if _acl_set(kept.get(name.lower(), '')) != _acl_set(wanted):
                raise exceptions.StoreUnavailable(
                    store=self.store_id,
                    reason='Swift did not change the ACLs of %s (%s is %r, not %r): only '
                           'a user with an operator role in the account\'s own project '
                           'may set them' % (container, name, kept.get(name.lower()),
                                             wanted))

    def _after_delete(self, conn, container):
        try:
            conn.delete_container(container)
        except swiftclient.ClientException as exc:
            if exc.http_status == 409:
                LOG.warning('Swift store %s: the container %s of a deleted image still '
                            'holds objects Glimpse did not write; it is left.',
                            self.store_id, container)
            elif exc.http_status != 404:
                raise

    def check_access(self):
        """Nothing to check without a user: each request brings its own token."""
