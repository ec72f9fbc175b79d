"""GET / (300 Multiple Choices) and GET /versions (200): the API versions offered."""

import flask

from api_service.http import app_parts
from api_service.http import versions

blueprint = flask.Blueprint('versions', __name__)


def _document():
    endpoint = app_parts.current().conf.public_endpoint or flask.request.host_url
    href = '%s/v%d/' % (endpoint.rstrip('/'), versions.MAJOR)
    cache = app_parts.current().cache is not None
    multi_store = bool(app_parts.current().conf.enabled_backends)
    return {'versions': [dict(v, links=[{'rel': 'self', 'href': href}])
                         for v in versions.offered(cache, multi_store)]}


@blueprint.get('/')
def multiple_choices():
    return flask.jsonify(_document()), 300


@blueprint.get('/versions')
def index():
    return flask.jsonify(_document())
