"""PUT and DELETE /v2/images/{id}/tags/{tag}: one tag at a time, 204 with no body."""

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import image_requests

blueprint = flask.Blueprint('tags', __name__, url_prefix='/v2/images')


def _check(rt, ctx, image_id):
    # As upstream, a tag is a change to the image: modify_image.
    policy.check_image_action(rt.policy, ctx, rt.registry.image_get(ctx, image_id=image_id),
                              'modify_image')


@blueprint.put('/<image_id>/tags/<tag>')
def add(image_id, tag):
    rt, ctx = app_parts.current(), app_parts.request_context()
    # The tag must be what the image schema allows in its tags list (at most 255 chars).
    rt.schemas.validate({'tags': [tag]})
    _check(rt, ctx, image_id)
    # As upstream, a tag is a change to the image: image.update.
    rt.notifier.image('image.update', rt.registry.image_tag_add(
        ctx, image_id=image_id, tag=tag, quotas=image_requests.quotas(rt.conf)))
    return '', 204


@blueprint.delete('/<image_id>/tags/<tag>')
def delete(image_id, tag):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _check(rt, ctx, image_id)
    rt.notifier.image('image.update',
                      rt.registry.image_tag_delete(ctx, image_id=image_id, tag=tag))
    return '', 204
