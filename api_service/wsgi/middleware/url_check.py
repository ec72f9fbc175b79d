"""Refuses, with a JSON 400, a request URL that no view could use safely.

Werkzeug decodes the path and query string with ``errors='replace'``, so undecodable bytes
would reach the views as U+FFFD and be stored (a tag) or compared (a filter) as if the caller
had sent that character. And a NUL, legal once percent-encoded, is refused by PostgreSQL in
any text it is compared with, so the same filter would work on SQLite and MySQL and fail on
PostgreSQL. Both are refused here, once, for every route.
"""

from urllib import parse

from api_service import exceptions
from api_service.http import errors


def _decoded(wsgi_text):
    """A WSGI string (bytes as latin-1) -> the text its bytes spell in UTF-8, or None."""
    try:
        return wsgi_text.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def problem_with(environ):
    """The reason the request's URL is refused, or None when it is fine."""
    path = _decoded(environ.get('PATH_INFO', ''))
    query = environ.get('QUERY_STRING', '')
    try:
        query = parse.unquote_to_bytes(query.encode('latin-1')).decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        query = None
    if path is None or query is None:
        return 'The request URL is not valid UTF-8.'
    if '\x00' in path or '\x00' in query:
        return 'The request URL must not contain NUL (%00) characters.'
    return None


class UrlCheckMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        problem = problem_with(environ)
        if problem is None:
            return self.app(environ, start_response)
        return errors.wsgi_response(exceptions.BadRequest(problem))(environ, start_response)
