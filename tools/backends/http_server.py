"""A static HTTP server on loopback with Range support, for the http store's tests.

    server = HttpServer(directory); server.start(); server.info['url']; server.stop()

It serves the files under ``directory / 'files'`` (``server.root``; put files there before or
after start) in a child process, answering:

- ``GET``/``HEAD`` of a file: 200 with ``Accept-Ranges: bytes`` and ``Content-Length``;
- a single ``Range: bytes=A-B`` / ``A-`` / ``-N``: 206 with ``Content-Range``; a range past
  the end: 416 with ``Content-Range: bytes */SIZE``; several ranges: the whole file (200);
- a missing path: 404;
- ``/redirect/PATH``: 302 to ``/PATH``; ``/redirect-loop``: 302 to itself.

Run as ``python -m tools.backends.http_server serve ROOT PORT`` it is that server itself.
"""

import http.server
import os
import pathlib
import re
import shutil
import sys
import urllib.parse

from tools.backends.common import HOST
from tools.backends.common import ROOT
from tools.backends.common import OneProcessServer
from tools.backends.common import http_status

START_TIMEOUT_SECONDS = 30
CHUNK = 256 * 1024
RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')


class RangeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'glimpse-test-http'
    root = None  # set by serve()

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write(f'{self.address_string()} {format % args}\n')

    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self._answer(body=False)

    def do_GET(self):  # noqa: N802
        self._answer(body=True)

    def _empty(self, status, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def _answer(self, body):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == '/redirect-loop':
            return self._empty(302, [('Location', '/redirect-loop')])
        if path.startswith('/redirect/'):
            return self._empty(302, [('Location', path[len('/redirect'):])])
        target = (self.root / path.lstrip('/')).resolve()
        if self.root not in target.parents or not target.is_file():
            return self._empty(404)
        size = target.stat().st_size
        start, end, status = 0, size - 1, 200
        match = RANGE.match(self.headers.get('Range', '').replace(' ', ''))
        if match and (match.group(1) or match.group(2)):
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start, end = max(0, size - int(last)), size - 1
            if start >= size or start > end:
                return self._empty(416, [('Content-Range', f'bytes */{size}')])
            status = 206
        self.send_response(status)
        self.send_header('Accept-Ranges', 'bytes')
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(end - start + 1 if size else 0))
        if status == 206:
            self.send_header('Content-Range', f'bytes {start}-{end}/{size}')
        self.end_headers()
        if not body or not size:
            return None
        with open(target, 'rb') as data:
            data.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = data.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)
        return None


def serve(root, port):
    RangeHandler.root = pathlib.Path(root).resolve()
    server = http.server.ThreadingHTTPServer((HOST, int(port)), RangeHandler)
    server.daemon_threads = True
    server.serve_forever()


class HttpServer(OneProcessServer):
    def __init__(self, directory):
        super().__init__(directory)
        self.root = self.dir / 'files'

    def start(self, timeout=START_TIMEOUT_SECONDS):
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])]))
        self._start_process(
            'http', [sys.executable, '-m', 'tools.backends.http_server', 'serve',
                     str(self.root), str(self.port)], self.dir / 'http-server.log',
            lambda: http_status(f'{self.url}/redirect-loop', 'HEAD') == 302,
            'the HTTP server', timeout, env=env)
        self.info = {'url': self.url, 'root': str(self.root), 'port': self.port,
                     'log': str(self.dir / 'http-server.log'),
                     'startup_seconds': self.startup_seconds}
        return self.info

    def add_file(self, name, data):
        """Write DATA (bytes) as NAME under the served root; returns its URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + '.part')
        tmp.write_bytes(data)
        shutil.move(tmp, path)
        return f'{self.url}/{urllib.parse.quote(name)}'


if __name__ == '__main__':
    if len(sys.argv) != 4 or sys.argv[1] != 'serve':
        sys.exit('usage: python -m tools.backends.http_server serve ROOT PORT')
    serve(sys.argv[2], sys.argv[3])
