"""RegistryClient: the api's only way to the registry, one method per contract entry.

Every call answers with the registry's result, with the common.exceptions class the registry
raised, or, when no answer came, with RegistryUnavailable: MessageBusUnavailable when the
message bus could not be reached, RegistryUnavailable itself when nobody answered in time.
The transport's own errors (oslo.messaging's, or the AMQP library's beneath it) never reach
the caller.
"""

import sys

import oslo_messaging

from common import exceptions
from common.rpc import contract
from common.rpc import transport as rpc_transport


def broker_connection_errors():
    """The AMQP library's "cannot connect" errors that oslo.messaging lets through.

    oslo.messaging turns a send that finds the broker gone into MessageDeliveryFailure, but
    a call that has to open one more pooled connection while RabbitMQ is down gets kombu's
    OperationalError ("[Errno 111] Connection refused") straight from the driver. common
    does not import kombu: the class is taken from the kombu that oslo.messaging's rabbit
    driver loaded, and no such error can be raised while kombu is not loaded.
    """
    kombu_exceptions = sys.modules.get('kombu.exceptions')
    error = getattr(kombu_exceptions, 'OperationalError', None)
    return (error,) if isinstance(error, type) else ()


class RegistryClient:
    def __init__(self, conf, transport=None, timeout=None):
        """``timeout``: seconds to wait for an answer, [registry] rpc_timeout by default."""
        self._transport = transport or rpc_transport.get_transport(conf)
        self._timeout = timeout or conf.registry.rpc_timeout
        self._client = rpc_transport.get_client(conf, self._transport, timeout=self._timeout)
        self._reply_queue = rpc_transport.ReplyQueue(self._transport)
        # The version_cap is fixed for the client's life, so each answer of can_send_version
        # and each client prepared for a version is made once, not on every call (oslo.messaging
        # builds a new call context for each; a few microseconds apiece, per optional argument).
        self._sendable = {}
        self._prepared = {}

    def _can_send_version(self, version):
        sendable = self._sendable.get(version)
        if sendable is None:
            sendable = self._sendable[version] = self._client.can_send_version(version)
        return sendable

    def _prepared_for(self, version):
        # Preparing only fixes the version: the cap is still checked by each call.
        client = self._prepared.get(version)
        if client is None:
            client = self._prepared[version] = self._client.prepare(version=version)
        return client

    def _call(self, ctxt, method, **kwargs):
        version = contract.METHODS[method]
        for name in list(kwargs):
            since = contract.OPTIONAL_ARGUMENTS.get((method, name))
            if since is None:
                continue
            if kwargs[name] is None or not self._can_send_version(since):
                # Unset, or newer than the registry version_cap allows: the registry's
                # default applies (during a rolling upgrade, e.g., quotas go unchecked
                # until the registries are upgraded).
                del kwargs[name]
            elif contract.version_tuple(since) > contract.version_tuple(version):
                version = since
        client = self._prepared_for(version)
        try:
            self._reply_queue.wait(self._timeout)
        except oslo_messaging.MessagingTimeout as exc:
            raise exceptions.MessageBusUnavailable() from exc
        try:
            return client.call(ctxt, method, **kwargs)
        except oslo_messaging.MessagingTimeout as exc:
            raise exceptions.RegistryUnavailable() from exc
        except oslo_messaging.MessageDeliveryFailure as exc:
            raise exceptions.MessageBusUnavailable() from exc
        except Exception as exc:
            if isinstance(exc, broker_connection_errors()):
                raise exceptions.MessageBusUnavailable() from exc
            raise

    def ping(self, ctxt):
        return self._call(ctxt, 'ping')

    def image_create(self, ctxt, *, values, properties, tags, quotas=None):
        return self._call(ctxt, 'image_create', values=values, properties=properties, tags=tags,
                          quotas=quotas)

    def image_get(self, ctxt, *, image_id, internal=None):
        # Always said (False unless asked): a registry takes a missing ``internal`` for a
        # caller before 1.4 and adds the internal keys.
        return self._call(ctxt, 'image_get', image_id=image_id, internal=bool(internal))

    def image_list(self, ctxt, *, query):
        """``query`` is a common.list_query.ListQuery."""
        since = contract.OPTIONAL_ARGUMENTS['image_list', 'query']
        if self._can_send_version(since):
            return self._call(ctxt, 'image_list', query=query.to_dict())
        # A registry before 1.4 (version_cap): the same query in its argument form.
        return self._call(ctxt, 'image_list', **query.to_legacy())

    def image_update(self, ctxt, *, image_id, changes, quotas=None):
        return self._call(ctxt, 'image_update', image_id=image_id, changes=changes,
                          quotas=quotas)

    def image_delete(self, ctxt, *, image_id, delayed=None):
        # ``delayed`` is dropped for a registry below 1.6 (version_cap): it deletes at once
        # and its result lacks ``data_queued``, so the api removes the data itself.
        return self._call(ctxt, 'image_delete', image_id=image_id, delayed=delayed or None)

    def image_location_delete(self, ctxt, *, image_id, store_id):
        return self._call(ctxt, 'image_location_delete', image_id=image_id, store_id=store_id)

    def image_location_list(self, ctxt, *, image_ids):
        return self._call(ctxt, 'image_location_list', image_ids=image_ids)

    def image_location_set(self, ctxt, *, image_id, expected=None, locations=None,
                           values=None, statuses=None, status=None, import_task=None):
        return self._call(ctxt, 'image_location_set', image_id=image_id, expected=expected,
                          locations=locations, values=values, statuses=statuses,
                          status=status, import_task=import_task)

    def image_data_left(self, ctxt, *, image_id, location, error):
        return self._call(ctxt, 'image_data_left', image_id=image_id, location=location,
                          error=error)

    def scrub_claim(self, ctxt, *, scrub_time, limit, claim_seconds):
        return self._call(ctxt, 'scrub_claim', scrub_time=scrub_time, limit=limit,
                          claim_seconds=claim_seconds)

    def scrub_finish(self, ctxt, *, deletion_id, error=None):
        return self._call(ctxt, 'scrub_finish', deletion_id=deletion_id, error=error)

    def image_restore(self, ctxt, *, image_id):
        return self._call(ctxt, 'image_restore', image_id=image_id)

    def begin_upload(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None,
                     upload_token=None, holder=None):
        return self._call(ctxt, 'begin_upload', image_id=image_id, lease_seconds=lease_seconds,
                          quotas=quotas, expected_size=expected_size,
                          upload_token=upload_token, holder=holder)

    def finish_upload(self, ctxt, *, image_id, location, size, checksum, os_hash_algo,
                      os_hash_value, virtual_size=None, upload_token=None, store_id=None):
        return self._call(ctxt, 'finish_upload', image_id=image_id, location=location,
                          size=size, checksum=checksum, os_hash_algo=os_hash_algo,
                          os_hash_value=os_hash_value, virtual_size=virtual_size,
                          upload_token=upload_token, store_id=store_id)

    def abort_upload(self, ctxt, *, image_id, upload_token=None):
        return self._call(ctxt, 'abort_upload', image_id=image_id, upload_token=upload_token)

    def renew_upload(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        return self._call(ctxt, 'renew_upload', image_id=image_id, lease_seconds=lease_seconds,
                          upload_token=upload_token)

    def release_uploads(self, ctxt, *, holder):
        return self._call(ctxt, 'release_uploads', holder=holder)

    def image_member_create(self, ctxt, *, image_id, member_id, quotas=None):
        return self._call(ctxt, 'image_member_create', image_id=image_id, member_id=member_id,
                          quotas=quotas)

    def image_member_list(self, ctxt, *, image_id):
        return self._call(ctxt, 'image_member_list', image_id=image_id)

    def image_member_get(self, ctxt, *, image_id, member_id):
        return self._call(ctxt, 'image_member_get', image_id=image_id, member_id=member_id)

    def image_member_update(self, ctxt, *, image_id, member_id, status):
        return self._call(ctxt, 'image_member_update', image_id=image_id, member_id=member_id,
                          status=status)

    def image_member_delete(self, ctxt, *, image_id, member_id):
        return self._call(ctxt, 'image_member_delete', image_id=image_id, member_id=member_id)

    def image_tag_add(self, ctxt, *, image_id, tag, quotas=None):
        return self._call(ctxt, 'image_tag_add', image_id=image_id, tag=tag, quotas=quotas)

    def image_tag_delete(self, ctxt, *, image_id, tag):
        return self._call(ctxt, 'image_tag_delete', image_id=image_id, tag=tag)

    def deactivate(self, ctxt, *, image_id):
        return self._call(ctxt, 'deactivate', image_id=image_id)

    def reactivate(self, ctxt, *, image_id):
        return self._call(ctxt, 'reactivate', image_id=image_id)

    # -- the image cache's records (1.8) -------------------------------------------------------

    def _cache(self, ctxt, method, **kwargs):
        # A registry held below 1.8 ([registry] version_cap) keeps no cache records: 503.
        since = contract.METHODS[method]
        if not self._can_send_version(since):
            raise exceptions.RegistryUnavailable(
                'The image registry is held below RPC %s ([registry] version_cap): the image '
                'cache records are kept once the registries are upgraded.' % since)
        return self._call(ctxt, method, **kwargs)

    def cache_record_add(self, ctxt, *, node_reference, image_id, size, last_modified):
        return self._cache(ctxt, 'cache_record_add', node_reference=node_reference,
                           image_id=image_id, size=size, last_modified=last_modified)

    def cache_record_hits(self, ctxt, *, node_reference, hits):
        return self._cache(ctxt, 'cache_record_hits', node_reference=node_reference,
                           hits=hits)

    def cache_record_remove(self, ctxt, *, node_reference, image_ids=None):
        return self._cache(ctxt, 'cache_record_remove', node_reference=node_reference,
                           image_ids=image_ids)

    def cache_record_list(self, ctxt, *, node_reference):
        return self._cache(ctxt, 'cache_record_list', node_reference=node_reference)

    def cache_node_list(self, ctxt, *, image_id):
        return self._cache(ctxt, 'cache_node_list', image_id=image_id)

    # -- the metadata definitions catalog (1.7) ------------------------------------------------

    def task_create(self, ctxt, *, values):
        return self._call(ctxt, 'task_create', values=values)

    def task_get(self, ctxt, *, task_id):
        return self._call(ctxt, 'task_get', task_id=task_id)

    def task_list(self, ctxt, *, filters=None, marker=None, limit=None, sort_key=None,
                  sort_dir=None):
        return self._call(ctxt, 'task_list', filters=filters, marker=marker, limit=limit,
                          sort_key=sort_key, sort_dir=sort_dir)

    def image_task_list(self, ctxt, *, image_id):
        return self._call(ctxt, 'image_task_list', image_id=image_id)

    def task_update(self, ctxt, *, task_id, values, holder=None, time_to_live=None):
        return self._call(ctxt, 'task_update', task_id=task_id, values=values, holder=holder,
                          time_to_live=time_to_live)

    def task_claim(self, ctxt, *, task_id, holder, lease_seconds):
        return self._call(ctxt, 'task_claim', task_id=task_id, holder=holder,
                          lease_seconds=lease_seconds)

    def task_renew(self, ctxt, *, task_id, holder, lease_seconds):
        return self._call(ctxt, 'task_renew', task_id=task_id, holder=holder,
                          lease_seconds=lease_seconds)

    def _metadef(self, ctxt, method, **kwargs):
        # A registry held below 1.7 by [registry] version_cap (a rolling upgrade) has no
        # catalog: say so (503) rather than letting oslo.messaging's cap error become a 500.
        since = contract.METHODS[method]
        if not self._can_send_version(since):
            raise exceptions.RegistryUnavailable(
                'The image registry is held below RPC %s ([registry] version_cap): the '
                'metadata definitions catalog is served once the registries are upgraded.'
                % since)
        return self._call(ctxt, method, **kwargs)

    def metadef_namespace_list(self, ctxt, *, query):
        return self._metadef(ctxt, 'metadef_namespace_list', query=query)

    def metadef_namespace_get(self, ctxt, *, namespace):
        return self._metadef(ctxt, 'metadef_namespace_get', namespace=namespace)

    def metadef_namespace_create(self, ctxt, *, values, properties, objects, tags,
                                 resource_type_associations):
        return self._metadef(ctxt, 'metadef_namespace_create', values=values,
                          properties=properties, objects=objects, tags=tags,
                          resource_type_associations=resource_type_associations)

    def metadef_namespace_update(self, ctxt, *, namespace, values):
        return self._metadef(ctxt, 'metadef_namespace_update', namespace=namespace, values=values)

    def metadef_namespace_delete(self, ctxt, *, namespace):
        return self._metadef(ctxt, 'metadef_namespace_delete', namespace=namespace)

    def metadef_item_create(self, ctxt, *, namespace, kind, item):
        return self._metadef(ctxt, 'metadef_item_create', namespace=namespace, kind=kind,
                          item=item)

    def metadef_item_update(self, ctxt, *, namespace, kind, name, item):
        return self._metadef(ctxt, 'metadef_item_update', namespace=namespace, kind=kind,
                          name=name, item=item)

    def metadef_item_delete(self, ctxt, *, namespace, kind, name):
        return self._metadef(ctxt, 'metadef_item_delete', namespace=namespace, kind=kind,
                          name=name)

    def metadef_items_delete(self, ctxt, *, namespace, kind):
        return self._metadef(ctxt, 'metadef_items_delete', namespace=namespace, kind=kind)

    def metadef_tags_create(self, ctxt, *, namespace, tags, append):
        return self._metadef(ctxt, 'metadef_tags_create', namespace=namespace, tags=tags,
                          append=append)

    def metadef_resource_type_list(self, ctxt):
        return self._metadef(ctxt, 'metadef_resource_type_list')

    def metadef_association_create(self, ctxt, *, namespace, association):
        return self._metadef(ctxt, 'metadef_association_create', namespace=namespace,
                          association=association)

    def metadef_association_delete(self, ctxt, *, namespace, resource_type):
        return self._metadef(ctxt, 'metadef_association_delete', namespace=namespace,
                          resource_type=resource_type)

    # -- interoperable image import (1.13) ----------------------------------------------------

    def begin_stage(self, ctxt, *, image_id, lease_seconds, quotas=None, expected_size=None,
                    upload_token=None, holder=None):
        return self._call(ctxt, 'begin_stage', image_id=image_id, lease_seconds=lease_seconds,
                          quotas=quotas, expected_size=expected_size,
                          upload_token=upload_token, holder=holder)

    def renew_stage(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        return self._call(ctxt, 'renew_stage', image_id=image_id, lease_seconds=lease_seconds,
                          upload_token=upload_token)

    def finish_stage(self, ctxt, *, image_id, size, upload_token=None, stage_host=None,
                     virtual_size=None):
        return self._call(ctxt, 'finish_stage', image_id=image_id, size=size,
                          upload_token=upload_token, stage_host=stage_host,
                          virtual_size=virtual_size)

    def abort_stage(self, ctxt, *, image_id, upload_token=None):
        return self._call(ctxt, 'abort_stage', image_id=image_id, upload_token=upload_token)

    def begin_import(self, ctxt, *, image_id, task_id, import_method, stores, steal_from=None,
                     quotas=None):
        return self._call(ctxt, 'begin_import', image_id=image_id, task_id=task_id,
                          import_method=import_method, stores=stores,
                          steal_from=steal_from, quotas=quotas)

    def import_store_done(self, ctxt, *, image_id, task_id, store_id, location, size, checksum,
                          os_hash_algo, os_hash_value, virtual_size=None, disk_format=None):
        return self._call(ctxt, 'import_store_done', image_id=image_id, task_id=task_id,
                          store_id=store_id, location=location, size=size,
                          checksum=checksum, os_hash_algo=os_hash_algo,
                          os_hash_value=os_hash_value, virtual_size=virtual_size,
                          disk_format=disk_format)

    def import_store_failed(self, ctxt, *, image_id, task_id, store_id):
        return self._call(ctxt, 'import_store_failed', image_id=image_id, task_id=task_id,
                          store_id=store_id)

    def end_import(self, ctxt, *, image_id, task_id, failed=False):
        return self._call(ctxt, 'end_import', image_id=image_id, task_id=task_id,
                          failed=failed)

    def staged_images(self, ctxt, *, image_ids):
        return self._call(ctxt, 'staged_images', image_ids=image_ids)

    def close(self):
        rpc_transport.close_transport(self._transport)
