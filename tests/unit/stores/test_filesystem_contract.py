"""The store contract against the filesystem driver, on a real directory; and its own
features: several data directories with priorities, file permissions."""

import os
import stat

import pytest

from api_service.stores import filesystem
from tests.unit.stores import contract


class TestFilesystemStore(contract.StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return filesystem.FilesystemStore(str(tmp_path / 'images'), store_id='fast',
                                          chunk_size=4096)


class TestFilesystemStoreSeveralDirectories(contract.StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        dirs = filesystem.parse_datadirs(['%s:1' % (tmp_path / 'a'),
                                          '%s:5' % (tmp_path / 'b')])
        return filesystem.FilesystemStore(datadirs=dirs, store_id='multi')


def test_datadirs_parse_with_priorities():
    assert filesystem.parse_datadirs(['/a:1', '/b:200', '/c']) == [
        ('/b', 200), ('/a', 1), ('/c', 0)]
    with pytest.raises(ValueError):
        filesystem.parse_datadirs(['/a:1', '/a:2'])


def test_new_data_goes_to_the_directory_of_highest_priority(tmp_path):
    dirs = filesystem.parse_datadirs(['%s:1' % (tmp_path / 'low'),
                                      '%s:9' % (tmp_path / 'high')])
    store = filesystem.FilesystemStore(datadirs=dirs)
    added = store.add('img', iter([b'data']))
    assert added.url == 'file://%s' % (tmp_path / 'high' / 'img')
    # Data in any of its directories is the store's.
    assert store.owns('file://%s' % (tmp_path / 'low' / 'other'))
    assert not store.owns('file://%s' % (tmp_path / 'elsewhere' / 'other'))


def test_a_full_directory_is_passed_over(tmp_path, monkeypatch):
    dirs = filesystem.parse_datadirs(['%s:1' % (tmp_path / 'low'),
                                      '%s:9' % (tmp_path / 'high')])
    store = filesystem.FilesystemStore(datadirs=dirs)
    real = os.statvfs

    def statvfs(path):
        result = real(path)
        if path.endswith('high'):
            return os.statvfs_result((result.f_bsize, result.f_frsize, result.f_blocks,
                                      0, 0) + tuple(result)[5:])
        return result

    monkeypatch.setattr(os, 'statvfs', statvfs)
    added = store.add('img', iter([b'data']), size_hint=4)
    assert added.url == 'file://%s' % (tmp_path / 'low' / 'img')


def test_file_perm_sets_the_mode_whatever_the_umask(tmp_path):
    store = filesystem.FilesystemStore(str(tmp_path / 'd'), file_perm=604)
    old = os.umask(0o077)
    try:
        added = store.add('img', iter([b'x']))
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(filesystem.FilesystemStore.path_of(added.url)).st_mode)
    assert mode == 0o604


def test_default_mode_is_0640_less_the_umask(tmp_path):
    store = filesystem.FilesystemStore(str(tmp_path / 'd'))
    old = os.umask(0o022)
    try:
        added = store.add('img', iter([b'x']))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(filesystem.FilesystemStore.path_of(added.url)).st_mode) \
        == 0o640
