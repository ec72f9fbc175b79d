"""GET /v2/openapi.json: the OpenAPI 3.0 document of the Images API v2 as Glimpse serves it.

The document lives in the package (api_service/http/openapi/images-v2.yaml, YAML so it can carry
comments); it is served as JSON, with the container and disk format enums set from this
api's ``[image_format]`` options, so generated clients and fuzzers offer the formats this
deployment accepts. Like /versions it needs no token.
"""

import copy
import functools
from importlib import resources

import flask
import yaml

from api_service.http import app_parts

blueprint = flask.Blueprint('openapi', __name__)

DOCUMENT_PATH = '/v2/openapi.json'
SOURCE = ('openapi', 'images-v2.yaml')
EXTENSION_KEY = 'glimpse.openapi'


@functools.cache
def source_document():
    """The document as shipped (default format enums), parsed once per process."""
    text = resources.files('api_service.http').joinpath(*SOURCE).read_text(encoding='utf-8')
    return yaml.safe_load(text)


def document_for(conf):
    """The shipped document with this configuration's image formats."""
    document = copy.deepcopy(source_document())
    schemas = document['components']['schemas']
    schemas['ContainerFormat']['enum'] = [None] + list(conf.image_format.container_formats)
    schemas['DiskFormat']['enum'] = [None] + list(conf.image_format.disk_formats)
    return document


@blueprint.get(DOCUMENT_PATH)
def openapi_document():
    extensions = flask.current_app.extensions
    if EXTENSION_KEY not in extensions:
        extensions[EXTENSION_KEY] = document_for(app_parts.current().conf)
    return flask.jsonify(extensions[EXTENSION_KEY])
