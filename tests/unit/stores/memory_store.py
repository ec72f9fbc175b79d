"""A store with READ, WRITE and DELETE only (no random access, no file): the shape of an
object store driver, for tests of the paths such stores take (skipping, iterators)."""

from api_service import exceptions
from api_service.stores import base


class MemoryStore(base.Store):
    driver = 'memory'
    schemes = ('memory',)
    capabilities = base.Capability.READ | base.Capability.WRITE | base.Capability.DELETE

    def __init__(self, store_id=None, chunk_size=1000):
        super().__init__(store_id)
        self.objects = {}
        self.gets = []
        self.chunk_size = chunk_size

    def add(self, image_id, chunks, size_hint=None):
        self.require(base.Capability.WRITE)
        data = b''.join(chunks)
        url = 'memory://%s/%s' % (self.store_id, image_id)
        self.objects[url] = data
        return base.Added(url, len(data))

    def get(self, location, offset=0, length=None):
        assert offset == 0, 'asked for an offset without READ_OFFSET'
        self.gets.append((location, offset, length))
        try:
            data = self.objects[location]
        except KeyError:
            raise exceptions.StoreDataNotFound(uri=location) from None
        end = len(data) if length is None else min(len(data), length)
        return (data[i:min(i + self.chunk_size, end)]
                for i in range(0, end, self.chunk_size)), len(data)

    def delete(self, location):
        try:
            del self.objects[location]
        except KeyError:
            raise exceptions.StoreDataNotFound(uri=location) from None
