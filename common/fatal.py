"""How a daemon stops at start: the reason in its log and on stderr.

oslo.log writes to the log file alone when one is configured, so an operator starting a
daemon by hand (or reading `systemctl status`) would otherwise see a bare exit status.
"""

import logging
import sys

LOG = logging.getLogger(__name__)


class StartupError(Exception):
    """The daemon cannot start; the message says why and what to do."""


def report(prog, message, logger=None, exc_info=False):
    """Log ``message`` as an error and write it to stderr as '<prog>: <message>'."""
    (logger or LOG).error('%s', message, exc_info=exc_info)
    if _logs_to_stderr():
        return
    try:
        sys.stderr.write('%s: %s\n' % (prog, message))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _logs_to_stderr():
    return any(getattr(h, 'stream', None) is sys.stderr for h in logging.getLogger().handlers)
