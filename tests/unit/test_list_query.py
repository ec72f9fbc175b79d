"""common/list_query.py: the typed image list query, its wire form and its form before 1.4."""

import datetime

import pytest

from common import exceptions
from common import list_query
from common.list_query import Filter
from common.list_query import ListQuery


def test_filters_are_typed_with_explicit_operators():
    parse = list_query.parse_filter
    assert parse('name', 'in:a,"b,c"') == Filter('name', 'in', ['a', 'b,c'])
    assert parse('name', 'eq:in:x') == Filter('name', 'eq', 'in:x')
    assert parse('status', 'active') == Filter('status', 'eq', 'active')
    assert parse('created_at', 'gte:2020-01-01T10:00:00+02:00') == Filter(
        'created_at', 'gte', datetime.datetime(2020, 1, 1, 8, 0))
    assert parse('updated_at', '2020-01-01T10:00:00Z') == Filter(
        'updated_at', 'eq', datetime.datetime(2020, 1, 1, 10, 0))
    assert parse('size_min', '100') == Filter('size', 'gte', 100)
    assert parse('min_ram_max', '512') == Filter('min_ram', 'lte', 512)
    assert parse('virtual_size', '7') == Filter('virtual_size', 'eq', 7)
    assert parse('protected', 'true') == Filter('protected', 'eq', True)
    assert parse('os_hidden', 'True') == Filter('os_hidden', 'eq', True)
    assert parse('owner', 'in:x') == Filter('owner', 'eq', 'in:x')
    assert parse('os_distro', 'in:x') == Filter('os_distro', 'eq', 'in:x', property=True)
    assert parse('colour_min', '3') == Filter('colour_min', 'eq', '3', property=True)


@pytest.mark.parametrize('name, value, message', [
    ('name', 'like:a', "Unable to filter by unknown operator 'like'."),
    ('name', 'in:"a', 'Invalid filter value "a. The quote is not closed.'),
    ('created_at', 'gt:yesterday',
     'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'),
    ('created_at', 'between:2000-01-01T00:00:00Z', 'Unable to filter on a unknown operator.'),
    ('created_at', 'gt:9999-12-31T23:59:59-10:00',
     'Filter created_at is out of range: gt:9999-12-31T23:59:59-10:00.'),
    ('size_min', 'big', 'Unable to filter on a range with a non-numeric value.'),
    ('size_max', '9223372036854775808', 'Filter size_max is out of range: '
                                        '9223372036854775808.'),
    ('size', 'abc', 'Filter size takes an integer.'),
    ('protected', 'True', "Invalid value 'True' for 'protected' filter. Valid values are "
                          "'true' or 'false'."),
])
def test_bad_filters_are_refused_with_upstreams_messages(name, value, message):
    with pytest.raises(exceptions.InvalidFilter) as raised:
        list_query.parse_filter(name, value)
    assert raised.value.msg == message


def sample():
    return ListQuery(
        filters=(Filter('name', 'in', ['a', 'b,c']),
                 Filter('created_at', 'gt', datetime.datetime(2020, 1, 1, 1, 2, 3, 4)),
                 Filter('size', 'gte', 10), Filter('size', 'lte', 20),
                 Filter('protected', 'eq', False), Filter('os_distro', 'eq', 'x', True)),
        tags=('t1', 't2'), visibility='all', member_status='pending',
        sort=(('name', 'asc'), ('created_at', 'desc'), ('id', 'desc')),
        marker='00000000-0000-0000-0000-000000000000', limit=25)


def test_the_wire_form_round_trips_and_is_plain_json():
    import json
    query = sample()
    wire = json.loads(json.dumps(query.to_dict()))
    assert ListQuery.from_dict(wire) == query


def test_the_form_before_1_4_round_trips():
    query = sample()
    assert ListQuery.from_legacy(**query.to_legacy()) == query


@pytest.mark.parametrize('change, error', [
    ({'filters': [{'name': 'name', 'op': 'gt', 'value': 'a'}]}, exceptions.InvalidFilter),
    ({'filters': [{'name': 'size', 'op': 'gte', 'value': '10'}]}, exceptions.InvalidFilter),
    ({'filters': [{'name': 'name', 'op': 'in', 'value': 'a'}]}, exceptions.InvalidFilter),
    ({'filters': [{'name': 'created_at', 'op': 'lt', 'value': 'soon'}]},
     exceptions.InvalidFilter),
    ({'filters': [{'name': 'k', 'op': 'in', 'value': ['a'], 'property': True}]},
     exceptions.InvalidFilter),
    ({'filters': ['name']}, exceptions.InvalidFilter),
    ({'sort': [['owner', 'asc']]}, exceptions.InvalidSortKey),
    ({'sort': [['name', 'up']]}, exceptions.InvalidSortDir),
    ({'visibility': 'everyone'}, exceptions.InvalidFilter),
    ({'member_status': 'maybe'}, exceptions.InvalidFilter),
    ({'limit': -1}, exceptions.InvalidFilter),
    ({'limit': '10'}, exceptions.InvalidFilter),
    ({'tags': [3]}, exceptions.InvalidFilter),
])
def test_the_registry_checks_what_arrives(change, error):
    with pytest.raises(error):
        ListQuery.from_dict(dict(sample().to_dict(), **change))


@pytest.mark.parametrize('keys, dirs, expected', [
    (None, None, (('created_at', 'desc'), ('id', 'desc'))),
    (['name'], ['asc'], (('name', 'asc'), ('created_at', 'asc'), ('id', 'asc'))),
    (['name', 'size'], ['asc'], (('name', 'asc'), ('size', 'asc'), ('created_at', 'asc'),
                                 ('id', 'asc'))),
    (['name', 'id'], ['asc', 'asc'], (('name', 'asc'), ('id', 'asc'),
                                      ('created_at', 'desc'))),
])
def test_sort_spec_reads_directions_as_upstream(keys, dirs, expected):
    assert list_query.sort_spec(keys, dirs) == expected
