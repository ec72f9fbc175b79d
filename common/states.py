"""Image statuses and the transitions between them (upstream Glance's table)."""

QUEUED = 'queued'
SAVING = 'saving'
ACTIVE = 'active'
KILLED = 'killed'
DELETED = 'deleted'
UPLOADING = 'uploading'
IMPORTING = 'importing'
PENDING_DELETE = 'pending_delete'
DEACTIVATED = 'deactivated'

ALL = (QUEUED, SAVING, ACTIVE, KILLED, DELETED, UPLOADING, IMPORTING,
       PENDING_DELETE, DEACTIVATED)

TRANSITIONS = {
    QUEUED: frozenset({SAVING, UPLOADING, IMPORTING, ACTIVE, DELETED}),
    SAVING: frozenset({ACTIVE, KILLED, DELETED, QUEUED}),
    UPLOADING: frozenset({IMPORTING, QUEUED, DELETED}),
    IMPORTING: frozenset({ACTIVE, DELETED, QUEUED}),
    ACTIVE: frozenset({PENDING_DELETE, DELETED, DEACTIVATED}),
    DEACTIVATED: frozenset({ACTIVE, DELETED}),
    KILLED: frozenset({DELETED}),
    PENDING_DELETE: frozenset({DELETED, ACTIVE}),
    DELETED: frozenset(),
}


def can_transition(current, target):
    return target in TRANSITIONS.get(current, frozenset())


def sources_of(target):
    """Every status from which `target` may be reached, for `UPDATE ... WHERE status IN`."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)
