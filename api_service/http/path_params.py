"""Checks on the parameters of a route's path, run before any view.

An image id is a UUID. Upstream answers 404 for anything else in the path (its lookup simply
finds nothing); answering here does the same without a registry round trip, and keeps
arbitrary text out of the registry's primary-key lookups.
"""

import re

from api_service.http import schemas
from common import exceptions

_UUID = re.compile(schemas.UUID_PATTERN)


def is_uuid(text):
    return _UUID.fullmatch(text) is not None


def check(endpoint, values):
    """A Flask url_value_preprocessor: ``values`` are the matched path parameters."""
    image_id = (values or {}).get('image_id')
    # The cache routes match image ids with werkzeug's uuid converter (a uuid.UUID here).
    if image_id is not None and not is_uuid(str(image_id)):
        raise exceptions.ImageNotFound(image_id=image_id)
