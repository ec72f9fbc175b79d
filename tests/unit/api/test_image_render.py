"""image_render: the image JSON's times and the order of its keys."""

import datetime

import pytest

from api_service.http import image_render


def _by_strftime(value):
    # The rule as first written: any ISO-8601 form, to UTC, seconds, strftime's %Y.
    parsed = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed.strftime('%Y-%m-%dT%H:%M:%SZ')


@pytest.mark.parametrize('value', [
    '2026-11-22T13:12:56.123456Z', '2026-11-22T13:12:56Z', '2026-11-22T13:12:56',
    '2026-11-22T23:12:56-05:00', '2026-01-01T00:30:00+01:00', '2026-11-22T13:12:56.123+05:30',
    '2026-11-22 13:12:56.5+00:00', '2026-11-22', '9999-12-31T23:59:59.999999Z',
    '0999-05-05T01:01:01', '0001-01-01T05:00:00+02:00', '2024-02-29T00:00:00.000000Z',
    '1000-01-01T00:00:00Z', '2026-11-22T13:12:56.1Z', '2026-11-22 13:12:56.123456Z',
])
def test_isotime_is_utc_to_the_second(value):
    assert image_render.isotime(value) == _by_strftime(value)


def test_isotime_of_nothing_is_null():
    assert image_render.isotime(None) is None


def test_a_property_named_like_an_attribute_keeps_its_place_and_takes_the_value():
    image = {'id': 'i', 'name': 'n', 'properties': {'a': '1', 'name': 'shadow', 'z': '2'},
             'tags': [], 'created_at': None, 'updated_at': None}
    view = image_render.to_json(image)
    keys = list(view)
    assert keys[:3] == ['a', 'name', 'z']
    assert view['name'] == 'n'
    assert keys[3:3 + len(image_render.SHOWN_ATTRIBUTES) - 1] == [
        k for k in image_render.SHOWN_ATTRIBUTES if k != 'name']


@pytest.mark.parametrize('value', ['2026-13-01T00:00:00.000000Z', '2026-02-30T00:00:00Z',
                                   '2026-11-22T24:00:00.000000Z', '2026-11-22T23:59:60Z',
                                   'not a time'])
def test_an_impossible_time_is_refused_as_before(value):
    with pytest.raises(ValueError):
        _by_strftime(value)
    with pytest.raises(ValueError):
        image_render.isotime(value)
