"""The image resource: create, list, show, update (JSON patch), delete."""

import logging

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import image_render
from api_service.http import image_requests
from api_service.http import json_body
from api_service.http import list_query
from api_service.http.views import imports as import_views
from api_service.http.views import locations as location_views
from api_service.http.views import stores
from api_service.services import deletion
from api_service.services import store_acls
from common import states

LOG = logging.getLogger(__name__)

blueprint = flask.Blueprint('images', __name__, url_prefix='/v2/images')


def _to_json(rt, image):
    # With the locations the options show (views/locations.py).
    return location_views.to_json(rt, app_parts.request_context(), [image])[0]


@blueprint.post('')
def create():
    rt, ctx = app_parts.current(), app_parts.request_context()
    values, properties, tags = image_requests.parse_create(json_body.request_json(), ctx,
                                                           rt.schemas)
    policy.check_create(rt.policy, ctx, values)
    image = rt.registry.image_create(ctx, values=values, properties=properties, tags=tags,
                                     quotas=image_requests.quotas(rt.conf))
    rt.notifier.image('image.create', image)
    response = flask.jsonify(_to_json(rt, image))
    response.status_code = 201
    response.headers['Location'] = (flask.request.host_url.rstrip('/') +
                                    image_render.image_href(image['id']))
    # As upstream: the methods offered, and no header when there are none.
    methods = import_views.import_methods_header()
    if methods:
        response.headers['OpenStack-image-import-methods'] = methods
    if stores.multi_store(rt.conf):
        response.headers['OpenStack-image-store-ids'] = ','.join(
            store_id.strip() for store_id in rt.conf.enabled_backends)
    return response


@blueprint.get('')
def index():
    rt, ctx = app_parts.current(), app_parts.request_context()
    policy.check_list(rt.policy, ctx)
    args = flask.request.args
    query = list_query.parse_query(args, rt.conf)
    images = rt.registry.image_list(ctx, query=query)
    body = {'images': location_views.to_json(rt, ctx, images),
            'schema': '/v2/schemas/images'}
    body.update(list_query.page_links(args, images, query.limit))
    return flask.jsonify(body)


@blueprint.get('/<image_id>')
def show(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    image = rt.registry.image_get(ctx, image_id=image_id)
    policy.check_visible(rt.policy, ctx, image)
    return flask.jsonify(_to_json(rt, image))


@blueprint.patch('/<image_id>')
def update(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    # The media type is checked before the body is read, so a wrong type is 415, not 400.
    image_requests.check_patch_media_type(flask.request.content_type)
    changes = image_requests.parse_patch(
        flask.request.content_type, json_body.request_json(), ctx, rt.schemas,
        show_locations=rt.conf.show_multiple_locations)
    # The /locations changes go after the others, each its own registry call.
    location_changes, changes = image_requests.location_changes(changes)
    if changes or not location_changes:
        if not policy.decided_for_own_images(rt.policy, ctx, image_id,
                                             policy.update_rules(changes)):
            policy.check_update(rt.policy, ctx,
                                rt.registry.image_get(ctx, image_id=image_id), changes)
        image = rt.registry.image_update(ctx, image_id=image_id, changes=changes,
                                         quotas=image_requests.quotas(rt.conf))
    if location_changes:
        image = location_views.patch(rt, ctx, image_id, location_changes)
    if location_changes or any(change['path'] == 'visibility' for change in changes):
        # As upstream: who may read the data follows the visibility (multi-tenant Swift).
        store_acls.update_acls(ctx, rt.registry, rt.stores, image)
    rt.notifier.image('image.update', image)
    return flask.jsonify(_to_json(rt, image))


@blueprint.delete('/<image_id>')
def delete(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    if not policy.decided_for_own_images(rt.policy, ctx, image_id,
                                         ['get_image', 'delete_image']):
        policy.check_image_action(rt.policy, ctx,
                                  rt.registry.image_get(ctx, image_id=image_id),
                                  'delete_image')
    # The row is gone for users first; data a store could not remove is recorded for
    # glance-scrubber, not an error (api_service/services/deletion.py).
    image = deletion.delete_image(rt.registry, ctx, image_id, rt.stores,
                                  delayed=rt.conf.delayed_delete)
    if rt.cache is not None:
        # This node's copy goes now; other nodes' records went with the image, and their
        # copies are never served (the image is gone) and go at their next clean.
        rt.cache.evict(image_id, record=False)
    # Staged data (a stage or import in progress, or waiting) goes with the image.
    import_views.remove_staged(rt.conf, image_id)
    rt.notifier.image_deleted(image, states.PENDING_DELETE if image.get('data_queued')
                              else states.DELETED)
    return '', 204
