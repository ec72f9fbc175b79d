"""A stage of an upload's pipeline: one thread doing one job on every chunk, in order.

Why threads: the jobs of an upload (md5, the multihash, writing to disk) each release the GIL
while they work on a large buffer, so on a machine with several cores they run at the same
time as each other and as the request thread reading the next chunk from the socket. One
after the other in the request thread, each would wait for all the others.

A stage runs at most ``depth`` chunks behind its producer; ``submit`` waits when it is that
far behind, which bounds the memory an upload holds (depth + 1 chunks per stage) whatever the
speeds of the network and the disk. A job's exception is raised by the next ``submit`` or by
``finish``.
"""

import collections
import concurrent.futures

# 2 lets every stage start on the next chunk as soon as it is done with one, while the
# request thread waits for the socket; a deeper queue would only hold more memory.
DEFAULT_DEPTH = 2


class Stage:
    def __init__(self, name, job, depth=DEFAULT_DEPTH):
        self._job = job
        self._depth = depth
        self._pending = collections.deque()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name)

    def submit(self, chunk):
        while len(self._pending) >= self._depth:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(self._job, chunk))

    def finish(self):
        """Wait until every submitted chunk is done; raise the first job's error."""
        while self._pending:
            self._pending.popleft().result()

    def close(self):
        """Stop the thread; jobs not yet started are dropped (the upload has failed)."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
