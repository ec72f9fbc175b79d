"""PUT /v2/images/{id}/file: stream the request body into a store and record the result.

The order, each step's failure handling beside it:

1. refuse at once a Content-Length above image_size_cap (413);
2. begin_upload: queued -> saving, with a lease (404/403/409/400 as the registry says);
3. store.add streams, hashes and publishes the data; on any failure the store has removed
   its partial file and we call abort_upload (saving -> queued) before re-raising;
4. finish_upload: saving -> active. If the image was deleted meanwhile, the bytes go and the
   answer is 410; if its status moved on (409) the bytes go too. If the registry did not
   answer we cannot know whether it committed: abort_upload decides - if it succeeds the
   image is queued again and the bytes go; if not, they stay for the image that has them.
"""

import logging

from api_service import exceptions as api_exceptions
from common import exceptions

LOG = logging.getLogger(__name__)


def request_chunks(stream, content_length, chunk_size, size_cap):
    """Yield the request body in ``chunk_size`` pieces, enforcing the size cap as it goes.

    With a Content-Length, exactly that many bytes are expected and an early EOF means the
    client went away. Without one (chunked transfer encoding) the server has already
    decoded the chunks and the body ends at EOF.
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
            return
        received += len(chunk)
        if received > size_cap:
            raise api_exceptions.ImageSizeLimitExceeded(cap=size_cap)
        yield chunk


def _abort(ctx, registry, image_id):
    """Return the image to queued; True if the registry confirmed it."""
    try:
        registry.abort_upload(ctx, image_id=image_id)
        return True
    except Exception as exc:
        LOG.warning('Could not return image %s to queued after a failed upload: %s',
                    image_id, exc)
        return False


def _delete_quietly(store, uri):
    try:
        store.delete(uri)
    except Exception as exc:
        LOG.warning('Could not remove image data %s: %s', uri, exc)


def upload(ctx, registry, store, conf, image_id, stream, content_length):
    """-> the image as finish_upload returned it (status active)."""
    cap = conf.image_size_cap
    if content_length is not None and content_length > cap:
        raise api_exceptions.ImageSizeLimitExceeded(cap=cap)
    registry.begin_upload(ctx, image_id=image_id, lease_seconds=conf.upload_lease_seconds)
    try:
        chunks = request_chunks(stream, content_length,
                                conf.glance_store.filesystem_store_chunk_size, cap)
        uri, size, checksum, multihash = store.add(image_id, chunks)
    except BaseException:
        _abort(ctx, registry, image_id)
        raise
    try:
        return registry.finish_upload(ctx, image_id=image_id, location=uri, size=size,
                                      checksum=checksum, os_hash_algo=conf.hashing_algorithm,
                                      os_hash_value=multihash)
    except exceptions.ImageNotFound as exc:
        _delete_quietly(store, uri)
        raise api_exceptions.ImageGone(image_id=image_id) from exc
    except exceptions.Conflict:
        _delete_quietly(store, uri)
        raise
    except BaseException:
        if _abort(ctx, registry, image_id):
            _delete_quietly(store, uri)
        raise
