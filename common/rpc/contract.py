"""The registry RPC contract: one entry per intent-level call, with the version it appeared in.

Version history (bump the minor for every new method or optional argument):

* 1.0 - ping, image_create, image_get, image_list, image_update, image_delete,
        begin_upload, finish_upload, abort_upload
* 1.1 - image members (image_member_create/list/get/update/delete), tags
        (image_tag_add/delete), deactivate, reactivate; optional ``quotas`` on
        image_create, image_update and begin_upload, optional ``expected_size`` on
        begin_upload
* 1.2 - optional ``virtual_size`` on finish_upload (from the api's format inspection)
* 1.3 - renew_upload (the api keeps an upload's lease alive while bytes flow)
* 1.4 - image_list takes one ``query`` (common.list_query.ListQuery.to_dict()) in place of
        ``filters``, ``marker``, ``limit``, ``sort_keys`` and ``sort_dirs``; optional
        ``internal`` on image_get; the internal keys ``location`` and ``upload_expires_at``
        travel only in the results that need them; image_update's unused
        ``expected_status`` is retired
* 1.5 - upload claims: optional ``upload_token`` and ``holder`` on begin_upload, optional
        ``upload_token`` on renew_upload, finish_upload and abort_upload (a token that is
        no longer the image's -> UploadSuperseded); release_uploads (glance-api's master
        hands back the uploads of a worker that died)
* 1.6 - delayed delete and glance-scrubber: optional ``delayed`` on image_delete;
        image_data_left, scrub_claim, scrub_finish, image_restore
* 1.7 - the metadata definitions catalog (metadefs): metadef_namespace_list/get/create/
        update/delete, metadef_item_create/update/delete, metadef_items_delete,
        metadef_tags_create, metadef_resource_type_list, metadef_association_create/delete
* 1.8 - the image cache's records (centralized_db): cache_record_add, cache_record_hits,
        cache_record_remove, cache_record_list, cache_node_list
* 1.9 - image locations with their store: optional ``store_id`` on finish_upload (the
        backend id the data went to); image_get(internal=True) and image_delete answer
        ``store_id`` and ``stores`` beside ``location``, scrub_claim entries ``store_id``
* 1.10 - every image dict carries ``stores`` (the ids of the stores holding the image's
        data, the image's ``stores`` attribute); image_location_delete (DELETE
        /v2/stores/{store_id}/{image_id}); image_delete answers ``locations`` too
        ([{'url', 'store_id'}], every live copy, oldest first), queues each for the
        scrubber when delayed, and image_data_left takes any of them
* 1.11 - the locations API (PATCH /locations, POST and GET /v2/images/{id}/locations):
        image_location_list, image_location_set
* 1.12 - glance-api's tasks (the tasks API, image import; registry_service/tasks.py):
        task_create, task_get, task_list, image_task_list, task_update, task_claim,
        task_renew
* 1.13 - interoperable image import (registry_service/imports.py): begin_stage,
        renew_stage, finish_stage, abort_stage, begin_import, import_store_done,
        import_store_failed, end_import, staged_images

Conventions: arguments are keyword-only primitives; datetimes travel as ISO-8601 UTC strings
(``2026-11-22T13:12:56.123456Z``); every result is a plain dict (or a list of them); errors are
``common.exceptions`` classes. One call is one database transaction. The registry applies
ownership and visibility from the request context and trusts nothing else.

An image travels as::

    {'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
     'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format',
     'disk_format', 'min_ram', 'min_disk', 'created_at', 'updated_at', 'deleted_at', 'deleted',
     'tags': [sorted str], 'properties': {str: str}, 'stores': [str]}

(the base keys are common/image_attributes.py's IMAGE_DICT_FIELDS; ``stores`` since 1.10,
the ids of the stores holding the image's data in the order they got it, [] without data:
a registry before 1.10 leaves it out but in image_get(internal=True) and image_delete).
The internal keys, never shown to users, come only from the calls that need them:
``location`` (the data's store URI or None), with ``store_id`` (the id of the store holding
it, None when unknown) and ``stores`` since 1.9, from image_delete and
image_get(internal=True), ``upload_expires_at`` (ISO string or None) from begin_upload,
renew_upload and image_get(internal=True), ``upload_budget`` from begin_upload. A registry
answers a caller before 1.4 (which sends no ``internal``) with both
keys in image_get, as 1.3 did.

Methods:

ping()
    -> {'ok': True}. For /healthcheck.
image_create(values, properties, tags)
    ``values`` holds base attributes (optional ``id``; ``owner`` already decided by the api).
    An existing id, even of a deleted image -> Duplicate.
image_get(image_id, internal=None)
    Missing, deleted or not visible to the caller -> ImageNotFound. ``internal`` (1.4):
    True adds the internal keys ``location`` and ``upload_expires_at`` (the download path
    reads the location), False leaves them out.
image_list(query)  (1.4)
    Visible, non-deleted images; filtering, sorting (``created_at`` then ``id`` as the last
    tie-breakers) and marker paging happen in SQL. Unknown marker -> MarkerNotFound.
    ``query`` is a common.list_query.ListQuery as to_dict() makes it: typed filters (name,
    explicit operator, typed value; extra properties by equality), tags, visibility,
    member_status, (key, direction) sort pairs, marker and limit; the api parsed the query
    string, the registry checks the dict again (from_dict) and only builds SQL from it.
    Before 1.4: image_list(filters, marker, limit, sort_keys, sort_dirs) with ``filters``
    in the query-string syntax (``in:a,b``, ``gte:<ISO 8601>`` ..., ``tags`` a list,
    ``member_status``); the registry still takes that form (ListQuery.from_legacy) and an
    api capped below 1.4 sends it (ListQuery.to_legacy).
image_update(image_id, changes)
    ``changes`` is a list of ``{'op': 'add'|'replace'|'remove', 'path': name, 'value': v}``
    already checked by the api for read-only / reserved names and value types; ``path`` is a
    base attribute, ``tags`` or an extra property. Applied in order in one transaction with
    upstream's semantics (add sets; replace of a missing property and remove of a missing
    property -> Conflict; remove of a base attribute -> Forbidden; formats change only while
    queued -> Forbidden). Only the owner or an admin may update (others: Forbidden if they
    can see the image, ImageNotFound if not).
image_delete(image_id)
    Soft-deletes (status ``deleted``) and returns the image as it was, with its internal
    ``location``, so the api can remove its bytes. Protected -> Forbidden; not owner nor
    admin -> Forbidden / ImageNotFound.
begin_upload(image_id, lease_seconds)
    queued -> saving, records the upload lease (the image carries ``upload_expires_at``).
    Formats unset -> Invalid; other status ->
    InvalidStatusTransition; not owner nor admin -> Forbidden / ImageNotFound.
finish_upload(image_id, location, size, checksum, os_hash_algo, os_hash_value,
              virtual_size=None, store_id=None)
    saving -> active with the data's attributes. Deleted meanwhile -> ImageNotFound;
    any other status -> InvalidStatusTransition. ``virtual_size`` (1.2) is the disk size
    the api read from the image's format header; None leaves it unset, a value that is not
    a non-negative integer -> Invalid. The location is recorded (image_locations) with
    ``store_id`` (1.9), the backend id of the store holding it; None (older apis) leaves
    the store to be found from the URL.
abort_upload(image_id)
    saving -> queued, clears the lease. Idempotent; a deleted image -> ImageNotFound.
renew_upload(image_id, lease_seconds)  (1.3)
    Moves the lease of an image in ``saving`` to ``lease_seconds`` from now (also when it
    has just passed but was not swept yet) and returns the image with its new
    ``upload_expires_at``. Deleted or not visible ->
    ImageNotFound; any status but saving (the upload finished, or its lease was swept and the
    image is queued again) -> InvalidStatusTransition; not owner nor admin -> Forbidden.
    glance-registry returns every image whose lease has passed to ``queued`` on its own
    ([DEFAULT] upload_sweep_interval), so an upload whose api worker died does not hold its
    image in ``saving`` forever.

begin_upload(..., upload_token=None, holder=None)  (1.5)
    Records the upload's claim: ``upload_token`` (a random string of at most 64 characters
    the api chose for this one upload) and ``holder`` (the api worker receiving it, at most
    255 characters; the key release_uploads takes). Neither is ever returned. Without them
    (an api before 1.5) the upload has no claim and its calls are not checked.
renew_upload(..., upload_token=None) / finish_upload(..., upload_token=None) /
abort_upload(..., upload_token=None)  (1.5)
    With a token, the call acts only on the upload that token began: an image in ``saving``
    under another claim (or under none: the image was handed back and uploaded again by an
    older api) -> UploadSuperseded, and nothing changes. A finish_upload whose token is not
    the image's must publish nothing: the api removes the data it wrote. abort_upload of an
    image already ``queued`` stays idempotent. Without a token, the calls act as before 1.5.
release_uploads(holder)  (1.5)
    glance-api's master, when one of its workers died: every image in ``saving`` whose
    upload that worker holds goes back to ``queued`` at once (a compare-and-swap on status
    and holder; the lease no longer matters), its claim and lease cleared. -> [{'id',
    'owner'}] of the images handed back. Admin context only (else Forbidden).

``quotas`` (1.1) is the api's configured limits, enforced by the registry inside the
transaction that would exceed them (QuotaExceeded): ``{'image_property_quota': int,
'image_tag_quota': int, 'image_member_quota': int, 'user_storage_quota': int bytes}``; a
missing key or a negative value means unlimited.

begin_upload(..., quotas=None, expected_size=None)  (1.1)
    Also refuses (QuotaExceeded) when the owner's stored bytes plus ``expected_size`` pass
    ``user_storage_quota``; the image it returns carries the internal key
    ``upload_budget``: how many bytes this upload may still write (None = unlimited).
image_member_create(image_id, member_id, quotas=None)
    Owner (or admin) only; the image must be ``shared`` (else Forbidden); duplicate ->
    Duplicate; over ``image_member_quota`` -> QuotaExceeded. New status ``pending``.
    A member travels as ``{'image_id', 'member_id', 'status', 'created_at',
    'updated_at'}``.
image_member_list(image_id) / image_member_get(image_id, member_id)
    The owner sees every member; a member sees only itself; others -> NotFound.
image_member_update(image_id, member_id, status)
    Only the member itself (or an admin) changes its status (pending / accepted /
    rejected); the owner -> Forbidden.
image_member_delete(image_id, member_id)
    Owner (or admin) only; returns the removed member.
image_tag_add(image_id, tag, quotas=None) / image_tag_delete(image_id, tag)
    Return the image. Adding is idempotent; deleting a missing tag -> NotFound; over
    ``image_tag_quota`` -> QuotaExceeded.
image_delete(image_id, delayed=None)  (1.6)
    ``delayed`` (glance-api's delayed_delete): an image with data goes to
    ``pending_delete`` (deleted for users: gone from lists and image_get) and its data is
    queued for glance-scrubber; the result then carries ``data_queued: True`` and the api
    leaves the data alone. An image without data is deleted outright.
image_data_left(image_id, location, error)  (1.6)
    The api deleted the image but could not remove its data at ``location`` (the
    ``location`` image_delete returned): queued for glance-scrubber with ``error`` as the
    reason, so the data is retried until it is gone. Owner or admin; an image that is not
    deleted, or unknown -> ImageNotFound. -> {'image_id', 'location'}.
scrub_claim(scrub_time, limit, claim_seconds)  (1.6)
    Admin only (else Forbidden). Takes up to ``limit`` queued removals that are due (a
    ``pending_delete`` image's once ``scrub_time`` seconds have passed since its delete, a
    deleted image's left-behind data at once) and not held by another scrubber, each for
    ``claim_seconds``: -> [{'id', 'image_id', 'location', 'store_id', 'image_status',
    'attempts'}] (``store_id`` since 1.9: the store holding the data, None when unknown),
    fewest attempts first, then oldest. Scrubbers asking at once never get the same entry;
    a passed claim is free again.
scrub_finish(deletion_id, error=None)  (1.6)
    Admin only. ``error`` None: the data is gone; the entry goes and a ``pending_delete``
    image with nothing left queued becomes ``deleted``. An entry already gone (finished by
    another scrubber) is no error. With ``error``: the entry stays, released, with the
    reason and one more attempt. -> {'image_id', 'image_status', 'done'}.
image_restore(image_id)  (1.6)
    Admin only. ``pending_delete`` -> ``active`` (glance-scrubber --restore), its queued
    removals dropped; -> the image. Unknown -> ImageNotFound; another status ->
    InvalidStatusTransition; data held by a scrubber right now -> Conflict.
metadef_*  (1.7)
    The metadata definitions catalog, one call per API request; registry_service/metadefs.py
    describes the dicts and the rules (a namespace the caller cannot see -> NotFound; a
    change by another project than the owner's, unless admin -> Forbidden; a protected
    namespace or its contents deleted -> Forbidden; a name taken -> Duplicate).
    metadef_namespace_list(query) with query {'marker', 'limit', 'sort_key', 'sort_dir',
    'visibility', 'resource_types'}; metadef_namespace_get(namespace): the namespace with
    its associations, properties, objects and tags (the api serves every read inside a
    namespace from it); metadef_namespace_create(values, properties, objects, tags,
    resource_type_associations); metadef_namespace_update(namespace, values);
    metadef_namespace_delete(namespace). ``kind`` is 'properties', 'objects' or 'tags':
    metadef_item_create(namespace, kind, item), metadef_item_update(namespace, kind, name,
    item), metadef_item_delete(namespace, kind, name), metadef_items_delete(namespace,
    kind) (all of them); metadef_tags_create(namespace, tags, append).
    metadef_resource_type_list(); metadef_association_create(namespace, association),
    metadef_association_delete(namespace, resource_type).
cache_record_*, cache_node_list  (1.8)
    The image cache's records (registry_service/cache_records.py), written and read by
    glance-api with its own admin context (else Forbidden); times are seconds since the
    epoch, as the cache API shows them. cache_record_add(node_reference, image_id, size,
    last_modified): a copy published on the node (a record new or reset, hits 0) -> the
    record {'image_id', 'size', 'hits', 'last_accessed', 'last_modified'};
    cache_record_hits(node_reference, hits) with hits [[image_id, count, last_accessed]]
    -> {'updated'}; cache_record_remove(node_reference, image_ids=None) (None: all the
    node's) -> {'removed'}; cache_record_list(node_reference) -> [record];
    cache_node_list(image_id) -> [node_reference]. image_delete and deactivate drop every
    node's record of the image.
image_location_delete(image_id, store_id)  (1.10)
    Removes the image's location in store ``store_id`` (its status ``deleted``), as
    upstream's DELETE /v2/stores/{store_id}/{image_id}: owner or admin (Forbidden /
    ImageNotFound); an image not ``active`` -> Conflict; the image's only store ->
    Forbidden (delete the image instead); not in that store -> NotFound. -> the image as it
    is now, with the removed ``location`` and its ``store_id``: the api removes that data.
image_location_list(image_ids)  (1.11)
    {image id: [location]} for those of ``image_ids`` the caller may see (the others are
    left out), each image's active locations first first, a location being
    ``{'id', 'url', 'metadata' (object), 'store_id' (str or None)}``.
image_location_set(image_id, expected=None, locations=None, values=None, statuses=None,
        status=None)  (1.11)
    One change of an image's locations, as the api computed it: the image's list becomes
    ``locations`` (None: unchanged; entries ``{'id'?, 'url', 'metadata', 'store_id'}``, an
    entry with the ``id`` of a location in the same place keeps it), ``values`` (any of
    size, checksum, os_hash_algo, os_hash_value; None clears one) are set and the status
    becomes ``status`` (None: unchanged; a transition the status table refuses ->
    InvalidStatusTransition). ``expected``: the ids of the live locations as the api read
    them, which must still be the image's (else Conflict); ``statuses``: the statuses the
    image may be in (else Conflict). Owner or admin (Forbidden / ImageNotFound). -> the
    image with ``locations`` (its list now) and ``removed`` ([{'url', 'store_id'}], the old
    locations whose url is gone: the api decides about their data). ``import_task``
    (1.14): the id of the location_import task hashing the new location; with ``status``
    importing it takes the import lock (os_glance_import_task; held by another task ->
    Conflict), so the task sweep hands the image back to queued if that task's worker
    dies; with another status it releases it (no longer held by that task -> Conflict).
task_create(values)  (1.12)
    ``values``: {'type', 'input' (object or None), optional 'id' (the api's uuid) and
    'image_id'}; owner, user_id and request_id come from the context. -> the task, status
    ``pending``. A task travels as ``{'id', 'type', 'status', 'owner', 'input', 'result',
    'message', 'image_id', 'request_id', 'user_id', 'created_at', 'updated_at',
    'expires_at'}`` (``input`` and ``result`` objects or None). An existing id -> Duplicate.
task_get(task_id)  (1.12)
    The task, for its owner or an admin; others, unknown, deleted or expired (its
    ``expires_at`` passed) -> NotFound.
task_list(filters=None, marker=None, limit=None, sort_key=None, sort_dir=None)  (1.12)
    The caller's live tasks (an admin's: everyone's), ``filters`` {'type', 'status',
    'owner', 'image_id', 'user_id', 'request_id'} by equality, sorted by ``sort_key``
    (created_at by default; created_at then id break ties) in ``sort_dir`` (desc by
    default), after the task ``marker`` (unknown -> MarkerNotFound), at most ``limit``.
image_task_list(image_id)  (1.12)
    The live tasks of an image the caller may see (else ImageNotFound), oldest first: all
    of them for the image's owner or an admin, the caller's own ones for anybody else.
task_update(task_id, values, holder=None, time_to_live=None)  (1.12)
    Owner or admin. ``values`` may change 'status', 'result' (object or None), 'message',
    'image_id'; status moves pending -> processing -> success | failure, or pending ->
    failure (else Conflict); a finished task changes no more (Conflict). Given a
    ``holder``, the task must be processing under that
    holder (else Conflict: the sweep failed it, another worker holds it). Finishing
    (success / failure) ends the lease and sets ``expires_at`` ``time_to_live`` hours
    ([task] task_time_to_live, 48 when None) from now. -> the task.
task_claim(task_id, holder, lease_seconds)  (1.12)
    pending -> processing for the api worker ``holder`` (at most 255 characters), with a
    lease of ``lease_seconds``; another status -> Conflict. -> the task.
task_renew(task_id, holder, lease_seconds)  (1.12)
    Moves the lease of the task ``holder`` runs, or holds pending in its queue (a pending
    task nobody holds becomes ``holder``'s), to ``lease_seconds`` from now; any other task
    -> Conflict (the worker stops its work). Its ``updated_at`` moves too (a heartbeat, as
    upstream's running import saves its task). -> the task.
    glance-registry fails every pending or processing task whose lease passed (its worker
    died) with a message saying so and hands back the image an import task held ([DEFAULT]
    upload_sweep_interval); expired tasks are marked deleted.
begin_stage(image_id, lease_seconds, quotas=None, expected_size=None, upload_token=None,
        holder=None)  (1.13)
    PUT /v2/images/{id}/stage: queued -> uploading under an upload lease (as begin_upload:
    the same claim, quota check and ``upload_budget``); renew_stage(image_id,
    lease_seconds, upload_token=None) renews it (an image no longer staging ->
    InvalidStatusTransition, another claim -> UploadSuperseded); the registry's lease sweep
    returns a staging image whose lease passed to queued. finish_stage(image_id, size,
    upload_token=None, stage_host=None, virtual_size=None) ends the lease, records
    ``size``, ``virtual_size`` and the host holding the data (os_glance_stage_host); the
    image stays uploading. abort_stage(image_id, upload_token=None): uploading -> queued
    (queued stays queued).
begin_import(image_id, task_id, import_method, stores, steal_from=None, quotas=None)
        (1.13)
    Takes the import lock (os_glance_import_task = ``task_id``) while it is free or still
    ``steal_from`` (a stale lock the api breaks), else Conflict; glance-direct needs the
    image uploading, web-download queued (both -> importing), copy-image active (stays);
    another status -> InvalidStatusTransition. Sets os_glance_importing_to_stores to
    ``stores`` and clears them from os_glance_failed_import. -> the image with
    ``upload_budget`` (web-download's storage quota room, None when unlimited).
import_store_done(image_id, task_id, store_id, location, size, checksum, os_hash_algo,
        os_hash_value, virtual_size=None, disk_format=None)  (1.13)
    The data is in ``store_id``: a location is added; an importing image takes these
    attributes (it becomes active at end_import). import_store_failed(image_id, task_id,
    store_id) records a store that failed. Both need ``task_id`` to hold the lock (else Conflict).
end_import(image_id, task_id, failed=False)  (1.13)
    Releases ``task_id``'s lock (a lock held by another task is left alone). An image still
    importing becomes active if not ``failed`` and its data is in a store; else it returns
    to queued, the stores it did not reach in os_glance_failed_import and the locations the
    import added removed: -> the image with ``removed_locations`` [{'url', 'store_id'}].
staged_images(image_ids)  (1.13)
    Admin only: {image_id: status} of those images not deleted and uploading or importing
    (glance-api's staging sweep removes the staged data of the others).
deactivate(image_id) / reactivate(image_id)
    active|deactivated -> deactivated; deactivated|active -> active; other statuses ->
    ImageActionNotAllowed (an InvalidStatusTransition, which the api answers with 403, as
    upstream's domain layer does). Return the image.
"""

NAMESPACE = 'glance_registry'
VERSION = '1.14'

# name -> version that introduced it; RegistryClient and RegistryEndpoint expose exactly these.
METHODS = {
    'ping': '1.0',
    'image_create': '1.0',
    'image_get': '1.0',
    'image_list': '1.0',
    'image_update': '1.0',
    'image_delete': '1.0',
    'begin_upload': '1.0',
    'finish_upload': '1.0',
    'abort_upload': '1.0',
    'image_member_create': '1.1',
    'image_member_list': '1.1',
    'image_member_get': '1.1',
    'image_member_update': '1.1',
    'image_member_delete': '1.1',
    'image_tag_add': '1.1',
    'image_tag_delete': '1.1',
    'deactivate': '1.1',
    'reactivate': '1.1',
    'renew_upload': '1.3',
    'release_uploads': '1.5',
    'image_data_left': '1.6',
    'scrub_claim': '1.6',
    'scrub_finish': '1.6',
    'image_restore': '1.6',
    'metadef_namespace_list': '1.7',
    'metadef_namespace_get': '1.7',
    'metadef_namespace_create': '1.7',
    'metadef_namespace_update': '1.7',
    'metadef_namespace_delete': '1.7',
    'metadef_item_create': '1.7',
    'metadef_item_update': '1.7',
    'metadef_item_delete': '1.7',
    'metadef_items_delete': '1.7',
    'metadef_tags_create': '1.7',
    'metadef_resource_type_list': '1.7',
    'metadef_association_create': '1.7',
    'metadef_association_delete': '1.7',
    'cache_record_add': '1.8',
    'cache_record_hits': '1.8',
    'cache_record_remove': '1.8',
    'cache_record_list': '1.8',
    'cache_node_list': '1.8',
    'image_location_delete': '1.10',
    'image_location_list': '1.11',
    'image_location_set': '1.11',
    'task_create': '1.12',
    'task_get': '1.12',
    'task_list': '1.12',
    'image_task_list': '1.12',
    'task_update': '1.12',
    'task_claim': '1.12',
    'task_renew': '1.12',
    'begin_stage': '1.13',
    'renew_stage': '1.13',
    'finish_stage': '1.13',
    'abort_stage': '1.13',
    'begin_import': '1.13',
    'import_store_done': '1.13',
    'import_store_failed': '1.13',
    'end_import': '1.13',
    'staged_images': '1.13',
}

# Optional arguments added after their method: (method, argument) -> version. A call is sent
# at the newest version among its method's and its arguments' that it actually uses, so a
# registry held back by [registry] version_cap is never sent what it does not know.
OPTIONAL_ARGUMENTS = {
    ('image_create', 'quotas'): '1.1',
    ('image_update', 'quotas'): '1.1',
    ('begin_upload', 'quotas'): '1.1',
    ('begin_upload', 'expected_size'): '1.1',
    ('finish_upload', 'virtual_size'): '1.2',
    ('image_get', 'internal'): '1.4',
    ('image_list', 'query'): '1.4',
    ('begin_upload', 'upload_token'): '1.5',
    ('begin_upload', 'holder'): '1.5',
    ('renew_upload', 'upload_token'): '1.5',
    ('finish_upload', 'upload_token'): '1.5',
    ('abort_upload', 'upload_token'): '1.5',
    ('image_delete', 'delayed'): '1.6',
    ('finish_upload', 'store_id'): '1.9',
    ('image_location_set', 'import_task'): '1.14',
}

# Arguments that callers before a version sent and callers since do not: (method, argument)
# -> the version that retired it. The endpoint still accepts them, for apis of the older
# version (or held back by version_cap) during a rolling upgrade; the client never sends
# them but to a registry below that version.
RETIRED_ARGUMENTS = {
    ('image_list', 'filters'): '1.4',
    ('image_list', 'marker'): '1.4',
    ('image_list', 'limit'): '1.4',
    ('image_list', 'sort_keys'): '1.4',
    ('image_list', 'sort_dirs'): '1.4',
    # Never used; apis before 1.4 send it as None.
    ('image_update', 'expected_status'): '1.4',
}


def version_tuple(version):
    major, minor = version.split('.')
    return int(major), int(minor)
