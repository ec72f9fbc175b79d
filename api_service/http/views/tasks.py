"""The tasks API (upstream's, deprecated there but served): POST /v2/tasks (the legacy
``import`` task), GET /v2/tasks, GET and DELETE (405) /v2/tasks/{task_id}, and GET
/v2/images/{image_id}/tasks (2.12). Every /v2/tasks call first passes tasks_api_access
(admin only by default), then its own rule (add_task, get_tasks, get_task)."""

import uuid

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import errors
from api_service.http import json_body
from api_service.http import task_render
from api_service.http.views import stores
from api_service.tasks import legacy_import

blueprint = flask.Blueprint('tasks', __name__)

DELETE_REFUSED = ('This operation is currently not permitted on Glance Tasks. They are auto '
                  'deleted after reaching the time based on their expires_at property.')


def _enforce(rt, ctx, *rules):
    for rule in ('tasks_api_access',) + rules:
        rt.policy.enforce(ctx, rule, policy.project_target(ctx))


@blueprint.post('/v2/tasks')
def create():
    rt, ctx = app_parts.current(), app_parts.request_context()
    _enforce(rt, ctx)
    task_type, task_input = task_render.parse_create(json_body.request_json())
    _enforce(rt, ctx, 'add_task')
    legacy_import.check_create(rt.conf, task_input)
    task = rt.registry.task_create(ctx, values={'id': str(uuid.uuid4()), 'type': task_type,
                                                'input': task_input})
    rt.notifier.task('task.create', task)
    work = legacy_import.LegacyImport(rt.conf, stores.upload_store(rt, None), rt.schemas,
                                      rt.policy)
    rt.tasks.submit(ctx, task, work, notifier=rt.notifier)
    response = flask.jsonify(task_render.to_json(task))
    response.status_code = 201
    response.headers['Location'] = task_render.href(task['id'])
    return response


@blueprint.get('/v2/tasks')
def index():
    rt, ctx = app_parts.current(), app_parts.request_context()
    _enforce(rt, ctx, 'get_tasks')
    query = task_render.parse_list(flask.request.args, rt.conf)
    tasks = rt.registry.task_list(ctx, **query)
    return flask.jsonify(task_render.list_json(tasks, flask.request.args, query['limit']))


@blueprint.get('/v2/tasks/<task_id>')
def show(task_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _enforce(rt, ctx, 'get_task')
    return flask.jsonify(task_render.to_json(rt.registry.task_get(ctx, task_id=task_id)))


@blueprint.delete('/v2/tasks/<task_id>')
def delete(task_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _enforce(rt, ctx)
    return errors.error_response(405, DELETE_REFUSED, headers={'Allow': 'GET'})


@blueprint.get('/v2/images/<image_id>/tasks')
def image_tasks(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    # get_image first (a refusal is 404), as upstream.
    policy.check_visible(rt.policy, ctx, rt.registry.image_get(ctx, image_id=image_id))
    tasks = rt.registry.image_task_list(ctx, image_id=image_id)
    return flask.jsonify({'tasks': [task_render.image_task_json(t) for t in tasks]})
