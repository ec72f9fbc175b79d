"""GET /v2/schemas/image, /images, /member and /members."""

import flask

from api_service import runtime
from api_service import schemas

blueprint = flask.Blueprint('schemas', __name__, url_prefix='/v2/schemas')


@blueprint.get('/image')
def image():
    return flask.jsonify(runtime.current().schemas.image)


@blueprint.get('/images')
def images():
    return flask.jsonify(runtime.current().schemas.images)


@blueprint.get('/member')
def member():
    return flask.jsonify(schemas.member_schema())


@blueprint.get('/members')
def members():
    return flask.jsonify(schemas.members_schema(schemas.member_schema()))
