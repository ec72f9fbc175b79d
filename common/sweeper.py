"""A daemon thread that sweeps at start and then every ``interval`` seconds until stopped.

The registry sweeps expired upload leases and each api worker sweeps stale partial files;
both are this thread with their own ``sweep_once``.
"""

import threading


class Sweeper:
    thread_name = 'sweeper'

    def __init__(self, interval):
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = None

    def sweep_once(self):
        """One sweep. Must not raise: the thread has to outlive a failed sweep."""
        raise NotImplementedError

    def _run(self):
        self.sweep_once()
        while not self._stopping.wait(self.interval):
            self.sweep_once()

    def start(self):
        # A daemon thread: should stop() never be reached, it cannot keep the process alive.
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout=None):
        """Ask the thread to stop and wait for the sweep in progress, if any, to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
