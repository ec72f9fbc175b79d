"""A monotonic clock that moves only when a test advances it, for code that waits on time.

``clock()`` reads it; ``clock.event()`` is a stand-in for threading.Event whose
``wait(timeout)`` returns once the clock has been advanced by ``timeout`` (or the event is
set). ``advance(seconds)`` returns only once every thread waiting on one of its events has
reacted: it is back waiting for a later time, or it has finished. So a background thread
paced by the clock runs in step with the test, and a test of "renew every third of a
lease" takes no real time and never races.
"""

import threading

REACTION_TIMEOUT = 10.0


class FakeClock:
    def __init__(self, start=1000.0):
        self._now = start
        self._cond = threading.Condition()
        self._events = []

    def __call__(self):
        with self._cond:
            return self._now

    def event(self):
        event = FakeEvent(self)
        with self._cond:
            self._events.append(event)
        return event

    def _settled(self):
        return all(event._settled(self._now) for event in self._events)

    def advance(self, seconds):
        with self._cond:
            self._now += seconds
            self._cond.notify_all()
            settled = self._cond.wait_for(self._settled, REACTION_TIMEOUT)
        assert settled, 'a thread paced by the fake clock did not react'


class FakeEvent:
    """set / is_set / wait(timeout) as threading.Event, with ``timeout`` in clock time.

    The thread that waits on it must say when it starts (``running()``, before it is started)
    and when it ends (``finished()``), so that the clock knows when it has reacted.
    """

    IDLE, RUNNING, WAITING, DONE = 'idle', 'running', 'waiting', 'done'

    def __init__(self, clock):
        self._clock = clock
        self._flag = False
        self._state = self.IDLE
        self._deadline = None

    def _settled(self, now):
        if self._state == self.RUNNING:
            return False
        if self._state == self.WAITING:
            return not self._flag and self._deadline > now
        return True

    def set(self):
        with self._clock._cond:
            self._flag = True
            self._clock._cond.notify_all()

    def is_set(self):
        with self._clock._cond:
            return self._flag

    def running(self):
        with self._clock._cond:
            self._state = self.RUNNING

    def finished(self):
        with self._clock._cond:
            self._state = self.DONE
            self._clock._cond.notify_all()

    def wait(self, timeout):
        cond = self._clock._cond
        with cond:
            self._deadline = self._clock._now + timeout
            self._state = self.WAITING
            cond.notify_all()
            woke = cond.wait_for(lambda: self._flag or self._clock._now >= self._deadline,
                                 REACTION_TIMEOUT * 3)
            assert woke, 'nobody advanced the fake clock nor set the event'
            self._state = self.RUNNING
            return self._flag


class PacedByClock:
    """Mixin, first in the bases, for a thread class that waits on ``self._stopping``
    (UploadLease, the sweepers) once the subclass has set it to ``clock.event()``: the
    clock then knows when the thread runs and when it has finished."""

    def start(self):
        self._stopping.running()
        super().start()

    def _run(self):
        try:
            super()._run()
        finally:
            self._stopping.finished()
