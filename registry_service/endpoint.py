"""The registry's RPC endpoint: one method per entry of common.rpc.contract.

Each method unpacks its keyword arguments, runs one transaction through images.py, listing.py,
uploads.py, members.py, tags.py, actions.py, scrubbing.py, tasks.py or metadefs.py and returns
plain dicts. A transaction that loses a deadlock or a lock wait is run again whole, a few
times (db.session.retrying). Only common.exceptions leave it on purpose: a lost database becomes
DatabaseUnavailable, anything else is a bug, logged here and left to become a 500 on the api
side.
"""

import functools

import oslo_messaging
import sqlalchemy as sa
from oslo_log import log as logging

from common import exceptions
from common import list_query
from common.rpc import contract
from registry_service import actions
from registry_service import cache_records
from registry_service import images
from registry_service import imports
from registry_service import listing
from registry_service import locations as image_locations
from registry_service import members
from registry_service import metadefs
from registry_service import scrubbing
from registry_service import tags
from registry_service import tasks
from registry_service import uploads
from registry_service.db import session as db_session

LOG = logging.getLogger(__name__)

# Errors meaning "the database is not there right now", not "this call is wrong" (and lock
# conflicts that outlasted the retries).
UNAVAILABLE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError,
                      sa.exc.DisconnectionError, sa.exc.TimeoutError)
# MySQL error codes that pymysql reports as OperationalError although they refuse a value
# (incorrect string value, out of range, data truncated, data too long), not a lost server.
_MYSQL_VALUE_ERRORS = (1264, 1265, 1366, 1406)


def _refused_value(exc):
    """True when the database refused a value of the call, rather than being unavailable.

    The api validates what it sends, so this is a last line of defence: the caller gets a
    400 rather than a 503 or a 500 for a value one backend takes and another refuses.
    """
    if isinstance(exc, sa.exc.DataError):
        return True
    code = getattr(getattr(exc, 'orig', None), 'args', (None,))[:1]
    return isinstance(exc, sa.exc.OperationalError) and bool(code) and \
        code[0] in _MYSQL_VALUE_ERRORS


def _rpc(method):
    @functools.wraps(method)
    def call(self, ctxt, **kwargs):
        # The context serializer stored ctxt as the thread's current context, so oslo.log
        # prefixes these lines with its request id.
        LOG.debug('%s for project %s', method.__name__, ctxt.project_id)
        try:
            try:
                return db_session.retrying(lambda: method(self, ctxt, **kwargs))
            except (sa.exc.DataError,) + UNAVAILABLE_ERRORS as exc:
                if _refused_value(exc):
                    LOG.warning('%s: the database refused a value: %s', method.__name__, exc)
                    raise exceptions.Invalid('The database refused a value of the request.') \
                        from exc
                LOG.error('%s: database unavailable: %s', method.__name__, exc)
                raise exceptions.DatabaseUnavailable() from exc
        except exceptions.GlimpseError as exc:
            LOG.debug('%s refused: %s: %s', method.__name__, type(exc).__name__, exc)
            # An answer, not a failure: oslo.messaging sends it back without logging a
            # server-side traceback.
            raise oslo_messaging.ExpectedException() from exc
        except Exception:
            LOG.exception('%s failed unexpectedly', method.__name__)
            raise
    return call


class RegistryEndpoint:
    target = oslo_messaging.Target(namespace=contract.NAMESPACE, version=contract.VERSION)

    def __init__(self, database):
        self._db = database

    @_rpc
    def ping(self, ctxt):
        # Answering proves the bus and this process; the query proves the database too.
        self._db.ping()
        return {'ok': True}

    @_rpc
    def image_create(self, ctxt, *, values, properties, tags, quotas=None):
        return images.create(self._db, ctxt, values, properties, tags, quotas)

    @_rpc
    def image_get(self, ctxt, *, image_id, internal=None):
        # No ``internal``: a caller before 1.4, which read the location from any image_get.
        return images.get(self._db, ctxt, image_id,
                          internal=True if internal is None else internal)

    @_rpc
    def image_list(self, ctxt, *, query=None, filters=None, marker=None, limit=None,
                   sort_keys=None, sort_dirs=None):
        if query is not None:
            query = list_query.ListQuery.from_dict(query)
        else:
            # A caller before 1.4: the retired arguments, in the query-string syntax.
            query = list_query.ListQuery.from_legacy(filters, marker, limit, sort_keys,
                                                     sort_dirs)
        return listing.list_images(self._db, ctxt, query)

    @_rpc
    def image_update(self, ctxt, *, image_id, changes, quotas=None, expected_status=None):
        # expected_status: retired in 1.4 (never used; callers before 1.4 send None).
        return images.update(self._db, ctxt, image_id, changes, quotas)

    @_rpc
    def image_delete(self, ctxt, *, image_id, delayed=None):
        return images.delete(self._db, ctxt, image_id, delayed=bool(delayed))

    @_rpc
    def image_location_delete(self, ctxt, *, image_id, store_id):
        return images.delete_location(self._db, ctxt, image_id, store_id)

    @_rpc
    def image_location_list(self, ctxt, *, image_ids):
        return image_locations.list_of(self._db, ctxt, image_ids)

    @_rpc
    def image_location_set(self, ctxt, *, image_id, expected=None, locations=None,
                           values=None, statuses=None, status=None, import_task=None):
        return image_locations.set_all(self._db, ctxt, image_id, expected, locations,
                                       values, statuses, status, import_task)

    @_rpc
    def image_data_left(self, ctxt, *, image_id, location, error):
        return scrubbing.record_left(self._db, ctxt, image_id, location, error)

    @_rpc
    def scrub_claim(self, ctxt, *, scrub_time, limit, claim_seconds):
        return scrubbing.claim(self._db, ctxt, scrub_time, limit, claim_seconds)

    @_rpc
    def scrub_finish(self, ctxt, *, deletion_id, error=None):
        return scrubbing.finish(self._db, ctxt, deletion_id, error)

    @_rpc
    def image_restore(self, ctxt, *, image_id):
        return scrubbing.restore(self._db, ctxt, image_id)

    @_rpc
    def begin_upload(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None,
                     upload_token=None, holder=None):
        return uploads.begin(self._db, ctxt, image_id, lease_seconds, quotas, expected_size,
                             upload_token, holder)

    @_rpc
    def finish_upload(self, ctxt, *, image_id, location, size, checksum, os_hash_algo,
                      os_hash_value, virtual_size=None, upload_token=None, store_id=None):
        return uploads.finish(self._db, ctxt, image_id, location, size, checksum,
                              os_hash_algo, os_hash_value, virtual_size, upload_token,
                              store_id)

    @_rpc
    def abort_upload(self, ctxt, *, image_id, upload_token=None):
        return uploads.abort(self._db, ctxt, image_id, upload_token)

    @_rpc
    def renew_upload(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        return uploads.renew(self._db, ctxt, image_id, lease_seconds, upload_token)

    @_rpc
    def release_uploads(self, ctxt, *, holder):
        released = uploads.release(self._db, ctxt, holder)
        for image in released:
            LOG.warning('Upload of image %s (owner %s) abandoned: its api worker %s died; '
                        'the image is queued again.', image['id'], image['owner'], holder)
        return released

    @_rpc
    def image_member_create(self, ctxt, *, image_id, member_id, quotas=None):
        return members.create(self._db, ctxt, image_id, member_id, quotas)

    @_rpc
    def image_member_list(self, ctxt, *, image_id):
        return members.list_members(self._db, ctxt, image_id)

    @_rpc
    def image_member_get(self, ctxt, *, image_id, member_id):
        return members.get(self._db, ctxt, image_id, member_id)

    @_rpc
    def image_member_update(self, ctxt, *, image_id, member_id, status):
        return members.update(self._db, ctxt, image_id, member_id, status)

    @_rpc
    def image_member_delete(self, ctxt, *, image_id, member_id):
        return members.delete(self._db, ctxt, image_id, member_id)

    @_rpc
    def image_tag_add(self, ctxt, *, image_id, tag, quotas=None):
        return tags.add(self._db, ctxt, image_id, tag, quotas)

    @_rpc
    def image_tag_delete(self, ctxt, *, image_id, tag):
        return tags.delete(self._db, ctxt, image_id, tag)

    @_rpc
    def deactivate(self, ctxt, *, image_id):
        return actions.deactivate(self._db, ctxt, image_id)

    @_rpc
    def reactivate(self, ctxt, *, image_id):
        return actions.reactivate(self._db, ctxt, image_id)

    # -- the image cache's records (1.8) -------------------------------------------------------

    @_rpc
    def cache_record_add(self, ctxt, *, node_reference, image_id, size, last_modified):
        return cache_records.add(self._db, ctxt, node_reference, image_id, size,
                                 last_modified)

    @_rpc
    def cache_record_hits(self, ctxt, *, node_reference, hits):
        return cache_records.add_hits(self._db, ctxt, node_reference, hits)

    @_rpc
    def cache_record_remove(self, ctxt, *, node_reference, image_ids=None):
        return cache_records.remove(self._db, ctxt, node_reference, image_ids)

    @_rpc
    def cache_record_list(self, ctxt, *, node_reference):
        return cache_records.list_node(self._db, ctxt, node_reference)

    @_rpc
    def cache_node_list(self, ctxt, *, image_id):
        return cache_records.nodes_of(self._db, ctxt, image_id)

    # -- glance-api's tasks (1.12) ----------------------------------------------------------

    @_rpc
    def task_create(self, ctxt, *, values):
        return tasks.create(self._db, ctxt, values)

    @_rpc
    def task_get(self, ctxt, *, task_id):
        return tasks.get(self._db, ctxt, task_id)

    @_rpc
    def task_list(self, ctxt, *, filters=None, marker=None, limit=None, sort_key=None,
                  sort_dir=None):
        return tasks.list_tasks(self._db, ctxt, filters, marker, limit, sort_key, sort_dir)

    @_rpc
    def image_task_list(self, ctxt, *, image_id):
        return tasks.list_for_image(self._db, ctxt, image_id)

    @_rpc
    def task_update(self, ctxt, *, task_id, values, holder=None, time_to_live=None):
        return tasks.update(self._db, ctxt, task_id, values, holder, time_to_live)

    @_rpc
    def task_claim(self, ctxt, *, task_id, holder, lease_seconds):
        return tasks.claim(self._db, ctxt, task_id, holder, lease_seconds)

    @_rpc
    def task_renew(self, ctxt, *, task_id, holder, lease_seconds):
        return tasks.renew(self._db, ctxt, task_id, holder, lease_seconds)

    # -- the metadata definitions catalog (1.7) ------------------------------------------------

    @_rpc
    def metadef_namespace_list(self, ctxt, *, query):
        return metadefs.list_namespaces(self._db, ctxt, query)

    @_rpc
    def metadef_namespace_get(self, ctxt, *, namespace):
        return metadefs.get_namespace(self._db, ctxt, namespace)

    @_rpc
    def metadef_namespace_create(self, ctxt, *, values, properties, objects, tags,
                                 resource_type_associations):
        return metadefs.create_namespace(self._db, ctxt, values, properties, objects, tags,
                                         resource_type_associations)

    @_rpc
    def metadef_namespace_update(self, ctxt, *, namespace, values):
        return metadefs.update_namespace(self._db, ctxt, namespace, values)

    @_rpc
    def metadef_namespace_delete(self, ctxt, *, namespace):
        return metadefs.delete_namespace(self._db, ctxt, namespace)

    @_rpc
    def metadef_item_create(self, ctxt, *, namespace, kind, item):
        return metadefs.create_item(self._db, ctxt, namespace, kind, item)

    @_rpc
    def metadef_item_update(self, ctxt, *, namespace, kind, name, item):
        return metadefs.update_item(self._db, ctxt, namespace, kind, name, item)

    @_rpc
    def metadef_item_delete(self, ctxt, *, namespace, kind, name):
        return metadefs.delete_item(self._db, ctxt, namespace, kind, name)

    @_rpc
    def metadef_items_delete(self, ctxt, *, namespace, kind):
        return metadefs.delete_items(self._db, ctxt, namespace, kind)

    @_rpc
    def metadef_tags_create(self, ctxt, *, namespace, tags, append):
        return metadefs.create_tags(self._db, ctxt, namespace, tags, append)

    @_rpc
    def metadef_resource_type_list(self, ctxt):
        return metadefs.list_resource_types(self._db, ctxt)

    @_rpc
    def metadef_association_create(self, ctxt, *, namespace, association):
        return metadefs.create_association(self._db, ctxt, namespace, association)

    @_rpc
    def metadef_association_delete(self, ctxt, *, namespace, resource_type):
        return metadefs.delete_association(self._db, ctxt, namespace, resource_type)

    # -- interoperable image import (1.13) ----------------------------------------------------

    @_rpc
    def begin_stage(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None,
                    upload_token=None, holder=None):
        return imports.begin_stage(self._db, ctxt, image_id, lease_seconds, quotas,
                                   expected_size, upload_token, holder)

    @_rpc
    def renew_stage(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        return imports.renew_stage(self._db, ctxt, image_id, lease_seconds, upload_token)

    @_rpc
    def finish_stage(self, ctxt, *, image_id, size, upload_token=None, stage_host=None,
                     virtual_size=None):
        return imports.finish_stage(self._db, ctxt, image_id, size, upload_token, stage_host,
                                    virtual_size)

    @_rpc
    def abort_stage(self, ctxt, *, image_id, upload_token=None):
        return imports.abort_stage(self._db, ctxt, image_id, upload_token)

    @_rpc
    def begin_import(self, ctxt, *, image_id, task_id, import_method, stores, steal_from=None,
                     quotas=None):
        return imports.begin_import(self._db, ctxt, image_id, task_id, import_method, stores,
                                    steal_from, quotas)

    @_rpc
    def import_store_done(self, ctxt, *, image_id, task_id, store_id, location, size, checksum,
                          os_hash_algo, os_hash_value, virtual_size=None, disk_format=None):
        return imports.import_store_done(self._db, ctxt, image_id, task_id, store_id, location,
                                         size, checksum, os_hash_algo, os_hash_value,
                                         virtual_size, disk_format)

    @_rpc
    def import_store_failed(self, ctxt, *, image_id, task_id, store_id):
        return imports.import_store_failed(self._db, ctxt, image_id, task_id, store_id)

    @_rpc
    def end_import(self, ctxt, *, image_id, task_id, failed=False):
        return imports.end_import(self._db, ctxt, image_id, task_id, failed)

    @_rpc
    def staged_images(self, ctxt, *, image_ids):
        return imports.staged_images(self._db, ctxt, image_ids)
