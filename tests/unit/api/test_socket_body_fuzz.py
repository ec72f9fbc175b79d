"""socket_body under random framing: hypothesis draws bodies and how they arrive.

socket_body relies on gunicorn internals (its Body, readers and SocketUnreader; setup.cfg
pins gunicorn to the minor versions this is tested with). Each example frames a random
body with a Content-Length or chunked (random chunk sizes, hex case and leading zeros,
chunk extensions, trailers), puts one or two pipelined requests behind it, lets gunicorn
hold a random prefix of the bytes, sends the rest in random pieces and reads the body in
random sizes. The decoded bytes must be the body, and gunicorn must find the next requests
intact and the connection reusable.
"""

import random
import socket
import threading

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from api_service.wsgi import socket_body
from tests.unit.api.test_socket_body import NEXT_REQUEST
from tests.unit.api.test_socket_body import _gunicorn_body

PIPELINED = (b'', NEXT_REQUEST,
             NEXT_REQUEST + b'PUT /v2/images/x/file HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc')

EXTENSIONS = st.sampled_from([b'', b';ext=1', b';a', b' ;name="quoted;value"', b'\t;x=y;z'])
TRAILERS = st.lists(st.sampled_from([b'X-Trailer: yes', b'Checksum: abc', b'X-Empty:']),
                    max_size=3)


@st.composite
def framed_bodies(draw):
    """-> (body, its bytes on the wire, what follows them, content length or None)."""
    size = draw(st.integers(min_value=0, max_value=20_000))
    body = random.Random(draw(st.integers(0, 2 ** 32))).randbytes(size)
    after = draw(st.sampled_from(PIPELINED))
    if draw(st.booleans()):
        return body, body, after, size
    framed, start = [], 0
    while start < size:
        piece = draw(st.integers(min_value=1, max_value=max(1, size - start)))
        digits = b'%x' % piece
        if draw(st.booleans()):
            digits = digits.upper()
        digits = b'0' * draw(st.integers(0, 3)) + digits
        framed.append(digits + draw(EXTENSIONS) + b'\r\n' + body[start:start + piece]
                      + b'\r\n')
        start += piece
    trailers = b''.join(t + b'\r\n' for t in draw(TRAILERS))
    last = b'0' * draw(st.integers(1, 3)) + draw(EXTENSIONS) + b'\r\n'
    return body, b''.join(framed) + last + trailers + b'\r\n', after, None


def _split(data, cuts):
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False) if b > a]


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(framed=framed_bodies(), buffered=st.integers(min_value=0),
       cuts=st.lists(st.integers(min_value=0), max_size=8),
       read_sizes=st.lists(st.integers(min_value=1, max_value=70_000), min_size=1,
                           max_size=5))
def test_random_framing_decodes_the_body_and_leaves_the_next_request(framed, buffered,
                                                                     cuts, read_sizes):
    body, wire, after, content_length = framed
    raw = wire + after
    buffered %= len(raw) + 1
    server, client = socket.socketpair()
    server.settimeout(10)
    try:
        kind = 'chunked' if content_length is None else 'length'
        stream = _gunicorn_body(server, kind, content_length, already_buffered=raw[:buffered])

        def send():
            for piece in _split(raw[buffered:], cuts):
                client.sendall(piece)
        sender = threading.Thread(target=send)
        sender.start()
        reader = socket_body.reader_for({'wsgi.input': stream, 'gunicorn.socket': server},
                                        content_length)
        assert reader is not stream
        pieces, turn = [], 0
        while True:
            piece = reader.read(read_sizes[turn % len(read_sizes)])
            turn += 1
            if not piece:
                break
            pieces.append(piece)
        sender.join()
        assert b''.join(pieces) == body
        # gunicorn finds the body read to its end, and what followed it untouched.
        if content_length is None:
            assert stream.failed is False
        assert stream.read(1024) == b''
        client.shutdown(socket.SHUT_WR)
        unreader = stream.reader.req.unreader if content_length is None else \
            stream.reader.unreader
        rest = b''
        while len(rest) < len(after):
            more = unreader.read(len(after) - len(rest))
            if not more:
                break
            rest += more
        assert rest == after
        assert unreader.read(1) == b''
    finally:
        server.close()
        client.close()
