"""Reading upload bodies from the socket, against gunicorn's own reader classes.

Each test puts raw HTTP body bytes on one end of a real socket pair and reads them through
socket_body from the other, with gunicorn's Body, readers and SocketUnreader around it as
gunicorn builds them, to check what gunicorn finds afterwards.
"""

import os
import socket
import threading
import types

import pytest
from gunicorn.http import body as gunicorn_body
from gunicorn.http import unreader as gunicorn_unreader

from api_service import exceptions as api_exceptions
from api_service.wsgi import socket_body

NEXT_REQUEST = b'GET /versions HTTP/1.1\r\nHost: x\r\n\r\n'


@pytest.fixture
def sockets():
    server, client = socket.socketpair()
    server.settimeout(10)
    yield server, client
    server.close()
    client.close()


def _send_later(sock, data):
    sender = threading.Thread(target=sock.sendall, args=(data,))
    sender.start()
    return sender


def _gunicorn_body(server, kind, length=None, already_buffered=b''):
    unreader = gunicorn_unreader.SocketUnreader(server)
    # What gunicorn read past the headers, as its parser leaves it.
    unreader.unread(already_buffered)
    if kind == 'length':
        return gunicorn_body.Body(gunicorn_body.LengthReader(unreader, length))
    request = types.SimpleNamespace(limit_request_field_size=8190, max_buffer_headers=0,
                                    unreader=unreader)
    return gunicorn_body.Body(gunicorn_body.ChunkedReader(request, unreader))


def _read_all(reader, size=65536):
    pieces = []
    while True:
        piece = reader.read(size)
        if not piece:
            return b''.join(pieces)
        pieces.append(piece)


def _chunked(data, piece, trailer=b''):
    framed = b''.join(b'%x;ext=1\r\n%s\r\n' % (len(data[i:i + piece]), data[i:i + piece])
                      for i in range(0, len(data), piece))
    return framed + b'0\r\n' + trailer + b'\r\n'


def test_length_body_takes_gunicorns_buffer_and_leaves_the_next_request(sockets):
    server, client = sockets
    data = os.urandom(300_000)
    stream = _gunicorn_body(server, 'length', len(data), already_buffered=data[:5000])
    sender = _send_later(client, data[5000:] + NEXT_REQUEST)
    reader = socket_body.reader_for({'wsgi.input': stream, 'gunicorn.socket': server},
                                    len(data))
    assert isinstance(reader, socket_body.SocketBody)
    assert _read_all(reader) == data
    sender.join()
    # gunicorn finds an empty body behind it and the next request intact.
    assert stream.read(1024) == b''
    assert stream.reader.unreader.read(len(NEXT_REQUEST)) == NEXT_REQUEST


@pytest.mark.parametrize('piece', [1, 4096, 65539, 1 << 20])
def test_chunked_body_decodes_extensions_and_trailers_and_hands_back_the_rest(sockets, piece):
    server, client = sockets
    # 1-byte chunks: 40 000 of them make the point (400 000 take seconds to frame and parse).
    data = os.urandom(min(400_000, 40_000 * piece))
    raw = _chunked(data, piece, trailer=b'X-Trailer: yes\r\n') + NEXT_REQUEST
    stream = _gunicorn_body(server, 'chunked', already_buffered=raw[:100])
    sender = _send_later(client, raw[100:])
    reader = socket_body.reader_for({'wsgi.input': stream, 'gunicorn.socket': server}, None)
    assert isinstance(reader, socket_body.ChunkedSocketBody)
    assert _read_all(reader, 1 << 20) == data
    sender.join()
    assert stream.failed is False
    assert stream.read(1024) == b''
    assert stream.reader.req.unreader.read(len(NEXT_REQUEST)) == NEXT_REQUEST


@pytest.mark.parametrize('raw', [
    b'zz\r\nabc\r\n0\r\n\r\n',                  # not hex
    b'10\r\n' + b'c' * 16 + b'XX0\r\n\r\n',    # no CRLF after the data
    b'10000\r\n' + b'b' * 1000,                # cut short inside a chunk
    b'5\r\nabcde\r\n',                         # cut short before the last chunk
    b'1' * (socket_body.MAX_CHUNK_LINE + 10),  # a size line with no end
])
def test_broken_chunked_body_raises_and_gunicorn_will_not_reuse_the_connection(sockets, raw):
    server, client = sockets
    stream = _gunicorn_body(server, 'chunked')
    client.sendall(raw)
    client.shutdown(socket.SHUT_WR)
    reader = socket_body.reader_for({'wsgi.input': stream, 'gunicorn.socket': server}, None)
    with pytest.raises(api_exceptions.MalformedChunkedBody):
        _read_all(reader)
    assert stream.failed is True


def test_a_body_gunicorn_already_started_is_left_to_gunicorn(sockets):
    server, client = sockets
    stream = _gunicorn_body(server, 'chunked')
    client.sendall(_chunked(b'abcdef', 2))
    assert stream.read(2) == b'ab'
    assert socket_body.reader_for({'wsgi.input': stream, 'gunicorn.socket': server},
                                  None) is stream
