"""Image data as objects in an S3 bucket (Amazon S3 or an S3-compatible server such as
Ceph RadosGW or MinIO), through boto3.

One set of credentials (``s3_store_access_key`` / ``s3_store_secret_key``) and one bucket
(``s3_store_bucket``) per store, all from configuration. Locations have upstream
glance_store's form, ``s3://HOST/BUCKET/IMAGE_ID`` (``s3+https://`` when
``s3_store_host`` is an https URL), but without the ``ACCESS:SECRET@`` upstream puts in
front of the host: the secret key then lives only in the configuration, never in the
database, the locations users may see, logs or error messages, and rotating the keys does
not strand the images written before. A location upstream wrote (with credentials) is read
too; its credentials are ignored, the configured ones used, as upstream itself always uses
the configured host.

An image below ``s3_store_large_object_size`` is one PUT; a larger one (announced larger,
or found larger while it streams) is a multipart upload of ``s3_store_large_object_chunk_size``
parts, up to ``s3_store_thread_pools`` of them in flight at once. Any failure aborts the
multipart upload, so S3 keeps no parts (an abort S3 cannot take now is retried in the
background). Reads are ranged GETs.
"""

import collections
import logging
import math
import re
import threading
import time
from concurrent import futures

import boto3
import botocore.config
import botocore.exceptions

from api_service import exceptions
from api_service.stores import base

LOG = logging.getLogger(__name__)
# botocore logs every request at DEBUG, its parameters (the image bytes) and headers (the
# access key) included: keep it at WARNING under glance-api's debug = True unless the
# operator set its level ([DEFAULT] default_log_levels).
for _name in ('botocore', 'boto3', 's3transfer'):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)

MiB = 1024 * 1024
SCHEMES = ('s3', 's3+http', 's3+https')
MIN_PART_SIZE = 5 * MiB     # S3's smallest part but the last
MAX_PARTS = 10000           # S3's most parts in one multipart upload
# An image of unknown size grows its parts by one chunk size every this many parts, so
# 10000 parts hold 55000 chunks (550 GB at the default 10 MB).
PARTS_PER_SIZE_STEP = 1000
READ_CHUNK_SIZE = MiB
# Seconds between two attempts at aborting a multipart upload S3 could not abort, and for
# how long.
ABORT_RETRY_SECONDS = 5
ABORT_RETRY_FOR_SECONDS = 3600
# Error codes of a request S3 refused for its credentials or their rights.
_AUTH_CODES = {'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied',
               'InvalidToken', 'ExpiredToken', '403'}
# Error codes of a request signed for, or sent to, another region than the bucket's.
_REGION_CODES = {'AuthorizationHeaderMalformed', 'PermanentRedirect', '301',
                 'IllegalLocationConstraintException'}
_NOT_FOUND_CODES = {'404', 'NoSuchKey', 'NotFound', 'NoSuchBucket'}
_CONNECTION_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                      OSError)
# An Amazon host names its region: s3-eu-west-1.amazonaws.com, s3.eu-west-1.amazonaws.com.
_AMAZON_REGION = re.compile(r'^s3[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$')


def _code(exc):
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get('Error', {}).get('Code', ''))
    return ''


def _status(exc):
    if isinstance(exc, botocore.exceptions.ClientError):
        return exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
    return None


def _not_found(exc):
    return _code(exc) in _NOT_FOUND_CODES or _status(exc) == 404


def host_of(url):
    """``s3_store_host`` without its scheme and trailing slash (as locations hold it)."""
    return re.sub(r'^https?://', '', url.strip()).rstrip('/')


def region_of(host):
    """The region an Amazon endpoint names ('' for any other host)."""
    match = _AMAZON_REGION.match(host_of(host).partition(':')[0])
    return match.group(1) if match and match.group(1) != 'external-1' else ''


def parse_location(location):
    """-> (host, bucket, key) of an s3 location, with or without credentials in it;
    StoreDataNotFound (naming the location without them) when it has no bucket and key."""
    scheme, sep, rest = location.partition('://')
    if not sep or scheme not in SCHEMES:
        raise exceptions.StoreDataNotFound(uri=shown(location))
    # A secret key may hold '/': the credentials end at the last '@'.
    rest = rest.rpartition('@')[2]
    parts = rest.split('/')
    if len(parts) < 3 or not all(parts[-2:]):
        raise exceptions.StoreDataNotFound(uri=shown(location))
    return '/'.join(parts[:-2]).strip('/'), parts[-2], parts[-1]


def shown(location):
    """``location`` as it may be shown or logged: without credentials."""
    scheme, sep, rest = location.partition('://')
    if sep and '@' in rest:
        return '%s://%s' % (scheme, rest.rpartition('@')[2])
    return location


class _Source:
    """The upload's chunks, taken a given number of bytes at a time; remembers what the
    source raised (re-raised as itself, whatever boto3 or the pool made of it)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b''
        self.error = None
        self.done = False
        self.total = 0

    def take(self, size):
        """Up to ``size`` bytes (fewer only at the end of the data)."""
        out = bytearray(self._pending[:size])
        self._pending = self._pending[size:]
        while len(out) < size and not self.done:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.done = True
                break
            except BaseException as exc:
                self.error = exc
                raise
            room = size - len(out)
            out += chunk[:room]
            if len(chunk) > room:
                self._pending = chunk[room:]
        self.total += len(out)
        return bytes(out)

    def has_more(self):
        """True when the source holds more bytes (reads ahead one chunk to know)."""
        while not self._pending and not self.done:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self.done = True
            except BaseException as exc:
                self.error = exc
                raise
        return bool(self._pending)


class S3Store(base.Store):
    driver = 's3'
    schemes = SCHEMES
    capabilities = (base.Capability.READ | base.Capability.READ_OFFSET |
                    base.Capability.WRITE | base.Capability.DELETE)

    def __init__(self, store_id=None, description=None, weight=0, *, host, access_key,
                 secret_key, bucket, create_bucket=False, bucket_url_format='auto',
                 large_object_size=100 * MiB, large_object_chunk_size=10 * MiB,
                 thread_pools=10, region_name='', cacert='', request_checksum='when_required',
                 response_checksum='when_required', section='glance_store', retries=3,
                 connect_timeout=10, read_timeout=60, read_chunk_size=READ_CHUNK_SIZE):
        """Sizes in bytes; ``section``: the configuration group, for messages."""
        super().__init__(store_id, description, weight)
        host = host.strip()
        self.https = host.startswith('https://')
        self.endpoint_url = host if re.match(r'^https?://', host) else 'http://' + host
        self.host = host_of(host)
        self.scheme = 's3+https' if self.https else 's3'
        self.bucket = bucket
        self.create_bucket = create_bucket
        self.large_object_size = large_object_size
        self.chunk_size = large_object_chunk_size
        self.thread_pools = thread_pools
        self.region_name = region_name or region_of(host) or 'us-east-1'
        self.section = section
        self.read_chunk_size = read_chunk_size
        session = boto3.session.Session(aws_access_key_id=access_key,
                                        aws_secret_access_key=secret_key)
        config = botocore.config.Config(
            s3={'addressing_style': bucket_url_format}, signature_version='s3v4',
            retries={'max_attempts': retries, 'mode': 'standard'},
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            max_pool_connections=max(10, thread_pools + 2),
            request_checksum_calculation=request_checksum,
            response_checksum_validation=response_checksum)
        # One client for the store: boto3 clients are safe to share between threads.
        self._client = session.client('s3', endpoint_url=self.endpoint_url,
                                      region_name=self.region_name,
                                      verify=cacert or None, config=config)
        self._aborts = []
        self._aborts_lock = threading.Lock()
        self._abort_thread = None

    def properties(self):
        # As upstream's stores detail shows an s3 store (sizes in bytes).
        return {'s3_store_large_object_size': self.large_object_size,
                's3_store_large_object_chunk_size': self.chunk_size,
                's3_store_thread_pools': self.thread_pools}

    # -- errors ---------------------------------------------------------------------------

    def _unavailable(self, exc, doing):
        """StoreUnavailable for a failed request, saying why in words that hold no secret
        (S3's own messages may quote the request it refused, so only its code is used)."""
        code, status = _code(exc), _status(exc)
        if code in _AUTH_CODES or status == 403:
            reason = ('S3 refused the credentials (%s): check s3_store_access_key and '
                      's3_store_secret_key in [%s], and that they may use the bucket "%s"'
                      % (code or status, self.section, self.bucket))
        elif code in _REGION_CODES or status == 301:
            reason = ('%s failed: S3 answered %s; the bucket "%s" is likely in another '
                      'region than %s: set s3_store_region_name in [%s]'
                      % (doing, code or status, self.bucket, self.region_name, self.section))
        elif isinstance(exc, botocore.exceptions.ClientError):
            reason = '%s failed: S3 answered %s %s' % (doing, status, code)
        elif isinstance(exc, botocore.exceptions.EndpointConnectionError):
            reason = ('%s failed: cannot reach %s (s3_store_host in [%s])'
                      % (doing, self.endpoint_url, self.section))
        else:
            reason = '%s failed: %s' % (doing, type(exc).__name__)
        LOG.error('S3 store %s: %s', self.store_id, reason)
        return exceptions.StoreUnavailable(store=self.store_id, reason=reason)

    # -- locations ------------------------------------------------------------------------

    def url_for(self, image_id):
        return '%s://%s/%s/%s' % (self.scheme, self.host, self.bucket, image_id)

    def owns(self, url):
        if not super().owns(url):
            return False
        try:
            host, bucket, _ = parse_location(url)
        except exceptions.StoreDataNotFound:
            return False
        return host == self.host and bucket == self.bucket

    # -- writing --------------------------------------------------------------------------

    def _ready_bucket(self):
        """The bucket exists (created when it may be); the first request of an upload, so
        wrong credentials fail here before any data is read."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
        if not self.create_bucket:
            raise exceptions.StoreUnavailable(
                store=self.store_id,
                reason='the bucket "%s" does not exist and s3_store_create_bucket_on_put is '
                       'False in [%s]; create it or set that option'
                       % (self.bucket, self.section))
        arguments = {'Bucket': self.bucket}
        if self.region_name != 'us-east-1':
            arguments['CreateBucketConfiguration'] = {
                'LocationConstraint': self.region_name}
        try:
            self._client.create_bucket(**arguments)
        except botocore.exceptions.ClientError as exc:
            # Another worker created it first.
            if _code(exc) not in ('BucketAlreadyOwnedByYou',):
                raise

    def add(self, image_id, chunks, size_hint=None):
        self.require(base.Capability.WRITE)
        source = _Source(chunks)
        try:
            self._ready_bucket()
            first = b''
            if size_hint is None or size_hint < self.large_object_size:
                # Small, or of unknown size: read up to the threshold, then decide.
                first = source.take(self.large_object_size)
                if not source.has_more() and (len(first) < self.large_object_size or
                                              not first):
                    self._client.put_object(Bucket=self.bucket, Key=image_id, Body=first,
                                            ContentType='application/octet-stream')
                    return base.Added(self.url_for(image_id), source.total)
            self._multipart(image_id, source, first, size_hint)
            return base.Added(self.url_for(image_id), source.total)
        except BaseException as exc:
            if source.error is not None:
                raise source.error from None
            if isinstance(exc, _CONNECTION_ERRORS):
                raise self._unavailable(exc, 'writing image %s' % image_id) from exc
            raise

    def _part_size(self, number, size_hint):
        if size_hint is not None:
            return max(self.chunk_size, math.ceil(size_hint / MAX_PARTS))
        return self.chunk_size * (1 + (number - 1) // PARTS_PER_SIZE_STEP)

    def _multipart(self, image_id, source, first, size_hint):
        upload_id = self._client.create_multipart_upload(
            Bucket=self.bucket, Key=image_id,
            ContentType='application/octet-stream')['UploadId']
        parts = {}
        in_flight = collections.deque()
        pool = futures.ThreadPoolExecutor(max_workers=self.thread_pools,
                                          thread_name_prefix='s3-part')
        try:
            number = 0
            while True:
                number += 1
                if number > MAX_PARTS:
                    raise exceptions.StoreUnavailable(
                        store=self.store_id,
                        reason='image %s needs more than %d parts; raise '
                               's3_store_large_object_chunk_size in [%s]'
                               % (image_id, MAX_PARTS, self.section))
                size = self._part_size(number, size_hint)
                if len(first) >= size:
                    body, first = first[:size], first[size:]
                else:
                    body = first + source.take(size - len(first))
                    first = b''
                if not body and number > 1:
                    break
                while len(in_flight) >= self.thread_pools:
                    done_number, future = in_flight.popleft()
                    parts[done_number] = future.result()
                in_flight.append((number, pool.submit(self._upload_part, image_id,
                                                      upload_id, number, body)))
                if not first and not source.has_more():
                    break
            while in_flight:
                done_number, future = in_flight.popleft()
                parts[done_number] = future.result()
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=image_id, UploadId=upload_id,
                MultipartUpload={'Parts': [{'PartNumber': n, 'ETag': parts[n]}
                                           for n in sorted(parts)]})
        except BaseException:
            for _, future in in_flight:
                future.cancel()
            pool.shutdown(wait=True)
            self._abort(image_id, upload_id)
            raise
        finally:
            pool.shutdown(wait=True)

    def _upload_part(self, image_id, upload_id, number, body):
        return self._client.upload_part(Bucket=self.bucket, Key=image_id,
                                        UploadId=upload_id, PartNumber=number,
                                        Body=body)['ETag']

    def _abort(self, image_id, upload_id):
        """Abort the multipart upload (S3 drops its parts); retried in the background when
        S3 cannot take it now."""
        if self._try_abort(image_id, upload_id):
            return
        LOG.warning('S3 store %s: the multipart upload of image %s could not be aborted '
                    'yet; retrying in the background.', self.store_id, image_id)
        with self._aborts_lock:
            self._aborts.append((image_id, upload_id, time.monotonic()))
            if self._abort_thread is None or not self._abort_thread.is_alive():
                self._abort_thread = threading.Thread(target=self._retry_aborts,
                                                      name='s3-aborts', daemon=True)
                self._abort_thread.start()

    def _try_abort(self, image_id, upload_id):
        """True once S3 holds no such multipart upload (aborted now, or already gone);
        False when it could not be asked or refused, for a later try."""
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=image_id,
                                                UploadId=upload_id)
            return True
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == 'NoSuchUpload' or _not_found(exc):
                return True
        except (botocore.exceptions.BotoCoreError, OSError):
            pass
        return False

    def _retry_aborts(self):
        while True:
            time.sleep(ABORT_RETRY_SECONDS)
            with self._aborts_lock:
                pending, self._aborts = self._aborts, []
                if not pending:
                    self._abort_thread = None
                    return
            for image_id, upload_id, since in pending:
                if self._try_abort(image_id, upload_id):
                    continue
                if time.monotonic() - since > ABORT_RETRY_FOR_SECONDS:
                    LOG.error('S3 store %s: giving up aborting the multipart upload %s of '
                              'image %s; abort it by hand.', self.store_id, upload_id,
                              image_id)
                else:
                    with self._aborts_lock:
                        self._aborts.append((image_id, upload_id, since))

    def pending_aborts(self):
        """The multipart uploads of failed uploads still to abort (image id, upload id)."""
        with self._aborts_lock:
            return [(i, u) for i, u, _ in self._aborts]

    # -- reading --------------------------------------------------------------------------

    def _size(self, bucket, key, location):
        try:
            return self._client.head_object(Bucket=bucket, Key=key)['ContentLength']
        except botocore.exceptions.ClientError as exc:
            if _not_found(exc):
                raise exceptions.StoreDataNotFound(uri=shown(location)) from None
            raise

    def get(self, location, offset=0, length=None):
        _, bucket, key = parse_location(location)
        try:
            if length == 0:
                return iter(()), self._size(bucket, key, location)
            arguments = {'Bucket': bucket, 'Key': key}
            if offset or length is not None:
                end = '' if length is None else str(offset + length - 1)
                arguments['Range'] = 'bytes=%d-%s' % (offset, end)
            try:
                got = self._client.get_object(**arguments)
            except botocore.exceptions.ClientError as exc:
                if _not_found(exc):
                    raise exceptions.StoreDataNotFound(uri=shown(location)) from None
                if _code(exc) == 'InvalidRange' or _status(exc) == 416:
                    # An offset at or past the end: nothing to send.
                    return iter(()), self._size(bucket, key, location)
                raise
        except exceptions.StoreDataNotFound:
            raise
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'reading %s' % shown(location)) from exc
        content_range = got.get('ContentRange')
        if content_range and '/' in content_range:
            size = int(content_range.rpartition('/')[2])
        else:
            size = got['ContentLength']
        return self._chunks(got['Body']), size

    def _chunks(self, body):
        try:
            for chunk in body.iter_chunks(self.read_chunk_size):
                if chunk:
                    yield chunk
        finally:
            body.close()

    # -- deleting -------------------------------------------------------------------------

    def delete(self, location):
        _, bucket, key = parse_location(location)
        try:
            # S3 deletes a missing key without a word: ask first, for StoreDataNotFound.
            self._size(bucket, key, location)
            self._client.delete_object(Bucket=bucket, Key=key)
        except exceptions.StoreDataNotFound:
            raise
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'deleting %s' % shown(location)) from exc

    # -- checks ---------------------------------------------------------------------------

    def check_access(self):
        """One request (HEAD of the bucket): StoreUnavailable saying why the store cannot be
        used (credentials refused, S3 unreachable, the bucket missing without
        s3_store_create_bucket_on_put)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            if _not_found(exc) and self.create_bucket:
                return
            if _not_found(exc):
                raise exceptions.StoreUnavailable(
                    store=self.store_id,
                    reason='the bucket "%s" does not exist and s3_store_create_bucket_on_put '
                           'is False in [%s]' % (self.bucket, self.section)) from None
            raise self._unavailable(exc, 'reaching S3') from exc
        except _CONNECTION_ERRORS as exc:
            raise self._unavailable(exc, 'reaching S3') from exc
