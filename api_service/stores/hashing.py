"""md5 and the configured multihash over one stream, computed side by side.

hashlib releases the GIL on buffers over 2 KiB, so the multihash runs in a helper thread
while the caller's thread runs md5 (and writes the chunk): on one core each of md5 and
sha512 is slower than the disk, one after the other they are half as fast as either.
"""

import concurrent.futures
import hashlib


class DualHasher:
    def __init__(self, algorithm):
        self.algorithm = algorithm
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._multihash = hashlib.new(algorithm)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='multihash')
        self._pending = None

    def update(self, chunk):
        """Start hashing ``chunk``; the caller may do its own work until the next call."""
        self._wait()
        self._pending = self._pool.submit(self._multihash.update, chunk)
        self._md5.update(chunk)

    def _wait(self):
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def hexdigests(self):
        """-> (md5_hex, multihash_hex) of everything passed to update()."""
        self._wait()
        return self._md5.hexdigest(), self._multihash.hexdigest()

    def close(self):
        self._pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
