"""A loopback HTTP proxy that turns a client's token into noauth identity headers.

Under ``auth_strategy = noauth`` glance-api takes the project from ``X-Project-Id``, which
the ``glance`` CLI never sends in token mode (``--os-project-id`` only feeds keystone). In
front of the api this proxy plays the part keystonemiddleware will play: the token *is* the
project, so ``glance --os-auth-token project-b ...`` acts as project-b (and
``project-b+admin`` as an admin of project-b). Test use only.
"""

import http.client
import http.server
import threading
from urllib import parse

# Hop-by-hop headers (RFC 9110 7.6.1) and the ones this proxy rewrites itself.
_NOT_FORWARDED = {'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
                  'te', 'trailer', 'upgrade', 'host', 'content-length'}
TIMEOUT = 30


def _read_body(handler):
    if handler.headers.get('Transfer-Encoding', '').lower() == 'chunked':
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b';')[0].strip(), 16)
            if size == 0:
                handler.rfile.readline()
                return b''.join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get('Content-Length') or 0)
    return handler.rfile.read(length) if length else None


def _make_handler(upstream):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def _forward(self):
            body = _read_body(self)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in _NOT_FORWARDED}
            token = self.headers.get('X-Auth-Token')
            if token:
                # PROJECT+admin: an admin of PROJECT (the metadefs catalog's writers).
                project, _, admin = token.partition('+')
                headers.update({'X-Project-Id': project, 'X-User-Id': 'user-of-' + project,
                                'X-Roles': 'admin,member,reader' if admin == 'admin'
                                else 'member,reader'})
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port,
                                              timeout=TIMEOUT)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in _NOT_FORWARDED:
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(data)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format, *args):
            pass  # the api's own log has every request

    return Handler


class IdentityProxy:
    """``with IdentityProxy(api_base_url) as proxy:`` then point clients at proxy.base_url."""

    def __init__(self, upstream_base_url):
        self._server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), _make_handler(parse.urlsplit(upstream_base_url)))
        self._server.daemon_threads = True
        self.base_url = 'http://127.0.0.1:%d' % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
