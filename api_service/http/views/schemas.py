"""GET /v2/schemas/image, /images, /member, /members, /task and /tasks."""

import flask

from api_service.http import app_parts
from api_service.http import schemas
from api_service.http import task_render

blueprint = flask.Blueprint('schemas', __name__, url_prefix='/v2/schemas')


@blueprint.get('/image')
def image():
    return flask.jsonify(app_parts.current().schemas.image)


@blueprint.get('/images')
def images():
    return flask.jsonify(app_parts.current().schemas.images)


@blueprint.get('/member')
def member():
    return flask.jsonify(schemas.member_schema())


@blueprint.get('/members')
def members():
    return flask.jsonify(schemas.members_schema(schemas.member_schema()))


@blueprint.get('/task')
def task():
    return flask.jsonify(task_render.task_schema())


@blueprint.get('/tasks')
def tasks():
    return flask.jsonify(task_render.tasks_schema())
