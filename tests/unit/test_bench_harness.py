"""bench/: the parts of the side-by-side harness that could be wrong without any server
showing it: the bound receiver's body decoding and digests, the thin chain's statements,
the A B A B order and the median / ratio arithmetic of the table."""

import hashlib
import importlib
import os
import socket
import sys
import threading

import pytest

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', 'bench')


@pytest.fixture(scope='module')
def bench():
    sys.path.insert(0, os.path.abspath(BENCH))
    try:
        yield (importlib.import_module('bound'), importlib.import_module('compare'))
    finally:
        sys.path.remove(os.path.abspath(BENCH))
        for name in ('bound', 'compare', 'glimpse_bench'):
            sys.modules.pop(name, None)


class Reader:
    """A buffered reader over bytes that hands out at most ``most`` bytes per read1, as a
    socket does."""

    def __init__(self, data, most=7000):
        import io
        self.raw = io.BufferedReader(io.BytesIO(data))
        self.most = most

    def read1(self, n):
        return self.raw.read1(min(n, self.most))

    def readline(self, limit=-1):
        return self.raw.readline(limit)

    def read(self, n):
        return self.raw.read(n)


def chunked(data, size):
    pieces = [b'%x;ext=1\r\n' % len(data[i:i + size]) + data[i:i + size] + b'\r\n'
              for i in range(0, len(data), size)]
    return b''.join(pieces) + b'0\r\nX-Trailer: yes\r\n\r\n'


def test_receiver_hashes_and_writes_what_was_sent(bench, tmp_path):
    bound, _ = bench
    data = os.urandom(3 * 1024 * 1024 + 12345)
    want = (len(data), hashlib.md5(data).hexdigest(), hashlib.sha512(data).hexdigest())
    path = tmp_path / 'body'
    got = bound.store_and_hash(bound.body_chunks(Reader(data), len(data)), str(path))
    assert got == want
    assert path.read_bytes() == data
    got = bound.store_and_hash(bound.body_chunks(Reader(chunked(data, 65536) + b'NEXT'),
                                                 chunked=True, block=50000), str(path))
    assert got == want
    assert path.read_bytes() == data


@pytest.mark.parametrize('body', [b'10\r\nshort', b'3\r\nabcXY0\r\n\r\n', b'zz\r\n'])
def test_receiver_refuses_a_broken_chunked_body(bench, tmp_path, body):
    bound, _ = bench
    with pytest.raises((bound.BadRequest, ValueError)):
        bound.store_and_hash(bound.body_chunks(Reader(body), chunked=True),
                             str(tmp_path / 'body'))


def test_receiver_answers_204_with_the_digests_and_keeps_no_file(bench, tmp_path):
    bound, _ = bench
    data = os.urandom(200000)
    ours, theirs = socket.socketpair()
    server = threading.Thread(target=bound.serve_connection, args=(theirs, str(tmp_path)))
    server.start()
    ours.sendall(b'PUT /v2/images/x/file HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked'
                 b'\r\nConnection: close\r\n\r\n' + chunked(data, 65536))
    answer = b''
    while piece := ours.recv(65536):
        answer += piece
    server.join(5)
    ours.close()
    assert answer.startswith(b'HTTP/1.1 204 ')
    assert b'X-Md5: %s\r\n' % hashlib.md5(data).hexdigest().encode() in answer
    assert b'X-Sha512: %s\r\n' % hashlib.sha512(data).hexdigest().encode() in answer
    assert list(tmp_path.iterdir()) == []


def test_thin_endpoint_does_each_statement(bench, tmp_path):
    bound, _ = bench
    db = bound.ThinEndpoint(str(tmp_path / 'thin.sqlite'))
    db.create({}, 'a', 'first')
    db.create({}, 'b', 'second')
    assert db.update({}, 'a', 'v1') == 1
    assert db.get({}, 'a') == {'id': 'a', 'name': 'first', 'value': 'v1'}
    assert [i['id'] for i in db.list({}, 20)] == ['b', 'a']
    assert db.delete({}, 'a') == 1
    assert db.get({}, 'a') is None
    assert db.delete({}, 'a') == 0


class FakeSide:
    def __init__(self, name):
        self.name = name


def test_sides_alternate_within_each_workload_and_take_turns_going_first(bench):
    _, compare = bench
    calls = []
    a, b, c = FakeSide('glimpse'), FakeSide('upstream'), FakeSide('bound')

    def measure(side, workload):
        calls.append((side.name, workload))
        return {f'{workload}_x': len(calls)}

    results = compare.alternate([a, b, c], 3, ('data', 'list'), measure)
    assert calls == [
        ('glimpse', 'data'), ('upstream', 'data'), ('bound', 'data'),
        ('glimpse', 'list'), ('upstream', 'list'), ('bound', 'list'),
        ('upstream', 'data'), ('bound', 'data'), ('glimpse', 'data'),
        ('upstream', 'list'), ('bound', 'list'), ('glimpse', 'list'),
        ('bound', 'data'), ('glimpse', 'data'), ('upstream', 'data'),
        ('bound', 'list'), ('glimpse', 'list'), ('upstream', 'list')]
    assert results == {'glimpse': {'data_x': [1, 9, 14], 'list_x': [4, 12, 17]},
                       'upstream': {'data_x': [2, 7, 15], 'list_x': [5, 10, 18]},
                       'bound': {'data_x': [3, 8, 13], 'list_x': [6, 11, 16]}}


def test_medians_ratios_and_bound_percentages(bench):
    _, compare = bench
    results = {
        'glimpse': {'metadata_1_ops_s': [100.0, 300.0, 200.0], 'list_ms': [10.0, 30.0, 20.0],
                    'metadata_1_errors': [0, 1, 0], 'metadata_1_cycles': [10, 10, 10]},
        'upstream': {'metadata_1_ops_s': [50.0, 40.0, 60.0], 'list_ms': [100.0, 90.0, 80.0],
                     'metadata_1_errors': [2, 3, 0], 'metadata_1_cycles': [10, 10, 10]},
        'bound': {'metadata_1_ops_s': [250.0, 250.0, 250.0],
                  'metadata_1_errors': [0, 0, 0], 'metadata_1_cycles': [10, 10, 10]},
    }
    summary = compare.summarize(results)
    assert summary['glimpse']['metadata_1_ops_s'] == 200.0
    assert summary['upstream']['metadata_1_errors'] == 5
    assert summary['upstream']['metadata_1_cycles'] == 30
    rows = {row[0]: row for row in compare.table_rows(summary, '1 GiB', 1000)}
    meta = rows['metadata cycle, 1 client (ops/s)']
    assert meta[1:] == (200.0, 50.0, 4.0, 250.0, 80.0)
    listing = rows['list(limit=1000) with 1000 images (ms)']
    assert listing[3] == pytest.approx(0.2222, abs=1e-4)  # time: smaller is better
    assert listing[4] is None
    assert rows['metadata cycle, 1 client(s): failed / cycles'][1:3] == ('1 / 30', '5 / 30')
    assert compare.ratio(None, 3.0) is None
    assert compare.ratio(3.0, 0) is None


def test_receiver_sends_back_the_last_content_length_upload(bench, tmp_path):
    bound, _ = bench
    listener = socket.create_server(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    server = threading.Thread(target=bound.serve_forever,
                              args=(listener, str(tmp_path), bound.KeptBody()), daemon=True)
    server.start()

    def ask(head, body=b''):
        with socket.create_connection(('127.0.0.1', port), timeout=10) as conn:
            conn.sendall(head + b'Host: h\r\nConnection: close\r\n\r\n' + body)
            answer = b''
            while piece := conn.recv(65536):
                answer += piece
        status_and_headers, _, payload = answer.partition(b'\r\n\r\n')
        return status_and_headers, payload

    try:
        head, _ = ask(b'GET /v2/images/any/file HTTP/1.1\r\n')
        assert head.startswith(b'HTTP/1.1 404 ')
        first, second = os.urandom(300000), os.urandom(200000)
        for data in (first, second):
            head, _ = ask(b'PUT /v2/images/x/file HTTP/1.1\r\nContent-Length: %d\r\n'
                          % len(data), data)
            assert head.startswith(b'HTTP/1.1 204 ')
        assert len(list(tmp_path.iterdir())) == 1  # the first one's file went with it
        head, _ = ask(b'PUT /v2/images/x/file HTTP/1.1\r\nTransfer-Encoding: chunked\r\n',
                      chunked(first, 65536))
        assert head.startswith(b'HTTP/1.1 204 ')
        head, payload = ask(b'GET /v2/images/other/file HTTP/1.1\r\n')
        assert head.startswith(b'HTTP/1.1 200 OK\r\n')
        assert b'\r\nContent-Type: application/octet-stream' in head
        assert b'\r\nContent-Length: %d' % len(second) in head
        assert payload == second  # the chunked upload kept nothing of its own
        assert len(list(tmp_path.iterdir())) == 1
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone does not
        listener.close()
        server.join(5)
    assert not server.is_alive()


def test_bound_download_fills_the_percentage_column(bench):
    _, compare = bench
    summary = compare.summarize({'glimpse': {'download_MBps': [600.0]},
                                 'bound': {'download_MBps': [1200.0]}})
    row = compare.table_rows(summary, '64 MiB', 10)[0]
    assert row == ('download 64 MiB (MB/s)', 600.0, None, None, 1200.0, 50.0)
