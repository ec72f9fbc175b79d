"""The store contract: what every image store driver offers, and how it says what it can do.

A driver is one module with one Store subclass. It only moves bytes: the upload pipeline
(api_service/services/upload.py) hashes, caps, counts against quotas and inspects the
format once, for every backend, before and around ``add``.

- ``add(image_id, chunks)`` writes the chunks and returns where they went (Added);
- ``get(location, offset=0, length=None)`` -> (iterator of bytes, size of the whole image);
- ``delete(location)`` removes the data;
- ``open_file(location)`` -> (real file, size), only for a store with SENDFILE, so the
  server can send the file zero-copy.

A store with ``takes_context`` (multi-tenant Swift) also takes ``context=`` (the request's
RequestContext, or None without a request: glance-scrubber) in add, get and delete; callers
go through the module functions ``add``, ``read`` and ``remove``, which pass it only there.

Capabilities are data on the class (as glance_store's are) and are checked where they
matter: ``require`` refuses an operation the store cannot do with a clear error, and
``read`` serves a range from a store without random access by skipping.
"""

import dataclasses
import enum

from api_service import exceptions


class Capability(enum.Flag):
    NONE = 0
    READ = enum.auto()          # get() works
    READ_OFFSET = enum.auto()   # get() starts at an offset without reading what is before
    WRITE = enum.auto()         # add() works
    DELETE = enum.auto()        # delete() works
    SENDFILE = enum.auto()      # open_file() gives a real file the server may sendfile()


_WHAT = {Capability.READ: 'read image data', Capability.WRITE: 'write image data',
         Capability.DELETE: 'delete image data', Capability.SENDFILE: 'hand out a file',
         Capability.READ_OFFSET: 'read from an offset'}


@dataclasses.dataclass(frozen=True)
class Added:
    """Where ``add`` put an image's data."""
    url: str
    size: int
    metadata: dict = dataclasses.field(default_factory=dict)


class Store:
    """A place image bytes live. Subclasses set ``driver``, ``schemes`` and ``capabilities``.

    ``store_id`` is the backend's id ([DEFAULT] enabled_backends, or the driver name in a
    single-store configuration); ``description`` and ``weight`` are the backend's
    store_description and weight.
    """

    driver = None
    schemes = ()
    capabilities = Capability.NONE
    # True for a store that works with the request's identity (the user's token and service
    # catalog: multi-tenant Swift). The module functions add/read/remove below pass the
    # request context only to such a store, so a driver that needs none keeps the plain
    # add/get/delete signatures.
    takes_context = False

    def __init__(self, store_id=None, description=None, weight=0):
        self.store_id = store_id or self.driver
        self.description = description
        self.weight = weight

    def can(self, capability):
        return capability in self.capabilities

    def require(self, capability):
        """Raise StoreCapabilityMissing (StoreReadOnly for WRITE) unless the store can."""
        if self.can(capability):
            return
        if capability == Capability.WRITE:
            raise exceptions.StoreReadOnly(store=self.store_id)
        raise exceptions.StoreCapabilityMissing(store=self.store_id,
                                                what=_WHAT.get(capability, capability.name))

    def properties(self):
        """What GET /v2/info/stores/detail shows of this store (upstream's per driver)."""
        return {}

    def owns(self, url):
        """True when ``url`` is data of this store (used for locations with no store id)."""
        return url.partition(':')[0] in self.schemes

    # -- what a driver implements ---------------------------------------------------------

    def add(self, image_id, chunks, size_hint=None):
        """Write the data from ``chunks`` (an iterable of bytes) under ``image_id``; -> Added.
        ``size_hint`` is the size announced by the client, when it did (a driver may use it
        to choose where the data goes).

        Only writes: no hashing, no size checks (the upload pipeline does those). Nothing is
        left behind on failure. Raises api_service.exceptions.StorageFull,
        StorageWriteDenied, StoreReadOnly or whatever the iterable raised.
        """
        raise NotImplementedError

    def get(self, location, offset=0, length=None):
        """-> (iterator of bytes from ``offset``, at most ``length`` of them; size of the
        whole image). StoreDataNotFound if there is no data. A store without READ_OFFSET is
        only asked for offset 0 (``read`` skips for it)."""
        raise NotImplementedError

    def open_file(self, location):
        """SENDFILE stores only: -> (binary file positioned at 0, size); StoreDataNotFound."""
        raise exceptions.StoreCapabilityMissing(store=self.store_id,
                                                what=_WHAT[Capability.SENDFILE])

    def delete(self, location):
        """Remove the data at ``location``; StoreDataNotFound if it is already gone."""
        raise NotImplementedError

    def open(self, location):
        """The name open_file had before get() (SENDFILE stores only)."""
        return self.open_file(location)


def _skipping(chunks, skip, length):
    """``chunks`` without its first ``skip`` bytes, at most ``length`` bytes (None: all)."""
    try:
        for chunk in chunks:
            if skip:
                if len(chunk) <= skip:
                    skip -= len(chunk)
                    continue
                chunk = chunk[skip:]
                skip = 0
            if length is not None:
                if length <= 0:
                    break
                if len(chunk) > length:
                    chunk = chunk[:length]
                length -= len(chunk)
            yield chunk
            if length == 0:
                break
    finally:
        close = getattr(chunks, 'close', None)
        if close is not None:
            close()


def context_for(store, context):
    """The keyword arguments passing ``context`` to ``store`` if it takes one, else none."""
    return {'context': context} if getattr(store, 'takes_context', False) else {}


def add(store, image_id, chunks, size_hint=None, context=None):
    """``store.add``, with the request ``context`` for a store that takes one."""
    return store.add(image_id, chunks, size_hint=size_hint, **context_for(store, context))


def remove(store, location, context=None):
    """``store.delete``, with the request ``context`` for a store that takes one."""
    return store.delete(location, **context_for(store, context))


def read(store, location, offset=0, length=None, context=None):
    """``store.get`` for any store: a range from a store without READ_OFFSET is read from
    the start, skipping what comes before it. -> (iterator, size of the whole image).
    ``context``: the request's, passed on to a store that takes one."""
    store.require(Capability.READ)
    extra = context_for(store, context)
    if offset == 0 or store.can(Capability.READ_OFFSET):
        return store.get(location, offset, length, **extra)
    chunks, size = store.get(location, **extra)
    return _skipping(chunks, offset, length), size
