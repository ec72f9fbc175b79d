"""Strict decoding of JSON request bodies, the same for every view.

A body that cannot be stored alike on SQLite, PostgreSQL and MySQL is refused here with a
400, before it reaches the registry, rather than being accepted by one database and turned
into a 500 by another:

* bytes that are not UTF-8 (RFC 8259: JSON on the wire is UTF-8), or text that is not JSON
  (``NaN`` and ``Infinity`` are Python extensions, not JSON);
* nesting deeper than the parser's recursion allows;
* strings, keys included, holding NUL (PostgreSQL refuses it in text columns; the others
  keep it) or a lone surrogate escape such as ``"\\ud800"`` (it has no UTF-8 form at all).
"""

import json

import flask

from common import exceptions

NUL = '\x00'


def _not_json(constant):
    raise ValueError('%s is not a JSON value' % constant)


def _check_text(text):
    if NUL in text:
        raise exceptions.Invalid('Strings in the request body must not contain NUL '
                                 '(\\u0000) characters.')
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise exceptions.Invalid('Strings in the request body must not contain unpaired '
                                 'surrogate escapes (\\ud800-\\udfff).') from None


def check_strings(value):
    """Raise Invalid if any string in ``value`` (a decoded JSON document) cannot be stored.

    Iterative, so a document nested as deep as the parser allowed cannot exhaust the stack
    here either.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                pending.append(child)
        elif isinstance(item, list):
            pending.extend(item)


def loads(raw):
    """Request body bytes -> the decoded JSON document; Invalid (400) for anything else."""
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise exceptions.Invalid('The request body is not valid UTF-8.') from None
    try:
        document = json.loads(text, parse_constant=_not_json)
    except RecursionError:
        raise exceptions.Invalid('The JSON request body is nested too deeply.') from None
    except ValueError as exc:
        raise exceptions.Invalid('Malformed JSON in request body: %s' % exc) from None
    check_strings(document)
    return document


def request_json():
    """The request's decoded JSON body, whatever Content-Type claims (as upstream); 400 if
    there is none."""
    raw = flask.request.get_data(cache=True)
    if not raw:
        raise exceptions.Invalid('Body expected in request.')
    return loads(raw)
