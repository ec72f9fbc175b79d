"""HTTP/1.1 on a raw socket, for what clients refuse to send (broken framing, pipelining).

Requests are written by hand; responses are read back in order, bodies sized by
Content-Length.
"""

import socket

from tests.functional import daemons

TIMEOUT = 10


def identity(project_id):
    """The no-auth identity headers of ``project_id``, as raw header lines."""
    return ''.join(f'{name}: {value}\r\n'
                   for name, value in daemons.project_headers(project_id).items())


def chunked(data, piece, trailer=b''):
    """DATA in chunked framing, PIECE bytes a chunk, each with an extension to skip."""
    framed = b''.join(b'%x;note=glimpse\r\n%s\r\n' % (len(data[i:i + piece]), data[i:i + piece])
                      for i in range(0, len(data), piece))
    return framed + b'0\r\n' + trailer + b'\r\n'


def read_responses(sock, count):
    """Read ``count`` responses or until the peer closes.

    -> ([(status, headers with lower-case names, body)], whether the peer closed first).
    """
    data, responses = b'', []
    while len(responses) < count:
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return responses, True
            data += chunk
        head, _, data = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        headers = {k.lower(): v for k, v in (line.split(': ', 1) for line in lines[1:])}
        length = int(headers.get('content-length', 0))
        while len(data) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        body, data = data[:length], data[length:]
        responses.append((int(lines[0].split()[1]), headers, body))
    return responses, False


def exchange(service, raw, count=1, timeout=TIMEOUT):
    """Send raw bytes on one connection; -> (responses, whether the server closed it)."""
    with socket.create_connection(('127.0.0.1', service.api_port), timeout=timeout) as sock:
        sock.sendall(raw)
        return read_responses(sock, count)
