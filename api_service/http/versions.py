"""The API versions this service implements, as data: the versions document and version
negotiation both read this list, so a later release adds a row here and nothing else."""

# Newest first, as upstream lists them. Only the minor versions whose features exist here
# are advertised: 2.1 brought image members; 2.2 adds property protections and the tasks
# API, which Glimpse does not have yet, so later minors wait for them (and for import).
VERSIONS = (
    {'id': 'v2.1', 'status': 'CURRENT'},
    {'id': 'v2.0', 'status': 'SUPPORTED'},
)

MAJOR = 2


def known_minors():
    return {int(v['id'].split('.')[1]) for v in VERSIONS}
