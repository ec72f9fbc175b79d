"""md5 and the configured multihash over one stream, each in its own thread.

The upload pipeline (upload.py) hashes every upload here, whichever store takes the bytes:
``hashed`` passes the chunks on to the store's add() while the hashes run beside it.

hashlib releases the GIL on buffers over 2 KiB, so the two hashes run at the same time as
each other and as the caller (who reads the next chunk and writes this one meanwhile): on one
core each of md5 and sha512 is slower than the disk, one after the other they are half as
fast as either.
"""

import hashlib

from api_service.services import pipeline


class DualHasher:
    def __init__(self, algorithm):
        self.algorithm = algorithm
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._multihash = hashlib.new(algorithm)
        self._stages = (pipeline.Stage('md5', self._md5.update),
                        pipeline.Stage('multihash', self._multihash.update))

    def update(self, chunk):
        """Start hashing ``chunk``; it must not change until hexdigests() returns."""
        for stage in self._stages:
            stage.submit(chunk)

    def hexdigests(self):
        """-> (md5_hex, multihash_hex) of everything passed to update()."""
        for stage in self._stages:
            stage.finish()
        return self._md5.hexdigest(), self._multihash.hexdigest()

    def close(self):
        for stage in self._stages:
            stage.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def hashed(chunks, hasher):
    """Yield ``chunks`` unchanged, handing each to ``hasher`` on the way."""
    for chunk in chunks:
        if chunk:
            hasher.update(chunk)
        yield chunk
