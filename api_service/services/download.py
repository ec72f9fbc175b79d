"""GET /v2/images/{id}/file: find the image's data, read the requested range, open it.

A store with SENDFILE hands out a real file (open_file), which the server sends zero-copy;
any other store's data comes as an iterator from its get().

Ranges follow upstream Glance: one ``Range: bytes=a-b | a- | -n`` (a legacy ``Content-Range``
request header is still read); several ranges are refused with 400 rather than answered
with multipart/byteranges; a range that starts past the end is 416.
"""

import dataclasses
import io
import os
import re

from api_service import exceptions as api_exceptions
from api_service.stores import base
from common import exceptions
from common import states

_RANGE = re.compile(r'bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*', re.IGNORECASE)
_CONTENT_RANGE = re.compile(r'bytes\s+(\d+)-(\d+)/(\d+|\*)\s*', re.IGNORECASE)


@dataclasses.dataclass
class ImageData:
    image: dict
    file: object = None   # a real file (SENDFILE stores), positioned at ``first``
    size: int = 0         # bytes of the whole image
    first: int = 0        # first byte sent
    length: int = 0       # bytes sent
    partial: bool = False  # a range was asked for: 206 with Content-Range
    chunks: object = None  # else an iterator of the bytes to send (other stores)

    @property
    def empty(self):
        """The image has no data (answer 204)."""
        return self.file is None and self.chunks is None

    def readable(self):
        """What the view hands the server: the file, or the chunks read like one."""
        return self.file if self.file is not None else ChunkReader(self.chunks)

    @property
    def content_range(self):
        return 'bytes %d-%d/%d' % (self.first, self.first + self.length - 1, self.size)


class RangeFile:
    """A read-only view of ``length`` bytes of a real file from ``offset`` on.

    The underlying file is positioned at ``offset`` and ``fileno()`` is the real one, so a
    server with sendfile() (gunicorn reads the position and sends Content-Length bytes)
    stays zero-copy; ``read()`` never returns past the range for servers that iterate.
    """

    def __init__(self, f, offset, length):
        self._file = f
        self._left = length
        self._end = offset + length
        f.seek(offset)

    def fileno(self):
        return self._file.fileno()

    def seek(self, position, whence=os.SEEK_SET):
        """Only to a position of the real file (socket.sendfile() does that)."""
        if whence != os.SEEK_SET:
            raise OSError('RangeFile seeks only to absolute positions')
        self._left = max(self._end - position, 0)
        return self._file.seek(position)

    def read(self, size=-1):
        if self._left <= 0:
            return b''
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(want)
        self._left -= len(data)
        return data

    def close(self):
        self._file.close()


class ChunkReader:
    """A store's iterator of bytes as a read-only file without a descriptor, so the view
    sends it like a file (the server iterates it; ``fileno()`` says there is none)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b''
        self._closed = False

    def fileno(self):
        raise io.UnsupportedOperation('store data has no file descriptor')

    def read(self, size=-1):
        if not self._pending:
            self._pending = next(self._chunks, b'')
        if size is None or size < 0 or size >= len(self._pending):
            data, self._pending = self._pending, b''
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def seek(self, position, whence=os.SEEK_SET):
        raise io.UnsupportedOperation('store data cannot seek')

    def close(self):
        if not self._closed:
            self._closed = True
            getattr(self._chunks, 'close', lambda: None)()


class SentCounter:
    """The file a download sends, counting the bytes sent; ``on_close(bytes_sent)`` runs
    once, when the server closes it (image.send is sent from there).

    A server that reads the file (werkzeug, or any without sendfile) is counted by read().
    gunicorn's sendfile() goes through socket.sendfile(), which leaves the file's position at
    its start plus the bytes it sent, also when the client went away midway: seek() counts
    those. ``start`` is the position the server starts from.
    """

    def __init__(self, f, start, on_close):
        self._file = f
        self._start = start
        self._read = 0
        self._reached = 0
        self._on_close = on_close
        self._closed = False

    def fileno(self):
        return self._file.fileno()

    def read(self, size=-1):
        data = self._file.read(size)
        self._read += len(data)
        return data

    def seek(self, position, whence=os.SEEK_SET):
        if whence == os.SEEK_SET:
            self._reached = max(self._reached, position - self._start)
        return self._file.seek(position, whence)

    @property
    def bytes_sent(self):
        return max(self._read, self._reached)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self._file.close()
        finally:
            self._on_close(self.bytes_sent)


def _unsatisfiable(size, message):
    # A 416 that carries `Content-Range: bytes */size`.
    return api_exceptions.RangeNotSatisfiable(message, size=size)


def parse_range(range_header, content_range_header, size):
    """-> (first, length) of the bytes asked for, or None for the whole image.

    Raises 400 for several ranges and 416 (with ``Content-Range: bytes */size``) for a
    malformed or unsatisfiable one.
    """
    if range_header is not None:
        if ',' in range_header:
            raise api_exceptions.BadRequest(
                'Requests with multiple ranges are not supported in Glance. You may make '
                'multiple single-range requests instead.')
        match = _RANGE.fullmatch(range_header.strip())
        if not match or match.groups() == ('', ''):
            raise _unsatisfiable(size, 'Invalid Range header.')
        start, end = match.groups()
        if not start:
            suffix = int(end)
            if suffix == 0 or size == 0:
                raise _unsatisfiable(size, 'Invalid Range header.')
            first = max(size - suffix, 0)
            return first, size - first
        first = int(start)
        if end and int(end) < first:
            raise _unsatisfiable(size, 'Invalid Range header.')
        if first >= size:
            raise _unsatisfiable(size, 'Invalid start position in Range header. Start '
                                       'position MUST be in the inclusive range [0, %s].'
                                 % (size - 1))
        last = min(int(end), size - 1) if end else size - 1
        return first, last - first + 1
    if content_range_header is not None:
        # Not a request header by the RFC; upstream still honours it for old clients.
        match = _CONTENT_RANGE.fullmatch(content_range_header.strip())
        if not match or int(match.group(2)) < int(match.group(1)):
            raise _unsatisfiable(size, 'Invalid Content-Range header.')
        first, last = int(match.group(1)), int(match.group(2))
        if last >= size or first >= size:
            raise _unsatisfiable(size, 'Content-Range header values exceed image size.')
        return first, last - first + 1
    return None


def open_data(ctx, registry, stores, image_id, range_header=None, content_range_header=None,
              authorize=None, cache=None):
    """``authorize(image)`` raises when the caller may not download the image it was given.
    ``cache``: the node's image cache (api_service/cache/node.py:NodeCache) or None."""
    # internal=True: the image with its location, which only the registry otherwise knows.
    image = registry.image_get(ctx, image_id=image_id, internal=True)
    if authorize is not None:
        authorize(image)
    if image['status'] == states.DEACTIVATED and not ctx.is_admin:
        raise exceptions.Forbidden('The requested image has been deactivated. Image data '
                                   'download is forbidden.')
    if not image.get('location'):
        return ImageData(image)
    size = image.get('size')
    # Read the range before opening: a 416 costs no file handle.
    wanted = (parse_range(range_header, content_range_header, size)
              if size is not None else None)
    location, store_id = preferred_location(ctx, registry, stores, image)
    store = stores.for_location(location, store_id)
    store.require(base.Capability.READ)
    # With the image cache on: the cached copy (a real file), or for the whole image the
    # store's data filling the cache as it streams; None for a range of an uncached image.
    opened = (cache.open_for_download(image, wanted is None,
                                      lambda: open_whole(store, location, ctx))
              if cache is not None else None)
    if opened is None:
        if not store.can(base.Capability.SENDFILE):
            return _streamed(image, store, location, wanted, size, ctx)
        opened = store.open_file(location)
    f, actual = opened
    if size is not None and actual != size:
        # Sending either length would break the promise of Content-Length or of the
        # checksum; refuse and let the operator look.
        f.close()
        raise api_exceptions.StoredSizeMismatch(image_id=image_id, actual=actual,
                                                expected=size)
    if wanted is None:
        return ImageData(image, f, actual, 0, actual)
    first, length = wanted
    try:
        return ImageData(image, RangeFile(f, first, length), actual, first, length,
                         partial=True)
    except BaseException:
        f.close()
        raise


def preferred_location(ctx, registry, stores, image):
    """-> (url, store id) of the copy a download reads: the location the registry gave
    (the newest) while the image is in one store; in several, the copy in the store of
    highest weight, equal weights going to the first copy, as upstream reads its locations
    sorted by weight (one more registry call only when that is not the one given)."""
    held = image.get('stores') or []
    given = (image['location'], image.get('store_id'))
    if len(held) < 2:
        return given
    best = stores.by_weight(held)[0]
    if best == image.get('store_id'):
        return given
    found = registry.image_location_list(ctx, image_ids=[image['id']]).get(image['id'], [])
    for loc in found:
        if loc.get('store_id') == best:
            return loc['url'], best
    return given


def open_whole(store, location, ctx=None):
    """-> (file-like object, size) of all the data: the real file of a SENDFILE store, else
    the store's chunks read like a file (ChunkReader)."""
    if store.can(base.Capability.SENDFILE):
        return store.open_file(location)
    chunks, actual = base.read(store, location, context=ctx)
    return ChunkReader(chunks), actual


def _streamed(image, store, location, wanted, size, ctx=None):
    """The data of a store that hands out no file, as an iterator (a range from a store
    without random access is read from the start, skipping: stores/base.py:read)."""
    first, length = wanted if wanted is not None else (0, None)
    chunks, actual = base.read(store, location, first, length, context=ctx)
    if size is not None and actual != size:
        getattr(chunks, 'close', lambda: None)()
        raise api_exceptions.StoredSizeMismatch(image_id=image['id'], actual=actual,
                                                expected=size)
    if wanted is None:
        return ImageData(image, None, actual, 0, actual, chunks=chunks)
    return ImageData(image, None, actual, first, length, partial=True, chunks=chunks)
