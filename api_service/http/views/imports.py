"""Interoperable image import: GET /v2/info/import, PUT /v2/images/{id}/stage and
POST /v2/images/{id}/import (the work behind them: api_service/imports/)."""

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import json_body
from api_service.http.views import image_data
from api_service.http.views import stores
from api_service.imports import flow
from api_service.imports import proxy
from api_service.imports import runtime
from api_service.imports import service
from api_service.imports import staging
from api_service.services import upload
from api_service.wsgi import socket_body
from common import exceptions

blueprint = flask.Blueprint('imports', __name__)

EXTENSION_KEY = 'glimpse_imports'


def parts():
    app = flask.current_app
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions.setdefault(EXTENSION_KEY,
                                          runtime.ImportParts(app_parts.current()))
    return found


def remove_staged(conf, image_id):
    """The image's staged files, if any (its delete), without setting the staging area
    up when this worker never used it."""
    staging.remove_files(staging.staging_dir(conf), image_id)


def import_methods_header():
    """The OpenStack-image-import-methods header's value."""
    return ','.join(runtime.offered_methods(app_parts.current().conf))


@blueprint.get('/v2/info/import')
def import_info():
    return flask.jsonify({'import-methods': {
        'description': 'Import methods available.', 'type': 'array',
        'value': runtime.offered_methods(app_parts.current().conf)}})


@blueprint.put('/v2/images/<image_id>/stage')
def stage(image_id):
    rt, ctx, imp = app_parts.current(), app_parts.request_context(), parts()
    if flow.GLANCE_DIRECT not in imp.methods():
        raise exceptions.NotFound("'glance-direct' method is not available at this site.")
    content_length = image_data.octet_stream_length()
    environ = flask.request.environ
    policy.check_image_action(rt.policy, ctx, rt.registry.image_get(ctx, image_id=image_id),
                              'modify_image')
    expected_size = upload.expected_size_from(
        flask.request.headers.get('x-openstack-image-size'))
    imp.staging.stage_request(ctx, rt.registry, image_id,
                              socket_body.reader_for(environ, content_length),
                              content_length, expected_size, stage_host=imp.self_url)
    return '', 204


@blueprint.post('/v2/images/<image_id>/import')
def import_image(image_id):
    rt, ctx, imp = app_parts.current(), app_parts.request_context(), parts()
    body = json_body.request_json()
    store_header = flask.request.headers.get('x-image-meta-store') \
        if stores.multi_store(rt.conf) else None
    request, image, targets, steal_from = service.prepare(imp, rt.policy, ctx, image_id,
                                                          body, store_header)
    host = service.proxy_target(imp, image, request.method)
    if host is not None:
        answer = proxy.forward(host, flask.request.path, body, flask.request.headers)
        return flask.Response(answer.body, status=answer.status, headers=answer.headers)
    if targets is not None:
        service.start(imp, ctx, request, image, targets, steal_from)
    # As upstream: 202 with an empty body; the task (GET /v2/images/{id}/tasks) tells more.
    return '', 202
