"""An upload's request body, read straight from gunicorn's socket when that is safe.

Why: gunicorn hands each read of a body through two layers of in-memory buffers (its
unreader and its Body), copying every megabyte several times while holding the GIL that the
hashing and writing threads of the same upload need. For a body that nobody has started
to read, we can instead take the bytes gunicorn already holds and ``recv_into`` one buffer
per chunk:

* with a Content-Length, gunicorn's reader is kept in step (its remaining length), so a
  refused upload's unread rest is still drained by gunicorn and keep-alive goes on working;
* with chunked transfer encoding (python-glanceclient's way), the chunk framing is decoded
  here. gunicorn is told the connection cannot be reused unless the body is read to its
  end, since nobody else could find where the next request starts.

Anything else (other WSGI servers, older gunicorns, a body already touched) is read through
``wsgi.input`` as before.
"""

import inspect
import re

from gunicorn.http import body as gunicorn_body

from api_service import exceptions


class SocketBody:
    """read(size) -> up to ``size`` bytes of the body; b'' at its end or when the peer left."""

    def __init__(self, sock, gunicorn_stream):
        self._sock = sock
        self._gunicorn_stream = gunicorn_stream
        self._length_reader = gunicorn_stream.reader

    def _take_buffered(self, size):
        """Up to ``size`` bytes that gunicorn already read from the socket.

        The rest stays gunicorn's (a pipelined next request, or body bytes a refused upload
        never reads, which gunicorn's drain must still find).
        """
        unreader = self._length_reader.unreader
        buffered = unreader.take_buffered()
        if len(buffered) > size:
            unreader.unread(buffered[size:])
            buffered = buffered[:size]
        return buffered

    def read(self, size):
        size = min(size, self._length_reader.length)
        if size <= 0:
            return b''
        buf = bytearray(size)
        view = memoryview(buf)
        buffered = self._take_buffered(size)
        filled = len(buffered)
        view[:filled] = buffered
        try:
            while filled < size:
                received = self._sock.recv_into(view[filled:])
                if not received:
                    break
                filled += received
        except BaseException:
            # Where the next request starts is unknown now: gunicorn must not reuse the
            # connection.
            self._gunicorn_stream.failed = True
            raise
        finally:
            self._length_reader.length -= filled
            view.release()
        del buf[filled:]
        # bytes, like every other WSGI input: the format inspectors keep slices of chunks.
        return bytes(buf)


# RFC 9112 7.1: a chunk size is hex digits, optionally followed by extensions (ignored).
_CHUNK_SIZE = re.compile(rb'([0-9A-Fa-f]{1,16})[ \t]*(;.*)?')
# Bounds on a chunk-size line and on the trailer section, as gunicorn has.
MAX_CHUNK_LINE = 8190
MAX_TRAILERS = 8190 * 32
_RECV_SIZE = 256 * 1024


class ChunkedSocketBody:
    """read(size) -> up to ``size`` decoded bytes of a chunked body; b'' after its end."""

    def __init__(self, sock, gunicorn_stream):
        self._sock = sock
        self._gunicorn_stream = gunicorn_stream
        self._chunked_reader = gunicorn_stream.reader
        self._unreader = _unreader_of(gunicorn_stream.reader)
        # Raw bytes received past the framing parsed so far.
        self._raw = None
        self._left_in_chunk = 0
        self._state = 'size'

    def _receive(self):
        data = self._sock.recv(_RECV_SIZE)
        if not data:
            raise exceptions.MalformedChunkedBody('The chunked body ended before its last chunk.')
        self._raw += data

    def _line(self, limit):
        """The raw bytes up to the next CRLF (consumed with it)."""
        while True:
            end = self._raw.find(b'\r\n')
            if end >= 0:
                line = bytes(self._raw[:end])
                del self._raw[:end + 2]
                return line
            if len(self._raw) > limit:
                raise exceptions.MalformedChunkedBody('A chunk-size line is too long.')
            self._receive()

    def _next_chunk(self):
        match = _CHUNK_SIZE.fullmatch(self._line(MAX_CHUNK_LINE))
        if match is None:
            raise exceptions.MalformedChunkedBody('A chunk size is not a hexadecimal number.')
        self._left_in_chunk = int(match.group(1), 16)
        self._state = 'data' if self._left_in_chunk else 'trailers'

    def _end_of_chunk(self):
        while len(self._raw) < 2:
            self._receive()
        if self._raw[:2] != b'\r\n':
            raise exceptions.MalformedChunkedBody('A chunk does not end where its size says.')
        del self._raw[:2]
        self._state = 'size'

    def _trailers(self):
        # Trailer fields, if any, are read and ignored; an empty line ends them.
        while self._line(MAX_TRAILERS):
            pass
        self._state = 'done'
        # What follows belongs to the next request: gunicorn's again, and the connection
        # with it.
        self._unreader.unread(bytes(self._raw))
        self._raw = bytearray()
        self._chunked_reader.parser = None
        self._gunicorn_stream.failed = False

    def _data_into(self, view):
        """Copy or receive up to len(view) bytes of the current chunk; -> how many."""
        want = min(len(view), self._left_in_chunk)
        if self._raw:
            taken = min(want, len(self._raw))
            view[:taken] = self._raw[:taken]
            del self._raw[:taken]
        else:
            taken = self._sock.recv_into(view[:want])
            if not taken:
                raise exceptions.MalformedChunkedBody('The chunked body ended inside a chunk.')
        self._left_in_chunk -= taken
        if not self._left_in_chunk:
            self._state = 'crlf'
        return taken

    def read(self, size):
        if self._raw is None:
            # Until the last chunk is read, nobody can tell where the next request starts.
            self._gunicorn_stream.failed = True
            self._raw = bytearray(self._unreader.take_buffered())
        buf = bytearray(size)
        view = memoryview(buf)
        filled = 0
        try:
            while filled < size and self._state != 'done':
                if self._state == 'data':
                    filled += self._data_into(view[filled:])
                elif self._state == 'size':
                    self._next_chunk()
                elif self._state == 'crlf':
                    self._end_of_chunk()
                else:
                    self._trailers()
        finally:
            view.release()
        del buf[filled:]
        return bytes(buf)


def reader_for(environ, content_length):
    """An object with ``read(size)`` for the body of this request."""
    stream = environ['wsgi.input']
    sock = environ.get('gunicorn.socket')
    reader = getattr(stream, 'reader', None)
    if (sock is None or not isinstance(stream, gunicorn_body.Body)
            # Older gunicorns have no take_buffered(): their own reader serves them.
            or not hasattr(_unreader_of(reader), 'take_buffered')
            or stream.buf.tell() != 0):
        return stream
    if isinstance(reader, gunicorn_body.LengthReader) and reader.length == content_length:
        return SocketBody(sock, stream)
    if (content_length is None and isinstance(reader, gunicorn_body.ChunkedReader)
            and reader.buf.tell() == 0 and _not_started(reader.parser)):
        return ChunkedSocketBody(sock, stream)
    return stream


def _unreader_of(reader):
    """The SocketUnreader behind gunicorn's body reader (a chunked one keeps it on its
    request)."""
    if isinstance(reader, gunicorn_body.ChunkedReader):
        return getattr(reader.req, 'unreader', None)
    return getattr(reader, 'unreader', None)


def _not_started(generator):
    return inspect.isgenerator(generator) and \
        inspect.getgeneratorstate(generator) == inspect.GEN_CREATED
