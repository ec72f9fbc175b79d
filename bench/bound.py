"""The machine's own ceilings, against which Glimpse is measured in the same run.

``receiver``: the upload and download bounds. A TCP server on a loopback port, no HTTP
framework, no RPC, no database. Upload: it reads a PUT's body (Content-Length or chunked)
straight from the socket, computes md5 and sha512 (the multihash) and writes the bytes to a
file that it fsyncs, each of the three in a thread of its own as Glimpse does, then answers
204 with the two digests. It keeps the file of the last Content-Length PUT (removing the one
kept before it, and that last one when it is stopped) and removes a chunked one at once.
Download: ``GET /v2/images/<any>/file`` answers 200 with the kept file's Content-Length and
``socket.sendfile()`` of it from offset 0, page cache to socket, as Glimpse's gunicorn does
with its file store's file; 404 when no file is kept.

``thin-rpc`` + ``thin_app``: the metadata bound, the thinnest honest chain of the same hops as
Glimpse's: a plain WSGI function under gunicorn (the same worker kind and count as
glance-api) makes one oslo.messaging call per request to an RPC server whose endpoint runs
one indexed SQLite statement and a commit, and the answer goes back as JSON. It serves the
URLs of the benchmark's metadata cycle (create, get, patch, list, delete), so the same client
code drives it and Glimpse.
"""

import argparse
import hashlib
import json
import os
import queue
import signal
import socket
import sys
import threading
import uuid

BLOCK = 1024 * 1024
QUEUE_DEPTH = 8


class BadRequest(Exception):
    pass


def body_chunks(rfile, content_length=None, chunked=False, block=BLOCK):
    """The bytes of a request body read from ``rfile`` (a buffered binary reader), in pieces
    of at most ``block``: ``content_length`` bytes, or the chunked encoding decoded."""
    if chunked:
        while True:
            line = rfile.readline(1024)
            if not line.endswith(b'\n'):
                raise BadRequest('chunk size line cut short')
            size = int(line.split(b';', 1)[0].strip(), 16)
            if size == 0:
                while rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                    pass  # trailers
                return
            yield from _exactly(rfile, size, block)
            if rfile.read(2) not in (b'\r\n',):
                raise BadRequest('chunk not followed by CRLF')
    else:
        yield from _exactly(rfile, content_length or 0, block)


def _exactly(rfile, size, block):
    left = size
    while left:
        piece = rfile.read1(min(left, block))
        if not piece:
            raise BadRequest(f'body ended {left} bytes early')
        left -= len(piece)
        yield piece


def _drain(q, work):
    while True:
        piece = q.get()
        if piece is None:
            return
        work(piece)


def store_and_hash(chunks, path):
    """md5, sha512 and the write (then fsync) of ``chunks``, each in its own thread, fed
    by the caller's thread; -> (bytes, md5 hex, sha512 hex)."""
    md5, sha512 = hashlib.md5(), hashlib.sha512()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    def write(piece):
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view):]

    queues = [queue.Queue(QUEUE_DEPTH) for _ in range(3)]
    threads = [threading.Thread(target=_drain, args=(q, work), daemon=True)
               for q, work in zip(queues, (md5.update, sha512.update, write), strict=True)]
    for t in threads:
        t.start()
    total = 0
    try:
        for piece in chunks:
            total += len(piece)
            for q in queues:
                q.put(piece)
    finally:
        for q in queues:
            q.put(None)
        for t in threads:
            t.join()
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return total, md5.hexdigest(), sha512.hexdigest()


class KeptBody:
    """The file of the last Content-Length PUT, which downloads send; shared by every
    connection, so a new one replaces it under a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.path = None

    def replace(self, path):
        """Keeps ``path`` (None: nothing) and removes the file kept before it."""
        with self.lock:
            previous, self.path = self.path, path
        if previous:
            os.unlink(previous)

    def open(self):
        """The kept file opened for reading, or None. Opened under the lock so a PUT that
        replaces it meanwhile unlinks a file this reader already holds open."""
        with self.lock:
            return open(self.path, 'rb') if self.path else None


def read_head(rfile):
    """Request line and headers (names lower-cased); None at a clean end of connection."""
    line = rfile.readline(8192)
    if not line.strip():
        return None
    method, target, _ = line.decode('latin-1').split(' ', 2)
    headers = {}
    while True:
        line = rfile.readline(8192)
        if line in (b'\r\n', b'\n', b''):
            return method, target, headers
        name, _, value = line.decode('latin-1').partition(':')
        headers[name.strip().lower()] = value.strip()


def _is_image_file(target):
    parts = target.split('?', 1)[0].split('/')
    return len(parts) == 5 and parts[:3] == ['', 'v2', 'images'] and parts[4] == 'file'


def _answer_json(conn, status, answer):
    conn.sendall(b'HTTP/1.1 %s\r\nContent-Type: application/json\r\n'
                 b'Content-Length: %d\r\n\r\n%s' % (status, len(answer), answer))


def send_kept(conn, kept):
    """200 with the kept file sent by sendfile() from offset 0; 404 when none is kept."""
    body = kept.open()
    if body is None:
        _answer_json(conn, b'404 Not Found', b'{"error": "no image data kept"}')
        return
    with body:
        size = os.fstat(body.fileno()).st_size
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n'
                     b'Content-Length: %d\r\n\r\n' % size)
        conn.sendfile(body, 0, size)


def serve_connection(conn, directory, kept=None):
    """One client connection's requests in turn. ``kept``: the KeptBody shared by the
    receiver's connections (one of its own when not given)."""
    kept = kept if kept is not None else KeptBody()
    rfile = conn.makefile('rb', buffering=BLOCK)
    try:
        while True:
            head = read_head(rfile)
            if head is None:
                return
            method, target, headers = head
            chunked = 'chunked' in headers.get('transfer-encoding', '').lower()
            length = int(headers.get('content-length', 0) or 0)
            if method == 'PUT':
                path = os.path.join(directory, uuid.uuid4().hex)
                keep = False
                try:
                    total, md5, sha512 = store_and_hash(
                        body_chunks(rfile, length, chunked), path)
                    keep = not chunked
                finally:
                    if keep:
                        kept.replace(path)
                    elif os.path.exists(path):
                        os.unlink(path)
                conn.sendall(b'HTTP/1.1 204 No Content\r\nX-Bytes: %d\r\nX-Md5: %s\r\n'
                             b'X-Sha512: %s\r\n\r\n' % (total, md5.encode(), sha512.encode()))
            else:
                for _ in body_chunks(rfile, length, chunked):
                    pass
                if method == 'GET' and _is_image_file(target):
                    send_kept(conn, kept)
                elif target == '/ping':
                    _answer_json(conn, b'200 OK', b'{}')
                else:
                    _answer_json(conn, b'404 Not Found', b'{"error": "not here"}')
            if headers.get('connection', '').lower() == 'close':
                return
    except (BadRequest, ConnectionError, ValueError):
        return
    finally:
        rfile.close()
        conn.close()


def serve_forever(listener, directory, kept):
    """Each accepted connection in a thread of its own, until ``listener`` is shut down."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # the listener was shut down
        # As gunicorn sets on glance-api's sockets, so the download's header segment and the
        # sendfile() after it go out as they would from Glimpse.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_connection, args=(conn, directory, kept),
                         daemon=True).start()


def run_receiver(port, directory):
    os.makedirs(directory, exist_ok=True)
    kept = KeptBody()
    # SIGTERM (the harness stopping the bound) unwinds, so the kept body, up to the whole
    # benchmark size, does not outlive the run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        serve_forever(socket.create_server(('127.0.0.1', port), backlog=64), directory, kept)
    finally:
        kept.replace(None)


# The thin metadata chain. One table with a primary key and an index on the listing's sort
# key, in WAL mode with a busy timeout, written under one lock: the registry's own setup.
SCHEMA = ('CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, name TEXT, '
          'value TEXT, created INTEGER)',
          'CREATE INDEX IF NOT EXISTS ix_images_created ON images (created)')


class ThinEndpoint:
    """Each method: one indexed statement and a commit, on a per-thread connection."""

    def __init__(self, path):
        self.path = path
        self.local = threading.local()
        self.write_lock = threading.Lock()
        self.counter = 0
        db = self._db()
        for statement in SCHEMA:
            db.execute(statement)
        db.commit()

    def _db(self):
        import sqlite3
        db = getattr(self.local, 'db', None)
        if db is None:
            db = sqlite3.connect(self.path, check_same_thread=False)
            db.execute('PRAGMA journal_mode = WAL')
            db.execute('PRAGMA busy_timeout = 30000')
            self.local.db = db
        return db

    def _write(self, sql, args):
        db = self._db()
        with self.write_lock:
            cursor = db.execute(sql, args)
            db.commit()
        return cursor.rowcount

    def _read(self, sql, args):
        db = self._db()
        rows = db.execute(sql, args).fetchall()
        db.commit()
        return rows

    def create(self, ctxt, image_id, name):
        with self.write_lock:
            self.counter += 1
            created = self.counter
        self._write('INSERT INTO images (id, name, created) VALUES (?, ?, ?)',
                    (image_id, name, created))
        return {'id': image_id, 'name': name}

    def get(self, ctxt, image_id):
        rows = self._read('SELECT id, name, value FROM images WHERE id = ?', (image_id,))
        return dict(zip(('id', 'name', 'value'), rows[0], strict=True)) if rows else None

    def update(self, ctxt, image_id, value):
        return self._write('UPDATE images SET value = ? WHERE id = ?', (value, image_id))

    def list(self, ctxt, limit):
        rows = self._read('SELECT id, name FROM images ORDER BY created DESC LIMIT ?',
                          (limit,))
        return [{'id': r[0], 'name': r[1]} for r in rows]

    def delete(self, ctxt, image_id):
        return self._write('DELETE FROM images WHERE id = ?', (image_id,))


def _messaging_conf():
    # oslo.messaging's defaults, registered the way Glimpse registers them (it looks up
    # options, such as its tracing group, that no transport registers for itself).
    from oslo_config import cfg

    from common.rpc import transport
    conf = cfg.ConfigOpts()
    conf([])
    transport.register_messaging_opts(conf)
    return conf


def _thin_target():
    import oslo_messaging
    return oslo_messaging.Target(topic=os.environ['BENCH_THIN_TOPIC'], version='1.0')


def run_thin_rpc():
    import oslo_messaging
    transport = oslo_messaging.get_rpc_transport(
        _messaging_conf(), url=os.environ['BENCH_THIN_TRANSPORT_URL'])
    target = _thin_target()
    target.server = 'thin'
    server = oslo_messaging.get_rpc_server(transport, target,
                                           [ThinEndpoint(os.environ['BENCH_THIN_DB'])])
    server.start()
    threading.Event().wait()


_client = None
_client_lock = threading.Lock()


def _rpc():
    # Made in the worker, after gunicorn's fork, on the first request; one per worker.
    global _client
    with _client_lock:
        if _client is None:
            import oslo_messaging
            transport = oslo_messaging.get_rpc_transport(
                _messaging_conf(), url=os.environ['BENCH_THIN_TRANSPORT_URL'])
            _client = oslo_messaging.get_rpc_client(transport, _thin_target(), timeout=60)
    return _client


def _answer(start_response, status, body=None):
    payload = b'' if body is None else json.dumps(body).encode()
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(payload)))])
    return [payload]


def thin_app(environ, start_response):
    """The metadata cycle's URLs, each one RPC call."""
    method, path = environ['REQUEST_METHOD'], environ['PATH_INFO'].rstrip('/')
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = json.loads(environ['wsgi.input'].read(length)) if length else None
    rpc, ctxt = _rpc(), {}
    parts = path.split('/')
    if path == '/v2/images' and method == 'GET':
        query = dict(p.partition('=')[::2] for p in environ.get('QUERY_STRING', '').split('&')
                     if p)
        images = rpc.call(ctxt, 'list', limit=int(query.get('limit', 20)))
        return _answer(start_response, '200 OK', {'images': images})
    if path == '/v2/images' and method == 'POST':
        image = rpc.call(ctxt, 'create', image_id=str(uuid.uuid4()), name=body.get('name'))
        return _answer(start_response, '201 Created', image)
    if len(parts) == 4 and parts[:3] == ['', 'v2', 'images']:
        image_id = parts[3]
        if method == 'GET':
            image = rpc.call(ctxt, 'get', image_id=image_id)
            if image is None:
                return _answer(start_response, '404 Not Found', {'error': 'no such image'})
            return _answer(start_response, '200 OK', image)
        if method == 'PATCH':
            value = body[0].get('value') if body else None
            if not rpc.call(ctxt, 'update', image_id=image_id, value=value):
                return _answer(start_response, '404 Not Found', {'error': 'no such image'})
            return _answer(start_response, '200 OK', {'id': image_id, 'value': value})
        if method == 'DELETE':
            if not rpc.call(ctxt, 'delete', image_id=image_id):
                return _answer(start_response, '404 Not Found', {'error': 'no such image'})
            return _answer(start_response, '204 No Content')
    return _answer(start_response, '404 Not Found', {'error': 'not here'})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    receiver = sub.add_parser('receiver', help='the upload and download bounds')
    receiver.add_argument('--port', type=int, required=True)
    receiver.add_argument('--dir', required=True,
                          help='where bodies are written (the last Content-Length one is kept '
                               'for downloads, the others removed)')
    sub.add_parser('thin-rpc', help='the RPC server of the metadata bound (env BENCH_THIN_*)')
    args = parser.parse_args(argv)
    if args.command == 'receiver':
        run_receiver(args.port, args.dir)
    else:
        run_thin_rpc()


if __name__ == '__main__':
    main()
