"""The image cache API (upstream's v2.14 and v2.18): /v2/cache on the node that answers.

Every call checks its policy rule first (cache_list, cache_image, cache_delete, cache_clean,
cache_prune, list_cached_nodes: admin by default), then answers 404 when this node has no
cache ([DEFAULT] image_cache_dir unset), as upstream does. Image ids are matched as UUIDs
by the routes, so PUT /v2/cache/clean is a 405 (clean is POST only), not an image id.
"""

import flask

from api_service import policy
from api_service.cache import service
from api_service.http import app_parts
from common import exceptions

blueprint = flask.Blueprint('cache', __name__, url_prefix='/v2/cache')


def _enforce(rule, image=None):
    rt, ctx = app_parts.current(), app_parts.request_context()
    target = policy.image_target(image) if image is not None else policy.project_target(ctx)
    rt.policy.enforce(ctx, rule, target)
    if rt.cache is None:
        raise service.not_enabled()
    return rt.cache


def _image(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    return rt.registry.image_get(ctx, image_id=image_id)


@blueprint.get('')
def state():
    return flask.jsonify(service.state(_enforce('cache_list')))


@blueprint.put('/<uuid:image_id>')
def queue(image_id):
    image_id = str(image_id)
    image = _image(image_id)
    service.queue(_enforce('cache_image', image), image)
    return '', 202


@blueprint.delete('/<uuid:image_id>')
def delete(image_id):
    image_id = str(image_id)
    rt = app_parts.current()
    try:
        image = _image(image_id)
    except exceptions.ImageNotFound:
        # An image gone from the registry can still be removed from the cache.
        if rt.cache is None or not service.holds(rt.cache, image_id):
            raise
        image = None
    service.delete(_enforce('cache_delete', image), image_id)
    return '', 204


@blueprint.delete('')
def clear():
    cache = _enforce('cache_delete')
    service.clear(cache, flask.request.headers.get('x-image-cache-clear-target', ''))
    return '', 204


@blueprint.post('/clean')
def clean():
    service.clean(_enforce('cache_clean'))
    return '', 200


@blueprint.post('/prune')
def prune():
    return flask.jsonify(service.prune(_enforce('cache_prune')))


@blueprint.get('/nodes/<uuid:image_id>')
def nodes(image_id):
    image_id = str(image_id)
    cache = _enforce('list_cached_nodes')
    _image(image_id)
    return flask.jsonify(service.nodes(cache, image_id))
