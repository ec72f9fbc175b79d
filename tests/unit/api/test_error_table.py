"""api_service/http/errors.py is the one table from exception class to HTTP answer."""

import inspect
import json

import flask
import pytest

from api_service import exceptions as api_exceptions
from api_service.http import errors
from common import exceptions

# GlimpseErrors deliberately left out of the table: each means a bug or a broken store, so
# it is answered as a 500 that names only the request id.
UNMAPPED = {exceptions.GlimpseError, api_exceptions.UnknownStoreScheme,
            api_exceptions.UnknownStore, api_exceptions.StoreCapabilityMissing,
            api_exceptions.StoredSizeMismatch}


def _error_classes():
    for module in (exceptions, api_exceptions):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, exceptions.GlimpseError) and cls.__module__ == module.__name__:
                yield cls


@pytest.mark.parametrize('cls', sorted(_error_classes(), key=lambda c: c.__qualname__))
def test_every_error_class_has_a_status_unless_it_means_a_bug(cls):
    assert (errors.status_for(cls('x')) is None) == (cls in UNMAPPED)


def test_every_api_exception_lives_in_one_module():
    for _, cls in inspect.getmembers(api_exceptions, inspect.isclass):
        if issubclass(cls, Exception):
            assert cls.__module__ in (api_exceptions.__name__, exceptions.__name__)


@pytest.mark.parametrize('exc,status', [
    (exceptions.ImageActionNotAllowed(action='deactivate', current='queued',
                                      target='deactivated'), 403),
    (exceptions.InvalidStatusTransition(current='queued', target='active'), 409),
    (exceptions.MessageBusUnavailable(), 503),
    (api_exceptions.RangeNotSatisfiable(size=10), 416),
    (api_exceptions.RequestIdTooLong(max=64), 431),
    (api_exceptions.RequestLineTooLong(detail='8192'), 414),
    (api_exceptions.RequestHeadersTooLarge(detail='too many'), 400),
    (api_exceptions.InvalidImageData(reason='qcow2'), 415),
    (api_exceptions.MalformedChunkedBody('cut short'), 400),
])
def test_statuses_follow_upstream(exc, status):
    assert errors.status_for(exc) == status


def test_a_range_that_cannot_be_satisfied_says_the_size_in_content_range():
    response = errors.wsgi_response(api_exceptions.RangeNotSatisfiable('Invalid Range header.',
                                                                      size=1234))
    assert response.status_code == 416
    assert response.headers['Content-Range'] == 'bytes */1234'
    assert json.loads(response.get_data()) == {'error': {
        'code': 416, 'title': 'Requested Range Not Satisfiable',
        'message': 'Invalid Range header.'}}


def test_flask_and_plain_wsgi_answers_agree():
    exc = api_exceptions.RangeNotSatisfiable('Invalid Range header.', size=7)
    app = flask.Flask(__name__)
    with app.test_request_context('/'):
        in_flask = errors.handle(exc)
    plain = errors.wsgi_response(exc)
    assert in_flask.status_code == plain.status_code == 416
    assert in_flask.headers['Content-Range'] == plain.headers['Content-Range']
    assert in_flask.get_json() == json.loads(plain.get_data())


def test_an_error_the_table_does_not_know_names_only_the_request_id():
    response = errors.wsgi_response(ZeroDivisionError('secret'), 'req-7')
    assert response.status_code == 500
    message = json.loads(response.get_data())['error']['message']
    assert 'secret' not in message and 'req-7' in message
