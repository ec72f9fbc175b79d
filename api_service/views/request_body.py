"""Reading a JSON request body the same way in every view."""

import flask

from common import exceptions


def json_body():
    """The decoded JSON body, whatever Content-Type claims (as upstream); 400 if absent."""
    if not flask.request.get_data(cache=True):
        raise exceptions.Invalid('Body expected in request.')
    return flask.request.get_json(force=True)
