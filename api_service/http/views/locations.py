"""Image locations over HTTP: the 2.17 locations API (POST and GET
/v2/images/{image_id}/locations), the legacy PATCH of /locations the image view hands over,
and the locations shown in image JSON ([DEFAULT] show_multiple_locations,
show_image_direct_url). The work is api_service/services/locations.py's."""

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import image_render
from api_service.http import json_body
from api_service.http.views import stores
from api_service.services import locations
from common import exceptions
from common import states

blueprint = flask.Blueprint('locations', __name__, url_prefix='/v2/images')

# The role upstream lets add any location (other services: Nova, Cinder).
SERVICE_ROLE = 'service'


def to_json(rt, ctx, images):
    """The JSON of ``images``, with their locations when the options show them (one
    registry call for all of them)."""
    multi_store = stores.multi_store(rt.conf)
    views = [image_render.to_json(image, multi_store=multi_store, stores=rt.stores)
             for image in images]
    show_all, show_direct = rt.conf.show_multiple_locations, rt.conf.show_image_direct_url
    if not (show_all or show_direct) or not images:
        return views
    # As upstream, whoever sees the image sees its locations (no rule is checked: the
    # options are the operator's decision, their help says what they reveal).
    found = rt.registry.image_location_list(ctx, image_ids=[i['id'] for i in images])
    for image, view in zip(images, views, strict=True):
        image_render.add_locations(view, found.get(image['id'], []), multi_store, show_all,
                                   show_direct, stores=rt.stores)
    return views


def patch(rt, ctx, image_id, changes):
    """The /locations changes of an image PATCH (after its other changes): -> the image."""
    image = rt.registry.image_get(ctx, image_id=image_id)
    for rule in sorted({'delete_image_location' if c['op'] == 'remove'
                        else 'set_image_location' for c in changes}):
        policy.check_image_action(rt.policy, ctx, image, rule)
    return locations.PatchLocations(rt.registry, rt.stores, rt.conf, ctx).apply(image, changes)


def _is_service(ctx):
    roles = set(ctx.roles or []) | set(getattr(ctx, 'service_roles', None) or [])
    return SERVICE_ROLE in roles


@blueprint.post('/<image_id>/locations')
def add(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    body = json_body.request_json()
    if not isinstance(body, dict):
        raise exceptions.Invalid('Request body must be a JSON object.')
    image = rt.registry.image_get(ctx, image_id=image_id)
    policy.check_visible(rt.policy, ctx, image)
    if image['status'] != states.QUEUED:
        raise exceptions.Conflict("It's not allowed to add locations if image status is "
                                  "%s." % image['status'])
    policy.check_image_action(rt.policy, ctx, image, 'add_image_location')
    image = locations.add_location(rt.registry, rt.stores, rt.conf, ctx, image,
                                   body.get('url'), body.get('validation_data'),
                                   _is_service(ctx), rt.tasks)
    rt.notifier.image('image.update', image)
    return '', 202


@blueprint.get('/<image_id>/locations')
def index(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    image = rt.registry.image_get(ctx, image_id=image_id)
    policy.check_image_action(rt.policy, ctx, image, 'fetch_image_location')
    found = rt.registry.image_location_list(ctx, image_ids=[image_id]).get(image_id, [])
    multi_store = stores.multi_store(rt.conf)
    if multi_store:
        found = rt.stores.by_weight(found, lambda loc: loc.get('store_id'))
    return flask.jsonify([locations.public(loc, multi_store) for loc in found])
