"""POST /v2/images/{id}/actions/deactivate and /reactivate: 204 with no body.

Who may act is the policy's deactivate / reactivate rule; the registry still allows only
the owner or an admin (403 or 404). An image in any status other than active or
deactivated cannot be acted on: the registry raises ImageActionNotAllowed, which the error
table answers with 403, as upstream does.
"""

import flask

from api_service import policy
from api_service.http import app_parts

blueprint = flask.Blueprint('actions', __name__, url_prefix='/v2/images')


def _act(action, image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    # The rules are named after the actions: deactivate, reactivate.
    policy.check_image_action(rt.policy, ctx, rt.registry.image_get(ctx, image_id=image_id),
                              action)
    # The new status is a change to the image: image.update, as upstream.
    rt.notifier.image('image.update', getattr(rt.registry, action)(ctx, image_id=image_id))
    if action == 'deactivate' and rt.cache is not None:
        # Never served from a cache while deactivated (api_service/cache/node.py); this
        # node's copy goes now, the registry dropped every node's record.
        rt.cache.evict(image_id, record=False)
    return '', 204


@blueprint.post('/<image_id>/actions/deactivate')
def deactivate(image_id):
    return _act('deactivate', image_id)


@blueprint.post('/<image_id>/actions/reactivate')
def reactivate(image_id):
    return _act('reactivate', image_id)
