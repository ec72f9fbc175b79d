"""The process ids of a running GlanceService, to prove a fault restarted none of them."""

import pathlib


def children(pid):
    """The direct children of ``pid`` (Linux /proc), e.g. gunicorn's workers."""
    found = set()
    for task in pathlib.Path(f'/proc/{pid}/task').glob('*'):
        try:
            found.update(int(child) for child in (task / 'children').read_text().split())
        except OSError:
            continue  # the thread ended while we looked
    return sorted(found)


def service_pids(service):
    """{'api': master pid, 'api workers': [...], 'registries': [...]} of the live daemons."""
    return {
        'api': service.api.pid if service.api.alive() else None,
        'api workers': children(service.api.pid) if service.api.alive() else [],
        'registries': [r.pid for r in service.live_registries()],
    }
