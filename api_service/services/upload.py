"""PUT /v2/images/{id}/file: stream the request body into a store and record the result.

The order, each step's failure handling beside it:

1. refuse at once a Content-Length or x-openstack-image-size above image_size_cap (413), or
   the two disagreeing (400);
2. begin_upload: queued -> saving, with a lease (404/403/409/400 as the registry says); it
   also refuses (413) when the expected size would pass user_storage_quota and tells how
   many bytes the upload may still write. From then on an UploadLease (upload_lease.py)
   renews the lease from its own thread; should the image be deleted (410) or the lease
   be lost (409), the upload stops at the next chunk and its partial file is removed,
   with no abort_upload (a lost lease is the registry's sweep to undo). The upload's own
   token (upload_claim.py) goes with renew, finish and abort: once the image was handed
   back (swept, or released because this worker was reported dead) the registry refuses
   them, and the lease is renewed once more after the last byte, before publishing;
3. store.add streams and publishes the data (a read-only store refuses first, 410), while
   this pipeline checks the body against the size cap, the quota budget (413) and the
   announced size (400) and hashes it (md5 and the multihash, in threads: hashing.py), the
   same for every store; on any failure the store
   has removed its partial file and we call abort_upload (saving -> queued), read and drop
   the rest of a refused body (up to DRAIN_LIMIT, see _discard_rest), and re-raise. For a
   bare container the same pass feeds the format inspectors (format_inspection.py), which
   may stop it early when the content cannot be the declared disk_format (415);
4. the inspection's verdict: an unsafe image, or one whose content is not its disk_format,
   loses its bytes and goes back to queued (415); otherwise it gives virtual_size;
5. finish_upload: saving -> active. If the image was deleted meanwhile, the bytes go and the
   answer is 410; if its status moved on (409) the bytes go too. If the registry did not
   answer we cannot know whether it committed: abort_upload decides - if it succeeds the
   image is queued again and the bytes go; if not, they stay for the image that has them.
"""

import logging
import re

from api_service import exceptions as api_exceptions
from api_service.services import format_inspection
from api_service.services import hashing
from api_service.services import store_acls
from api_service.services import upload_claim
from api_service.services import upload_lease
from api_service.stores import base
from common import exceptions
from common import states

LOG = logging.getLogger(__name__)

# How much of a refused upload's body is read and dropped so that the client gets its
# answer on a connection that stays open (see _discard_rest); past it the connection closes.
DRAIN_LIMIT = 256 * 1024 * 1024

# upstream's user_storage_quota syntax: digits, then optionally B, KB, MB, GB or TB (1024s).
_QUOTA = re.compile(r'^(\d+)((K|M|G|T)?B)?$')
_QUOTA_FACTORS = {None: 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3, 'T': 1024 ** 4}


def storage_quota_bytes(value):
    """'10GB' -> 10737418240; 0 means unlimited. A malformed value is a ValueError."""
    match = _QUOTA.match(value.strip())
    if not match:
        raise ValueError('Invalid value for option user_storage_quota: %s' % value)
    return int(match.group(1)) * _QUOTA_FACTORS[match.group(3)]


def expected_size_from(header):
    """The x-openstack-image-size header -> int, None when absent; 400 when malformed."""
    if header is None:
        return None
    try:
        size = int(header.strip())
    except ValueError:
        size = -1
    if size < 0:
        raise api_exceptions.BadRequest(
            'x-openstack-image-size must be a non-negative integer, not %r.' % header)
    return size


def _quota_exceeded(budget):
    return exceptions.QuotaExceeded(
        'Denying attempt to upload image because it exceeds the quota: %d bytes remaining.'
        % max(budget, 0))


def _size_mismatch(expected, received):
    return api_exceptions.BadRequest(
        'The image data size %s does not match x-openstack-image-size %d.'
        % (received, expected))


def request_chunks(stream, content_length, chunk_size, size_cap, budget=None,
                   expected_size=None):
    """Yield the request body in ``chunk_size`` pieces, enforcing the limits as it goes.

    With a Content-Length, exactly that many bytes are expected and an early EOF means the
    client went away. Without one (chunked transfer encoding) the server has already
    decoded the chunks and the body ends at EOF. ``budget`` is what the storage quota
    leaves (413 past it); ``expected_size`` the announced size (400 on any other count).
    """
    received = 0
    while content_length is None or received < content_length:
        want = chunk_size if content_length is None else min(chunk_size,
                                                              content_length - received)
        try:
            chunk = stream.read(want)
        except Exception as exc:
            # Servers signal a vanished client with an OSError or with their own classes
            # (werkzeug's ClientDisconnected, gunicorn's NoMoreData ...).
            raise api_exceptions.ClientDisconnected() from exc
        if not chunk:
            if content_length is not None:
                raise api_exceptions.ClientDisconnected()
            break
        received += len(chunk)
        if received > size_cap:
            raise api_exceptions.ImageSizeLimitExceeded(cap=size_cap)
        if budget is not None and received > budget:
            raise _quota_exceeded(budget)
        if expected_size is not None and received > expected_size:
            raise _size_mismatch(expected_size, 'of at least %d' % received)
        yield chunk
    if expected_size is not None and received != expected_size:
        raise _size_mismatch(expected_size, received)


def _discard_rest(stream, chunk_size, limit):
    """Read and drop what the client still sends, up to ``limit`` bytes.

    Most clients read the answer only once they have sent the whole body, and a server that
    closes a socket with unread data resets the connection, losing the answer with it; and
    gunicorn drains only 64 KiB of an unread body before closing a keep-alive connection
    its answer said stays open, so the client's next request on it fails. Draining lets a
    refused upload end with its 413 or 415 on a connection that stays usable, while nothing
    more is written or hashed. The readers stop at the end of the body (Content-Length or
    last chunk), so this never reads into a next request.
    """
    try:
        while limit > 0:
            chunk = stream.read(min(chunk_size, limit))
            if not chunk:
                return
            limit -= len(chunk)
    except Exception:
        # The client went away: there is nobody left to answer.
        return


class _Bounded:
    """``stream`` read no further than ``length`` bytes (None: to its end).

    Some servers hand the application the raw connection, where a next request may follow
    the body: neither the upload nor the drain of a refused one may read into it.
    """

    def __init__(self, stream, length):
        self._stream = stream
        self._left = length

    def read(self, size):
        if self._left is None:
            return self._stream.read(size)
        size = min(size, self._left)
        if size <= 0:
            return b''
        data = self._stream.read(size)
        self._left -= len(data)
        return data


def _abort(ctx, registry, image_id, upload_token=None):
    """Return the image to queued; True if the registry confirmed it."""
    try:
        registry.abort_upload(ctx, image_id=image_id, upload_token=upload_token)
        return True
    except exceptions.UploadSuperseded:
        # Handed back already (swept, or released as a dead worker's): not ours to abort.
        return False
    except Exception as exc:
        LOG.warning('Could not return image %s to queued after a failed upload: %s',
                    image_id, exc)
        return False


def _delete_quietly(store, uri, ctx=None):
    try:
        base.remove(store, uri, ctx)
    except Exception as exc:
        LOG.warning('Could not remove image data %s: %s', uri, exc)


def _known_size(content_length, expected_size, cap):
    """Checks that need no byte of the body; -> the size the upload will have, if known."""
    if (content_length is not None and expected_size is not None
            and content_length != expected_size):
        raise _size_mismatch(expected_size, content_length)
    known = content_length if content_length is not None else expected_size
    if known is not None and known > cap:
        raise api_exceptions.ImageSizeLimitExceeded(cap=cap)
    return known


def upload(ctx, registry, store, conf, image_id, stream, content_length,
           expected_size=None, on_begin=None):
    """-> the image as finish_upload returned it (status active).

    ``on_begin(image)`` is called with the image begin_upload put in saving (the view sends
    its notifications from there); it must not raise."""
    cap = conf.image_size_cap
    known = _known_size(content_length, expected_size, cap)
    # A read-only store refuses before the image moves to saving.
    store.require(base.Capability.WRITE)
    quota = storage_quota_bytes(conf.user_storage_quota)
    quotas = {'user_storage_quota': quota} if quota > 0 else None
    token = upload_claim.new_token()
    lease = upload_lease.UploadLease(ctx, registry, image_id, conf.upload_lease_seconds,
                                     upload_token=token)
    began = registry.begin_upload(ctx, image_id=image_id,
                                  lease_seconds=conf.upload_lease_seconds, quotas=quotas,
                                  expected_size=known, upload_token=token,
                                  holder=upload_claim.holder())
    if on_begin is not None:
        on_begin(began)
    inspection = format_inspection.for_image(conf, began)
    chunk_size = conf.glance_store.filesystem_store_chunk_size
    stream = _Bounded(stream, content_length)
    lease.start()
    try:
        chunks = request_chunks(stream, content_length, chunk_size, cap,
                                budget=began.get('upload_budget'),
                                expected_size=expected_size)
        if inspection is not None:
            chunks = inspection.wrap(chunks)
        with hashing.DualHasher(conf.hashing_algorithm) as hasher:
            added = base.add(store, image_id, hashing.hashed(lease.guard(chunks), hasher),
                             size_hint=known, context=ctx)
            checksum, multihash = hasher.hexdigests()
        uri, size = added.url, added.size
    except BaseException as exc:
        # Deleted, or queued again by the sweep (or may be): an abort now could return a
        # newer upload of the same image to queued.
        if not isinstance(exc, (api_exceptions.ImageGone, api_exceptions.LeaseExpired)):
            _abort(ctx, registry, image_id, token)
        if isinstance(exc, Exception) and \
                not isinstance(exc, api_exceptions.ClientDisconnected):
            _discard_rest(stream, chunk_size, DRAIN_LIMIT)
        raise
    finally:
        lease.stop()
    try:
        virtual_size = inspection.verdict() if inspection is not None else None
    except BaseException:
        _delete_quietly(store, uri, ctx)
        _abort(ctx, registry, image_id, token)
        raise
    try:
        finished = registry.finish_upload(
            ctx, image_id=image_id, location=uri, size=size, checksum=checksum,
            os_hash_algo=conf.hashing_algorithm, os_hash_value=multihash,
            virtual_size=virtual_size, upload_token=token, store_id=store.store_id)
    except exceptions.ImageNotFound as exc:
        _delete_quietly(store, uri, ctx)
        raise api_exceptions.ImageGone(image_id=image_id) from exc
    except exceptions.Conflict as exc:
        _delete_quietly(store, uri, ctx)
        if isinstance(exc, exceptions.UploadSuperseded) or \
                exc.kwargs.get('current') == states.QUEUED:
            # The lease passed (e.g. this worker was stopped for longer) and was swept.
            raise api_exceptions.LeaseExpired(image_id=image_id,
                                              seconds=conf.upload_lease_seconds) from exc
        raise
    except BaseException:
        if _abort(ctx, registry, image_id, token):
            _delete_quietly(store, uri, ctx)
        raise
    # As upstream on activation: the projects the image is shared with (or every project,
    # public) may read the new data, in a store keeping per-image lists.
    store_acls.update_acls_at(ctx, registry, store, finished, uri)
    return finished
