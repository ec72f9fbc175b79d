"""What every image store driver offers, and how a driver states what it can do.

Capabilities are data on the class (as glance_store does), so callers ask
``store.can(Capability.WRITE)`` instead of trying an operation to see if it fails.
"""

import enum


class Capability(enum.Flag):
    NONE = 0
    READ = enum.auto()          # open() works
    READ_OFFSET = enum.auto()   # open() can start at an offset (ranged download)
    WRITE = enum.auto()         # add() works
    DELETE = enum.auto()        # delete() works
    SENDFILE = enum.auto()      # open() returns a real file the server may sendfile()


class Store:
    """A place image bytes live. Subclasses set ``schemes`` and ``capabilities``."""

    schemes = ()
    capabilities = Capability.NONE

    def can(self, capability):
        return capability in self.capabilities

    def add(self, image_id, chunks):
        """Write the data from ``chunks`` (an iterable of bytes) under ``image_id``.

        -> (uri, size, md5_hex, multihash_hex). Nothing is left behind on failure.
        Raises api_service.exceptions.StorageFull, StorageWriteDenied or whatever the
        iterable raised (too large, client gone ...).
        """
        raise NotImplementedError

    def open(self, uri):
        """-> (binary file object positioned at 0, size in bytes); StoreDataNotFound."""
        raise NotImplementedError

    def delete(self, uri):
        """Remove the data at ``uri``; StoreDataNotFound if it is already gone."""
        raise NotImplementedError
