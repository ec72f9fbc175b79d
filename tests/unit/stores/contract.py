"""The store contract, as tests every driver runs against its real backend.

A driver's test module defines ``class TestMyDriver(StoreContract)`` with a ``store``
fixture yielding a configured, empty store of that driver; a read-only driver runs the read
half, ``StoreReadContract``, and overrides ``place`` (data put where the store reads it by
other means) and ``missing_location``. Every test here uses only
api_service/stores/base.py's contract.
"""

import os

import pytest

from api_service import exceptions
from api_service.stores import base

BLOCK = os.urandom(64 * 1024)


def _data(size):
    return (BLOCK * (size // len(BLOCK) + 1))[:size]


def _chunked(data, size):
    return iter([data[i:i + size] for i in range(0, len(data), size)])


class StoreReadContract:
    """The read half, for every store, read-only ones included: mix into a test class that
    provides a ``store`` fixture. A store that cannot write overrides ``place`` (put data
    where the store reads it, -> its location) and ``missing_location``."""

    def place(self, store, image_id, data):
        return store.add(image_id, _chunked(data, 7000)).url

    def missing_location(self, store):
        url = self.place(store, 'img-missing', b'gone')
        store.delete(url)
        return url

    def test_capabilities_are_data(self, store):
        assert isinstance(type(store).capabilities, base.Capability)
        assert store.can(base.Capability.READ)
        assert store.store_id

    def test_get_gives_the_placed_bytes_back(self, store):
        data = _data(300 * 1024 + 17)
        url = self.place(store, 'img-read', data)
        assert store.owns(url)
        chunks, size = store.get(url)
        assert size == len(data) and b''.join(chunks) == data

    def test_an_empty_image_reads_as_nothing(self, store):
        url = self.place(store, 'img-read-empty', b'')
        chunks, size = base.read(store, url)
        assert size == 0 and b''.join(chunks) == b''

    @pytest.mark.parametrize('offset,length', [(0, 10), (5, None), (70000, 100),
                                               (199999, 1), (65536, 65536)])
    def test_ranges_through_read_whatever_the_capabilities(self, store, offset, length):
        data = _data(200000)
        url = self.place(store, 'img-range', data)
        chunks, size = base.read(store, url, offset, length)
        end = None if length is None else offset + length
        assert size == len(data) and b''.join(chunks) == data[offset:end]

    def test_get_with_an_offset_when_random_access(self, store):
        if not store.can(base.Capability.READ_OFFSET):
            pytest.skip('the store has no random access')
        data = _data(100000)
        url = self.place(store, 'img-offset', data)
        chunks, size = store.get(url, 1000, 2000)
        assert size == len(data) and b''.join(chunks) == data[1000:3000]

    def test_open_file_with_sendfile(self, store):
        if not store.can(base.Capability.SENDFILE):
            with pytest.raises(exceptions.StoreCapabilityMissing):
                store.open_file('x')
            return
        data = _data(5000)
        url = self.place(store, 'img-file', data)
        f, size = store.open_file(url)
        with f:
            assert size == len(data) and f.fileno() >= 0 and f.read() == data

    def test_a_location_without_data_is_data_not_found(self, store):
        url = self.missing_location(store)
        with pytest.raises(exceptions.StoreDataNotFound):
            chunks, _ = store.get(url)
            b''.join(chunks)

    def test_what_the_store_cannot_do_is_refused_with_a_clear_error(self, store):
        url = self.place(store, 'img-can', b'data')
        if not store.can(base.Capability.WRITE):
            with pytest.raises(exceptions.StoreReadOnly) as caught:
                store.add('img-ro', iter([b'x']))
            assert store.store_id in str(caught.value)
        if not store.can(base.Capability.DELETE):
            with pytest.raises(exceptions.StoreCapabilityMissing):
                store.delete(url)
            assert b''.join(store.get(url)[0]) == b'data'


class StoreContract(StoreReadContract):
    """The whole contract, for a store that writes and deletes: mix into a test class that
    provides a ``store`` fixture."""

    def add(self, store, image_id, data, chunk=7000):
        return store.add(image_id, _chunked(data, chunk))

    def test_add_then_get_gives_the_bytes_back(self, store):
        data = _data(300 * 1024 + 17)
        added = self.add(store, 'img-add', data)
        assert isinstance(added, base.Added)
        assert added.size == len(data)
        assert store.owns(added.url)
        chunks, size = store.get(added.url)
        assert size == len(data) and b''.join(chunks) == data

    def test_add_of_nothing_is_an_empty_image(self, store):
        added = store.add('img-empty', iter([]))
        chunks, size = store.get(added.url)
        assert size == 0 and added.size == 0 and b''.join(chunks) == b''

    def test_empty_chunks_are_skipped(self, store):
        added = store.add('img-gaps', iter([b'ab', b'', b'cd']))
        assert b''.join(store.get(added.url)[0]) == b'abcd'

    def test_delete_then_data_is_gone(self, store):
        added = self.add(store, 'img-del', b'bytes')
        store.delete(added.url)
        with pytest.raises(exceptions.StoreDataNotFound):
            chunks, _ = store.get(added.url)
            b''.join(chunks)
        with pytest.raises(exceptions.StoreDataNotFound):
            store.delete(added.url)

    def test_a_failing_source_leaves_nothing_readable(self, store):
        def chunks():
            yield b'x' * 1000
            raise exceptions.ClientDisconnected()

        with pytest.raises(exceptions.ClientDisconnected):
            store.add('img-fail', chunks())
        probe = self.add(store, 'img-probe', b'p')
        store.delete(probe.url)
        with pytest.raises(exceptions.StoreDataNotFound):
            chunks_, _ = store.get(probe.url.replace('img-probe', 'img-fail'))
            b''.join(chunks_)

    def test_a_second_add_replaces_nothing_else(self, store):
        one = self.add(store, 'img-one', b'one')
        two = self.add(store, 'img-two', b'two')
        assert one.url != two.url
        assert b''.join(store.get(one.url)[0]) == b'one'
        assert b''.join(store.get(two.url)[0]) == b'two'

    def test_a_store_without_write_refuses_with_a_clear_error(self, store, monkeypatch):
        monkeypatch.setattr(store, 'capabilities',
                            store.capabilities & ~base.Capability.WRITE)
        with pytest.raises(exceptions.StoreReadOnly) as caught:
            store.add('img-ro', iter([b'x']))
        assert store.store_id in str(caught.value)
