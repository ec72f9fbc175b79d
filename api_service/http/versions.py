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

# With several stores ([DEFAULT] enabled_backends), the minors whose features are the
# stores' are offered too, SUPPORTED as the cache's: 2.8 (X-Image-Meta-Store, the
# OpenStack-image-store-ids header, /v2/info/stores), 2.9 (the same, no longer
# experimental), 2.10 (DELETE /v2/stores/{store_id}/{image_id}) and 2.15
# (/v2/info/stores/detail). 2.11 (copy-image) is COPY_IMAGE_VERSIONS below; not 2.13
# (usage): Glimpse does not serve it.
STORE_VERSIONS = (
    {'id': 'v2.15', 'status': 'SUPPORTED'},
    {'id': 'v2.10', 'status': 'SUPPORTED'},
    {'id': 'v2.9', 'status': 'SUPPORTED'},
    {'id': 'v2.8', 'status': 'SUPPORTED'},
)

# GET /v2/images/{image_id}/tasks is 2.12's one feature: offered always, SUPPORTED.
TASK_VERSIONS = ({'id': 'v2.12', 'status': 'SUPPORTED'},)

MAJOR = 2

# The locations API (POST and GET /v2/images/{image_id}/locations) is 2.17's one feature:
# offered always, SUPPORTED (glanceclient's location calls look for it in this list).
LOCATION_VERSIONS = ({'id': 'v2.17', 'status': 'SUPPORTED'},)


# Interoperable image import (api_service/imports/): 2.6 is import itself (/v2/info/import,
# stage, import; glance-direct and web-download), 2.7 hidden images and the multihash,
# which Glimpse always had; offered always, SUPPORTED. 2.11 (copy-image) needs several
# stores, so it comes with them.
IMPORT_VERSIONS = ({'id': 'v2.7', 'status': 'SUPPORTED'}, {'id': 'v2.6', 'status': 'SUPPORTED'})
COPY_IMAGE_VERSIONS = ({'id': 'v2.11', 'status': 'SUPPORTED'},)


def _minor(version):
    return int(version['id'].split('.')[1])


def offered(cache=False, multi_store=False):
    """The versions offered, newest first."""
    rows = VERSIONS + LOCATION_VERSIONS + (CACHE_VERSIONS if cache else ()) + \
        (STORE_VERSIONS if multi_store else ())
    rows += TASK_VERSIONS
    rows += IMPORT_VERSIONS + (COPY_IMAGE_VERSIONS if multi_store else ())
    return tuple(sorted(rows, key=_minor, reverse=True))


def known_minors(cache=False, multi_store=False):
    return {_minor(v) for v in offered(cache, multi_store)}
