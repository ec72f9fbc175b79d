"""Who holds an upload: its own token, and the api worker receiving it.

begin_upload records both (RPC 1.5). The token, new for every upload, goes with the
upload's renew, finish and abort, which the registry refuses once the image was handed back
(UploadSuperseded): a stale upload can then neither keep its image nor publish. The holder
names this worker process; when the worker dies, glance-api's master hands back its uploads
with release_uploads(holder) and removes its partial files, whose names carry worker_tag()
(api_service/wsgi/worker_deaths.py).
"""

import os
import socket
import uuid

# Chosen once per process at import. glance-api's master imports this before it forks its
# workers, so they share it with the master, which thus knows a dead worker's holder from
# its pid alone; a restarted master picks another, so a reused pid names another holder.
INSTANCE = uuid.uuid4().hex[:12]
# The registry's column is 255 characters; the rest of the holder takes about 20.
_HOSTNAME_MAX = 200


def new_token():
    return uuid.uuid4().hex


def worker_tag(pid=None):
    """``<instance>-<pid>``: this worker (or worker ``pid`` of this master), file-name safe."""
    return '%s-%d' % (INSTANCE, os.getpid() if pid is None else pid)


def holder(pid=None):
    """``<host>/<instance>-<pid>``: the holder begin_upload records for this worker."""
    return '%s/%s' % (socket.gethostname()[:_HOSTNAME_MAX], worker_tag(pid))
