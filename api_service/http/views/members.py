"""Image members: share a ``shared`` image with other projects, and their answers."""

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import json_body
from api_service.http import member_render
from api_service.services import store_acls

blueprint = flask.Blueprint('members', __name__, url_prefix='/v2/images/<image_id>/members')


def _check(rt, ctx, image_id, rule):
    """-> the image, once the caller may do ``rule`` on its members."""
    image = rt.registry.image_get(ctx, image_id=image_id)
    policy.check_member_action(rt.policy, ctx, image, rule)
    return image


def _quotas(conf):
    return {'image_member_quota': conf.image_member_quota}


@blueprint.post('')
def create(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    member_id = member_render.parse_create(json_body.request_json())
    image = _check(rt, ctx, image_id, 'add_member')
    member = rt.registry.image_member_create(ctx, image_id=image_id, member_id=member_id,
                                             quotas=_quotas(rt.conf))
    # As upstream: the new member project may read the data (multi-tenant Swift).
    store_acls.update_acls(ctx, rt.registry, rt.stores, image)
    rt.notifier.member('image.member.create', member)
    # Upstream answers 200 here, not 201.
    return flask.jsonify(member_render.to_json(member))


@blueprint.get('')
def index(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _check(rt, ctx, image_id, 'get_members')
    return flask.jsonify(member_render.list_to_json(
        rt.registry.image_member_list(ctx, image_id=image_id)))


@blueprint.get('/<member_id>')
def show(image_id, member_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _check(rt, ctx, image_id, 'get_member')
    return flask.jsonify(member_render.to_json(
        rt.registry.image_member_get(ctx, image_id=image_id, member_id=member_id)))


@blueprint.put('/<member_id>')
def update(image_id, member_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    status = member_render.parse_update(json_body.request_json())
    _check(rt, ctx, image_id, 'modify_member')
    member = rt.registry.image_member_update(ctx, image_id=image_id, member_id=member_id,
                                             status=status)
    rt.notifier.member('image.member.update', member)
    return flask.jsonify(member_render.to_json(member))


@blueprint.delete('/<member_id>')
def delete(image_id, member_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    image = _check(rt, ctx, image_id, 'delete_member')
    member = rt.registry.image_member_delete(ctx, image_id=image_id, member_id=member_id)
    store_acls.update_acls(ctx, rt.registry, rt.stores, image)
    rt.notifier.member_deleted(member)
    return '', 204
