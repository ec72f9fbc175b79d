"""RenewedLease: a lease held in glance-registry, renewed from a thread of its own.

The upload lease (upload_lease.py) and the task lease (api_service/tasks/runner.py) share
this loop; each says how to ask the registry (_ask_registry), which answers mean the lease
is lost (_ends_renewal, which records why) and what it is, for the log (description). Any
other failure is logged and tried again at the next interval: a registry that does not
answer one renewal is not fatal.
"""

import logging
import threading
import time

LOG = logging.getLogger(__name__)

# Renew after this fraction of the lease: two renewals may fail before the lease passes.
RENEW_FRACTION = 1.0 / 3


class RenewedLease:
    """Renewed every third of ``lease_seconds`` once start()ed, until stop() or a lost lease.

    Its clock starts when it is made, before the registry grants the lease, so it never
    believes in a lease the registry already considers passed.
    """

    # The logger of the subclass's module, so its warnings keep their origin.
    _log = LOG

    def __init__(self, lease_seconds, thread_name, clock=time.monotonic,
                 make_event=threading.Event):
        self.lease_seconds = lease_seconds
        self.interval = lease_seconds * RENEW_FRACTION
        self._thread_name = thread_name
        self._clock = clock
        # When the last lease the registry confirmed was asked for.
        self._confirmed_at = clock()
        self._lock = threading.Lock()
        self._stopping = make_event()

    @property
    def description(self):
        raise NotImplementedError

    def _ask_registry(self):
        raise NotImplementedError

    def _ends_renewal(self, exc):
        """True when ``exc`` means renewing has become pointless (record why first)."""
        raise NotImplementedError

    def start(self):
        threading.Thread(target=self._run, daemon=True, name=self._thread_name).start()

    def stop(self):
        # Not joined: a renewal in flight may take up to the RPC timeout, and its answer no
        # longer matters.
        self._stopping.set()

    def _run(self):
        while not self._stopping.wait(self.interval):
            if not self.renew():
                return

    def renew(self):
        """Ask the registry for a fresh lease; False once renewing has become pointless."""
        asked = self._clock()
        try:
            self._ask_registry()
        except Exception as exc:
            if self._ends_renewal(exc):
                return False
            if not self._stopping.is_set():
                self._log.warning('Could not renew %s (%s); trying again in %.0f s.',
                                  self.description, exc, self.interval)
            return True
        with self._lock:
            self._confirmed_at = max(self._confirmed_at, asked)
        return True

    def _unconfirmed_for_a_whole_lease(self):
        """No renewal succeeded for a whole lease (the caller holds the lock if it needs)."""
        return self._clock() - self._confirmed_at > self.lease_seconds
