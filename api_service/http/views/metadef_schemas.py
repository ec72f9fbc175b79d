"""GET /v2/schemas/metadefs/{namespace,namespaces,property,properties,object,objects,
resource_type,resource_types,tag,tags}."""

import flask

from api_service.http import metadef_schemas

blueprint = flask.Blueprint('metadef_schemas', __name__, url_prefix='/v2/schemas/metadefs')


@blueprint.get('/<name>')
def show(name):
    build = metadef_schemas.DOCUMENTS.get(name)
    if build is None:
        flask.abort(404)
    return flask.jsonify(build())
