"""Reading a JSON request body the same way in every view."""

import flask

from api_service import json_request
from common import exceptions


def json_body():
    """The decoded JSON body, whatever Content-Type claims (as upstream); 400 if absent."""
    raw = flask.request.get_data(cache=True)
    if not raw:
        raise exceptions.Invalid('Body expected in request.')
    return json_request.loads(raw)
