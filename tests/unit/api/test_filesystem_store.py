import errno
import os

import pytest

from api_service import exceptions
from api_service.stores import base
from api_service.stores import filesystem


@pytest.fixture
def store(tmp_path):
    return filesystem.FilesystemStore(str(tmp_path / 'data'))


def test_add_open_delete(store, tmp_path):
    chunks = [b'a' * 5000, b'', b'b' * 7000]
    added = store.add('img-1', iter(chunks))
    uri = added.url
    data = b''.join(chunks)
    assert uri == 'file://%s' % (tmp_path / 'data' / 'img-1')
    assert added.size == len(data)
    f, length = store.open_file(uri)
    with f:
        assert length == len(data) and f.read() == data
    got, length = store.get(uri, 4990, 20)
    assert length == len(data) and b''.join(got) == data[4990:5010]
    store.delete(uri)
    assert os.listdir(tmp_path / 'data') == []
    with pytest.raises(exceptions.StoreDataNotFound):
        store.delete(uri)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.open_file(uri)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.get(uri)


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
    store = filesystem.FilesystemStore(str(blocker / 'data'))
    assert not store.can(base.Capability.WRITE)
    assert store.can(base.Capability.READ)
    with pytest.raises(exceptions.StorageWriteDenied):
        store.add('img', iter([b'x']))


def test_capabilities_are_class_data():
    caps = filesystem.FilesystemStore.capabilities
    assert base.Capability.WRITE in caps and base.Capability.SENDFILE in caps
