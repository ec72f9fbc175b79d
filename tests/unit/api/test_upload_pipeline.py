"""The upload pipeline's pieces: a stage's order, bound and errors; the syncing writer."""

import hashlib
import os
import threading

import pytest

from api_service.services import file_writer
from api_service.services import hashing
from api_service.services import pipeline


def test_stage_runs_jobs_in_submission_order():
    seen = []
    with pipeline.Stage('test', seen.append) as stage:
        for n in range(50):
            stage.submit(n)
        stage.finish()
    assert seen == list(range(50))


def test_stage_never_runs_more_than_depth_chunks_behind():
    release = threading.Event()
    started = []

    def job(chunk):
        started.append(chunk)
        release.wait(5)

    with pipeline.Stage('test', job, depth=2) as stage:
        stage.submit(1)
        stage.submit(2)
        submitter = threading.Thread(target=stage.submit, args=(3,))
        submitter.start()
        submitter.join(0.3)
        # Two chunks are pending, so the third submit waits for the first to finish.
        assert submitter.is_alive()
        release.set()
        submitter.join(5)
        assert not submitter.is_alive()
        stage.finish()
    assert started == [1, 2, 3]


def test_stage_raises_a_jobs_error_on_finish():
    def job(chunk):
        if chunk == 3:
            raise OSError(28, 'No space left on device')

    with pipeline.Stage('test', job) as stage:
        for n in range(4):
            stage.submit(n)
        with pytest.raises(OSError) as raised:
            stage.finish()
    assert raised.value.errno == 28


def test_dual_hasher_matches_hashlib_over_many_chunks():
    chunks = [os.urandom(n) for n in (1, 4096, 1 << 20, 7, 65536)]
    with hashing.DualHasher('sha512') as hasher:
        for chunk in chunks:
            hasher.update(chunk)
        md5_hex, sha_hex = hasher.hexdigests()
    whole = b''.join(chunks)
    assert md5_hex == hashlib.md5(whole).hexdigest()
    assert sha_hex == hashlib.sha512(whole).hexdigest()


def test_syncing_writer_writes_every_chunk_in_order(tmp_path):
    path = tmp_path / 'out'
    chunks = [os.urandom(100_000) for _ in range(30)]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    # A small sync step makes the writer flush many times along the way.
    with file_writer.SyncingWriter(fd, sync_every=250_000) as writer:
        for chunk in chunks:
            writer.write(chunk)
        writer.finish()
    assert path.read_bytes() == b''.join(chunks)


def test_syncing_writer_reports_a_failed_write_on_finish(tmp_path):
    path = tmp_path / 'out'
    path.write_bytes(b'')
    read_only = os.open(path, os.O_RDONLY)
    with file_writer.SyncingWriter(read_only) as writer:
        writer.write(b'x' * 10)
        with pytest.raises(OSError):
            writer.finish()
