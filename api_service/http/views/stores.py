"""The stores of a multi-store glance-api ([DEFAULT] enabled_backends), as upstream:

- GET /v2/info/stores: each store's id, description, whether it is the default and
  whether it is read-only;
- GET /v2/info/stores/detail (rule stores_info_detail, admins): also its type, weight and
  properties;
- DELETE /v2/stores/{store_id}/{image_id}: remove the image's data from one store (rules
  get_image_location and delete_image_location; never its last copy).

A single-store glance-api answers 404 to all three ("Multi backend is not supported").
"""

import logging

import flask

from api_service import exceptions as api_exceptions
from api_service import policy
from api_service.http import app_parts
from api_service.services import deletion
from api_service.stores import base
from api_service.stores import catalog
from common import exceptions

LOG = logging.getLogger(__name__)

blueprint = flask.Blueprint('stores', __name__, url_prefix='/v2')


def multi_store(conf):
    """True when glance-api runs several stores by id ([DEFAULT] enabled_backends)."""
    return bool(conf.enabled_backends)


def _require_multi_store(rt):
    if not multi_store(rt.conf):
        raise exceptions.NotFound('Multi backend is not supported at this site.')


def _store_ids(rt):
    """The configured backend ids, in enabled_backends' order."""
    return [store_id.strip() for store_id in rt.conf.enabled_backends
            if not store_id.strip().startswith(catalog.RESERVED_PREFIX)]


def _entry(rt, store):
    entry = {'id': store.store_id}
    if store.description:
        entry['description'] = store.description
    if store is rt.stores.default:
        entry['default'] = 'true'
    if not store.can(base.Capability.WRITE):
        entry['read-only'] = 'true'
    return entry


@blueprint.get('/info/stores')
def stores_info():
    rt = app_parts.current()
    _require_multi_store(rt)
    return flask.jsonify({'stores': [_entry(rt, rt.stores.get(store_id))
                                     for store_id in _store_ids(rt)]})


@blueprint.get('/info/stores/detail')
def stores_info_detail():
    rt, ctx = app_parts.current(), app_parts.request_context()
    _require_multi_store(rt)
    rt.policy.enforce(ctx, 'stores_info_detail', policy.project_target(ctx))
    stores = []
    for store_id in _store_ids(rt):
        store = rt.stores.get(store_id)
        stores.append(dict(_entry(rt, store), type=store.driver,
                           properties=store.properties(), weight=store.weight))
    return flask.jsonify({'stores': stores})


def upload_store(rt, header):
    """The store an upload goes to: the X-Image-Meta-Store header's in a multi-store
    glance-api (an unknown one is 400, as upstream), else the default store."""
    if not multi_store(rt.conf) or header is None:
        return rt.stores.default
    try:
        return rt.stores.get(header.strip())
    except api_exceptions.UnknownStore:
        raise api_exceptions.BadRequest(
            'Unknown store %s in X-Image-Meta-Store: it is not one of this site\'s stores '
            '(%s).' % (header, ', '.join(_store_ids(rt)))) from None


@blueprint.delete('/stores/<store_id>/<image_id>')
def delete_from_store(store_id, image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    if not multi_store(rt.conf):
        raise exceptions.NotFound('Multi backend is not supported at this site.')
    if store_id not in rt.stores.ids():
        raise exceptions.Conflict('The selected store %s is not available on this node.'
                                  % store_id)
    image = rt.registry.image_get(ctx, image_id=image_id)
    policy.check_image_action(rt.policy, ctx, image, 'get_image_location')
    policy.check_image_action(rt.policy, ctx, image, 'delete_image_location')
    removed = rt.registry.image_location_delete(ctx, image_id=image_id, store_id=store_id)
    store = rt.stores.get(store_id)
    if not store.can(base.Capability.DELETE):
        # A read-only store (http): the location goes, the data is not ours to remove.
        return '', 204
    try:
        deletion.remove_data(rt.stores, removed['location'], store_id, context=ctx)
    except Exception as exc:
        LOG.error('Image %s no longer lists store %s, but its data at %s could not be '
                  'removed (%s); remove it by hand.', image_id, store_id,
                  removed['location'], exc)
    return '', 204
