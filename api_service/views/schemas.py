"""GET /v2/schemas/image and /v2/schemas/images."""

import flask

from api_service import runtime

blueprint = flask.Blueprint('schemas', __name__, url_prefix='/v2/schemas')


@blueprint.get('/image')
def image():
    return flask.jsonify(runtime.current().schemas.image)


@blueprint.get('/images')
def images():
    return flask.jsonify(runtime.current().schemas.images)
