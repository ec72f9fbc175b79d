import errno
import hashlib
import os

import pytest

from api_service import exceptions
from api_service.stores import base
from api_service.stores import filesystem


@pytest.fixture
def store(tmp_path):
    return filesystem.FilesystemStore(str(tmp_path / 'data'), 'sha512')


def test_add_open_delete(store, tmp_path):
    chunks = [b'a' * 5000, b'', b'b' * 7000]
    uri, size, md5_hex, multihash = store.add('img-1', iter(chunks))
    data = b''.join(chunks)
    assert uri == 'file://%s' % (tmp_path / 'data' / 'img-1')
    assert size == len(data)
    assert md5_hex == hashlib.md5(data).hexdigest()
    assert multihash == hashlib.sha512(data).hexdigest()
    f, length = store.open(uri)
    with f:
        assert length == len(data) and f.read() == data
    store.delete(uri)
    assert os.listdir(tmp_path / 'data') == []
    with pytest.raises(exceptions.StoreDataNotFound):
        store.delete(uri)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.open(uri)


def test_failing_source_leaves_no_file(store, tmp_path):
    def chunks():
        yield b'x' * 1000
        raise exceptions.ClientDisconnected()

    with pytest.raises(exceptions.ClientDisconnected):
        store.add('img-2', chunks())
    assert os.listdir(tmp_path / 'data') == []


def test_disk_full_becomes_storage_full_and_leaves_no_file(store, tmp_path, monkeypatch):
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(exceptions.StorageFull):
        store.add('img-3', iter([b'data']))
    monkeypatch.setattr(os, 'fsync', real_fsync)
    assert os.listdir(tmp_path / 'data') == []


def test_unusable_datadir_makes_the_store_read_only(tmp_path):
    blocker = tmp_path / 'file-not-dir'
    blocker.write_bytes(b'')
    store = filesystem.FilesystemStore(str(blocker / 'data'), 'sha512')
    assert not store.can(base.Capability.WRITE)
    assert store.can(base.Capability.READ)
    with pytest.raises(exceptions.StorageWriteDenied):
        store.add('img', iter([b'x']))


def test_capabilities_are_class_data():
    caps = filesystem.FilesystemStore.capabilities
    assert base.Capability.WRITE in caps and base.Capability.SENDFILE in caps
