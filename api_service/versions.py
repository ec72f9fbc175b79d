"""The API versions this service implements, as data: the versions document and version
negotiation both read this list, so a later release adds a row here and nothing else."""

# Newest first, as upstream lists them. Only the minor versions whose features exist here
# are advertised (members, tasks, import ... add v2.1 onwards when they land).
VERSIONS = (
    {'id': 'v2.0', 'status': 'CURRENT'},
)

MAJOR = 2


def known_minors():
    return {int(v['id'].split('.')[1]) for v in VERSIONS}
