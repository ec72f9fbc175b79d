"""The process ids of a running GlanceService, to prove a fault restarted none of them."""

import pathlib
import time

from tests.functional import daemons


def children(pid):
    """The direct children of ``pid`` (Linux /proc), e.g. gunicorn's workers."""
    found = set()
    for task in pathlib.Path(f'/proc/{pid}/task').glob('*'):
        try:
            found.update(int(child) for child in (task / 'children').read_text().split())
        except OSError:
            continue  # the thread ended while we looked
    return sorted(found)


def configured_workers(service):
    """The api workers the service's glance-api.conf asks for."""
    workers = service.extra_api_options.get('DEFAULT', {}).get('workers')
    return int(workers) if workers is not None else daemons.API_WORKERS


def service_pids(service, boot_timeout=30):
    """{'api': master pid, 'api workers': [...], 'registries': [...]} of the live daemons.

    The api answers as soon as its first worker has booted: wait (up to ``boot_timeout``)
    for every configured worker, so that a worker still booting is not later taken for one
    that was restarted."""
    deadline = time.monotonic() + boot_timeout
    while service.api.alive() and len(children(service.api.pid)) < configured_workers(
            service) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {
        'api': service.api.pid if service.api.alive() else None,
        'api workers': children(service.api.pid) if service.api.alive() else [],
        'registries': [r.pid for r in service.live_registries()],
    }
