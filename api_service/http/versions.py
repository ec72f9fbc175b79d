"""The API versions this service implements, as data: the versions document and version
negotiation both read this list, so a later release adds a row here and nothing else."""

# Newest first, as upstream lists them. Only the minor versions whose features exist here
# are advertised: 2.1 brought image members; 2.2 adds property protections and the tasks
# API, which Glimpse does not have yet, so later minors wait for them (and for import).
VERSIONS = (
    {'id': 'v2.1', 'status': 'CURRENT'},
    {'id': 'v2.0', 'status': 'SUPPORTED'},
)

# With the image cache on ([DEFAULT] image_cache_dir), the minors whose one feature is the
# cache API are offered too: 2.14 (the /v2/cache API) and 2.18 (its clean and prune), which
# is what glance cache-* asks for. They are SUPPORTED, not CURRENT: the minors between them
# bring features (import, multiple stores, tasks) Glimpse does not serve.
CACHE_VERSIONS = (
    {'id': 'v2.18', 'status': 'SUPPORTED'},
    {'id': 'v2.14', 'status': 'SUPPORTED'},
)

MAJOR = 2


def offered(cache=False):
    return (CACHE_VERSIONS + VERSIONS) if cache else VERSIONS


def known_minors(cache=False):
    return {int(v['id'].split('.')[1]) for v in offered(cache)}
