"""POST /v2/images/{id}/import from its body to a submitted task, as upstream's
import_image decides it (its checks, codes and messages), free of Flask.

The order: the body (400); the image (404), its status for the method and its formats
(409); the policy (copy_image for copy-image, else modify_image: 403); a lock held by
another task (409, unless stale by upstream's rules: its task gone, or older than an hour,
two when still pending, then taken over); the stores (unknown 409, with several stores
only); the web-download URI's filtering (400). Then the task (task_create), the lock
(begin_import, atomically) and the work handed to the TaskRunner. A glance-direct import of
data staged on another api worker is not handled here: the view proxies it (proxy.py).
"""

import datetime
import logging
import uuid

from api_service import exceptions as api_exceptions
from api_service import policy
from api_service.imports import filtering
from api_service.imports import flow
from api_service.imports import web_download
from api_service.services import upload
from common import exceptions

LOG = logging.getLogger(__name__)

TASK_TYPE = 'api_image_import'
LOCK = 'os_glance_import_task'
STAGE_HOST = 'os_glance_stage_host'
LOCK_EXPIRY = datetime.timedelta(minutes=60)
BUSTABLE = ('pending', 'processing', 'success', 'failure')


class ImportRequest:
    """The import body, checked (upstream's _validate_import_body, plus Glimpse's
    method.expected_hash)."""

    def __init__(self, body, enabled_methods, hashing_algorithm):
        if not isinstance(body, dict):
            raise api_exceptions.BadRequest('Import request body must be a JSON object.')
        method = body.get('method')
        if not isinstance(method, dict):
            raise api_exceptions.BadRequest("Import request requires a 'method' field.")
        name = method.get('name')
        if name is None:
            raise api_exceptions.BadRequest("Import request requires a 'name' field.")
        if name not in enabled_methods:
            raise api_exceptions.BadRequest("Unknown import method name '%s'." % (name,))
        self.all_stores_must_succeed = body.get('all_stores_must_succeed', True)
        if not isinstance(self.all_stores_must_succeed, bool):
            raise api_exceptions.BadRequest(
                "'all_stores_must_succeed' must be boolean value only")
        self.all_stores = body.get('all_stores', False)
        if not isinstance(self.all_stores, bool):
            raise api_exceptions.BadRequest("'all_stores' must be boolean value only")
        self.stores = body.get('stores')
        if self.stores is not None and (not isinstance(self.stores, list) or not all(
                isinstance(s, str) for s in self.stores)):
            raise api_exceptions.BadRequest("'stores' must be a list of store ids.")
        self.method = name
        self.uri = method.get('uri')
        self.expected_hash = None
        if 'expected_hash' in method:
            if name != flow.WEB_DOWNLOAD:
                raise api_exceptions.BadRequest(
                    'method.expected_hash is only for the web-download method.')
            try:
                self.expected_hash = web_download.ExpectedHash(method['expected_hash'],
                                                               hashing_algorithm)
            except ValueError as exc:
                raise api_exceptions.BadRequest(str(exc)) from None
        self.body = body


def _parse_time(value):
    return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%S.%fZ') if value else None


def stale_lock(parts, ctx, image):
    """None when the image has no lock; the task id of a stale lock to take over;
    Conflict while the lock is valid (upstream's _enforce_import_lock)."""
    holder = image['properties'].get(LOCK)
    if not holder:
        return None
    admin = flow.elevated(ctx)
    try:
        task = parts.registry.task_get(admin, task_id=holder)
    except exceptions.NotFound:
        LOG.warning('Image %s has the import lock of task %s, which does not exist; '
                    'taking it over.', image['id'], holder)
        return holder
    expiry = LOCK_EXPIRY * (2 if task['status'] == 'pending' else 1)
    updated = _parse_time(task.get('updated_at'))
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    if task['status'] in BUSTABLE and updated is not None and now - updated >= expiry:
        if task['status'] in ('pending', 'processing'):
            try:
                parts.registry.task_update(admin, task_id=holder, values={
                    'status': 'failure', 'message': 'Expired lock preempted'})
            except exceptions.GlimpseError as exc:
                LOG.info('Could not fail the stale import task %s: %s', holder, exc)
        LOG.warning('Image %s: the import lock of task %s (%s) expired; taking it over.',
                    image['id'], holder, task['status'])
        return holder
    raise exceptions.Conflict('Image has active task')


def _check_status(image, method):
    status = image['status']
    if status == 'active' and method != flow.COPY_IMAGE:
        raise exceptions.Conflict('Image with status active cannot be target for import')
    if status != 'active' and method == flow.COPY_IMAGE:
        raise exceptions.Conflict('Only images with status active can be targeted for '
                                  'copying')
    if status != 'queued' and method == flow.WEB_DOWNLOAD:
        raise exceptions.Conflict("Image needs to be in 'queued' state to use '%s' method"
                                  % method)
    if status != 'uploading' and method == flow.GLANCE_DIRECT:
        raise exceptions.Conflict("Image needs to be staged before 'glance-direct' method "
                                  "can be used")
    if not image.get('container_format'):
        raise exceptions.Conflict("'container_format' needs to be set before import")
    if not image.get('disk_format'):
        raise exceptions.Conflict("'disk_format' needs to be set before import")


def target_stores(parts, request, store_header, image):
    """The store ids to import into ([None] with one store); None when a copy has
    nothing to do."""
    if not parts.multi_store:
        return [None]
    if request.all_stores:
        if request.stores is not None or store_header:
            raise api_exceptions.BadRequest("All_stores parameter can't be used with "
                                            "x-image-meta-store header or stores parameter")
        stores = [s.store_id for s in parts.stores.all() if s.can(parts.write_capability)]
    elif request.stores is not None:
        if store_header:
            raise api_exceptions.BadRequest("Stores parameter and x-image-meta-store header "
                                            "can't be both specified")
        stores = list(request.stores)
    else:
        stores = [store_header or parts.stores.default.store_id]
    for store_id in stores:
        if store_id not in parts.stores.ids():
            raise exceptions.Conflict('Unknown scheme \'%s\' found in URI' % store_id)
    if request.method == flow.COPY_IMAGE:
        present = set(image.get('stores') or ())
        if request.all_stores:
            stores = [s for s in stores if s not in present]
            if not stores:
                return None
        else:
            for store_id in stores:
                if store_id in present:
                    raise api_exceptions.BadRequest("Image is already present at store '%s'"
                                                    % store_id)
    return stores


def prepare(parts, pol, ctx, image_id, body, store_header=None):
    """Every check before the task: -> (ImportRequest, image, stores, steal_from), with
    stores None for a copy with nothing to do."""
    request = ImportRequest(body, parts.conf.enabled_import_methods,
                            parts.conf.hashing_algorithm)
    image = parts.registry.image_get(ctx, image_id=image_id)
    policy.check_visible(pol, ctx, image)
    _check_status(image, request.method)
    policy.check_image_action(pol, ctx, image, 'copy_image' if request.method ==
                              flow.COPY_IMAGE else 'modify_image')
    steal_from = stale_lock(parts, ctx, image)
    stores = target_stores(parts, request, store_header, image)
    if not request.all_stores_must_succeed and not parts.multi_store:
        raise api_exceptions.BadRequest('All_stores_must_succeed can only be set with '
                                        'enabled_backends %s' % (request.uri,))
    if request.method == flow.WEB_DOWNLOAD:
        filtering.check_uri(parts.conf.import_filtering_opts, request.uri)
    return request, image, stores, steal_from


def proxy_target(parts, image, method):
    """The worker to send a glance-direct import to, or None when it is this one."""
    host = image['properties'].get(STAGE_HOST)
    if method == flow.GLANCE_DIRECT and host and host.rstrip('/') != parts.self_url:
        return host.rstrip('/')
    return None


def start(parts, ctx, request, image, stores, steal_from):
    """Create the task, take the lock, hand the work to the runner; -> the task."""
    task_ctx = flow.elevated(ctx) if request.method == flow.COPY_IMAGE else ctx
    task_input = {'image_id': image['id'], 'import_req': request.body,
                  'backend': [s for s in stores if s] or [None]}
    task = parts.registry.task_create(ctx, values={
        'id': str(uuid.uuid4()), 'type': TASK_TYPE, 'input': task_input,
        'image_id': image['id']})
    quota = upload.storage_quota_bytes(parts.conf.user_storage_quota)
    try:
        begun = parts.registry.begin_import(
            task_ctx, image_id=image['id'], task_id=task['id'], import_method=request.method,
            stores=[s for s in stores if s], steal_from=steal_from,
            quotas={'user_storage_quota': quota} if quota > 0 else None)
    except exceptions.GlimpseError as exc:
        _fail_task(parts, ctx, task, str(exc))
        if isinstance(exc, exceptions.Conflict) and not isinstance(
                exc, exceptions.InvalidStatusTransition):
            raise exceptions.Conflict("New operation on image '%s' is not permitted as "
                                      "prior operation is still in progress" % image['id'],
                                      image_id=image['id']) from exc
        raise
    work = flow.ImportWork(parts, task_ctx, begun, task['id'], request.method, stores,
                           request.all_stores_must_succeed, uri=request.uri,
                           expected_hash=request.expected_hash)
    try:
        parts.submit(ctx, task, work)
    except Exception as exc:
        LOG.exception('Could not start import task %s', task['id'])
        work._end(failed=True)
        parts.staging.remove_all_of(image['id'])
        _fail_task(parts, ctx, task, 'The import could not be started: %s' % exc)
        raise
    return task


def _fail_task(parts, ctx, task, message):
    try:
        parts.registry.task_update(ctx, task_id=task['id'],
                                   values={'status': 'failure', 'message': message})
    except exceptions.GlimpseError as exc:
        LOG.warning('Could not mark task %s failed: %s', task['id'], exc)
