"""SIGTERM and SIGINT turned into an Event a daemon's main loop waits on."""

import signal
import threading


def stop_on_signals(log, what_happens_now):
    """-> an Event set by SIGTERM or SIGINT, each logged with ``what_happens_now``."""
    stopping = threading.Event()

    def handler(signum, frame):
        log.info('Signal %d received; %s', signum, what_happens_now)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    return stopping
