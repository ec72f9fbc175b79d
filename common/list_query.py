"""The image list's query, typed: what image_list carries over the bus (contract 1.4).

The api reads GET /v2/images into a ListQuery (api_service/http/list_query.py, with
parse_filter below for each filter's value); the registry only turns it into SQL
(registry_service/listing.py). RPC arguments are plain primitives, so a query travels as
``to_dict()`` and is rebuilt, and checked again, with ``from_dict()``.

A filter's value syntax is upstream Glance's, as in the query string:

* ``name``, ``id``, ``status``, ``container_format``, ``disk_format``: ``value`` or
  ``eq:value`` for equality, ``in:a,b,"c,d"`` for any of a list (quote a value holding a
  comma);
* ``created_at``, ``updated_at``: ``[gt|gte|lt|lte|eq|neq:]<ISO 8601>``;
* ``size_min``/``size_max`` (and the other integer columns' ``_min``/``_max``): bounds;
  ``size=...``: equality;
* ``protected``, ``os_hidden``: true/false; other base attributes by equality;
* any other name is an extra property, by equality.

Before 1.4, image_list took ``filters`` in that syntax with ``sort_keys`` and ``sort_dirs``;
from_legacy() and to_legacy() translate, so an api held back by ``[registry] version_cap``
and a registry of either version still understand each other.
"""

import dataclasses
import datetime
import re

from oslo_utils import timeutils

from common import exceptions
from common import image_attributes as attrs

DEFAULT_SORT_KEY = 'created_at'
DEFAULT_SORT_DIR = 'desc'
# Upstream always orders by these last, so pages are stable whatever the caller sorts on.
TIE_BREAKERS = ('created_at', 'id')
DEFAULT_MEMBER_STATUS = 'accepted'
VISIBILITY_FILTERS = attrs.VISIBILITIES + ('all',)
MEMBER_STATUS_FILTERS = attrs.MEMBER_STATUSES + ('all',)
# A signed 64-bit integer: beyond it no database column can compare, and the drivers fail
# (SQLite's with OverflowError) instead of finding nothing.
MIN_INT64, MAX_INT64 = -2 ** 63, 2 ** 63 - 1
# The integer columns' bounds as spelt in the query string.
_BOUNDS = {'_min': attrs.GTE, '_max': attrs.LTE}
_NON_NUMERIC = 'Unable to filter on a range with a non-numeric value.'


@dataclasses.dataclass(frozen=True)
class Filter:
    """One condition: base attribute (or extra property) ``name`` ``op`` ``value``.

    ``value`` is a str, an int, a bool or a naive UTC datetime as the attribute's type
    says; a list of str for ``in``. An extra property compares its text by equality.
    """
    name: str
    op: str
    value: object
    property: bool = False

    def to_dict(self):
        value = self.value
        if isinstance(value, datetime.datetime):
            value = value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        elif isinstance(value, tuple):
            value = list(value)
        return {'name': self.name, 'op': self.op, 'value': value, 'property': self.property}

    @classmethod
    def from_dict(cls, data):
        try:
            name, op, value = data['name'], data['op'], data['value']
            is_property = bool(data.get('property', False))
        except (KeyError, TypeError):
            raise exceptions.InvalidFilter(value=data) from None
        if not isinstance(name, str):
            raise exceptions.InvalidFilter(value=name)
        if is_property:
            if op != attrs.EQ:
                raise exceptions.InvalidFilter(value=op)
            return cls(name, op, _text(name, value), True)
        return cls(name, op, _typed_value(name, op, value))


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """Everything one page of GET /v2/images needs, checked."""
    filters: tuple = ()
    # An image must carry every one of them.
    tags: tuple = ()
    # One of VISIBILITY_FILTERS, or None for the default listing.
    visibility: str | None = None
    member_status: str = DEFAULT_MEMBER_STATUS
    # (key, direction) pairs in ORDER BY order, the tie-breakers included.
    sort: tuple = ((DEFAULT_SORT_KEY, DEFAULT_SORT_DIR), ('id', DEFAULT_SORT_DIR))
    marker: str | None = None
    limit: int | None = None

    def __post_init__(self):
        if self.visibility is not None and self.visibility not in VISIBILITY_FILTERS:
            raise exceptions.InvalidFilter('Invalid visibility value: %s' % self.visibility)
        if self.member_status not in MEMBER_STATUS_FILTERS:
            raise exceptions.InvalidFilter('Invalid status: %s' % self.member_status)
        for key, direction in self.sort:
            if key not in attrs.SORT_KEYS:
                raise exceptions.InvalidSortKey(key=key)
            if direction not in attrs.SORT_DIRS:
                raise exceptions.InvalidSortDir(direction=direction)
        if self.limit is not None and (not _is_int(self.limit) or self.limit < 0):
            raise exceptions.InvalidFilter('limit param must be positive')
        if self.marker is not None and not isinstance(self.marker, str):
            raise exceptions.InvalidFilter(value=self.marker)
        for tag in self.tags:
            _text('tag', tag)

    def filter_on(self, name):
        """The filters of base attribute ``name``."""
        return [f for f in self.filters if f.name == name and not f.property]

    def to_dict(self):
        return {'filters': [f.to_dict() for f in self.filters], 'tags': list(self.tags),
                'visibility': self.visibility, 'member_status': self.member_status,
                'sort': [list(pair) for pair in self.sort], 'marker': self.marker,
                'limit': self.limit}

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise exceptions.InvalidFilter(value=data)
        try:
            sort = tuple((key, direction) for key, direction in data.get('sort') or ())
            filters = tuple(Filter.from_dict(f) for f in data.get('filters') or ())
            tags = tuple(data.get('tags') or ())
        except (TypeError, ValueError):
            raise exceptions.InvalidFilter(value=data) from None
        return cls(filters=filters, tags=tags, visibility=data.get('visibility'),
                   member_status=data.get('member_status') or DEFAULT_MEMBER_STATUS,
                   sort=sort or cls.sort, marker=data.get('marker'), limit=data.get('limit'))

    # -- the argument form before 1.4 ---------------------------------------------------------

    @classmethod
    def from_legacy(cls, filters, marker, limit, sort_keys, sort_dirs):
        """The 1.0-1.3 arguments (``filters`` in the query-string syntax) -> a ListQuery."""
        filters = dict(filters or {})
        visibility = filters.pop('visibility', None)
        member_status = filters.pop('member_status', None) or DEFAULT_MEMBER_STATUS
        tags = filters.pop('tags', None) or []
        tags = [tags] if isinstance(tags, str) else list(tags)
        properties = filters.pop('properties', None) or {}
        parsed = [parse_filter(name, value) for name, value in filters.items()]
        parsed += [Filter(name, attrs.EQ, _text(name, value), True)
                   for name, value in properties.items()]
        if limit is not None:
            limit = _as_int(limit, 'limit must be a non-negative integer')
        return cls(filters=tuple(parsed), tags=tuple(tags), visibility=visibility,
                   member_status=member_status, sort=sort_spec(sort_keys, sort_dirs),
                   marker=marker, limit=limit)

    def to_legacy(self):
        """-> the 1.0-1.3 keyword arguments of image_list for an older registry."""
        filters = {}
        for f in self.filters:
            filters.update(_legacy_filter(f))
        if self.tags:
            filters['tags'] = list(self.tags)
        if self.visibility is not None:
            filters['visibility'] = self.visibility
        filters['member_status'] = self.member_status
        return {'filters': filters, 'marker': self.marker, 'limit': self.limit,
                'sort_keys': [key for key, _ in self.sort],
                'sort_dirs': [direction for _, direction in self.sort]}


# -- sorting -------------------------------------------------------------------------------------

def sort_spec(sort_keys, sort_dirs):
    """Keys and directions as upstream reads them -> (key, direction) pairs, tie-breakers last.

    No direction: desc for every key; one: for every key and the tie-breakers; else one per
    key, and desc for the tie-breakers.
    """
    keys = list(sort_keys or [DEFAULT_SORT_KEY])
    dirs = list(sort_dirs or [])
    for key in keys:
        if key not in attrs.SORT_KEYS:
            raise exceptions.InvalidSortKey(key=key)
    for direction in dirs:
        if direction not in attrs.SORT_DIRS:
            raise exceptions.InvalidSortDir(direction=direction)
    default_dir = DEFAULT_SORT_DIR
    if not dirs:
        dirs = [default_dir] * len(keys)
    elif len(dirs) == 1:
        default_dir = dirs[0]
        dirs = dirs * len(keys)
    elif len(dirs) != len(keys):
        raise exceptions.Invalid('Number of sort dirs does not match the number of sort '
                                 'keys')
    for key in TIE_BREAKERS:
        if key not in keys:
            keys.append(key)
            dirs.append(default_dir)
    return tuple(zip(keys, dirs, strict=True))


# -- filter values -----------------------------------------------------------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value, message=_NON_NUMERIC):
    if isinstance(value, bool):
        raise exceptions.InvalidFilter(message)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exceptions.InvalidFilter(message) from None


def _text(name, value):
    if not isinstance(value, str):
        raise exceptions.InvalidFilter('Filter %s takes a single string value.' % name)
    return value


def _as_bool(name, value, strict=False):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and (value if strict else value.lower()) in ('true', 'false'):
        return value.lower() == 'true'
    raise exceptions.InvalidFilter("Invalid value '%s' for '%s' filter. Valid values are "
                                   "'true' or 'false'." % (value, name))


def _in_range(name, number, shown=None):
    if not MIN_INT64 <= number <= MAX_INT64:
        raise exceptions.InvalidFilter('Filter %s is out of range: %s.'
                                       % (name, number if shown is None else shown))
    return number


def _is_isotime(text):
    try:
        timeutils.parse_isotime(text)
        return True
    except ValueError:
        return False


def split_operator(expression):
    """'op:value' -> (op, value); no operator (or a bare ISO time) means 'eq'."""
    left, sep, right = expression.partition(':')
    if not sep or _is_isotime(expression):
        return attrs.EQ, expression
    return left, right


def _check_quotes(value):
    """Quotes must enclose whole items: open after a comma, close before one."""
    inside = False
    for i, char in enumerate(value):
        if char != '"' or (i and value[i - 1] == '\\'):
            continue
        if not inside and i and value[i - 1] != ',':
            raise exceptions.InvalidFilter('Invalid filter value %s. There is no comma '
                                           'before opening quotation mark.' % value)
        if inside and i + 1 != len(value) and value[i + 1] != ',':
            raise exceptions.InvalidFilter('Invalid filter value %s. There is no comma '
                                           'after closing quotation mark.' % value)
        inside = not inside
    if inside:
        raise exceptions.InvalidFilter('Invalid filter value %s. The quote is not closed.'
                                       % value)


_LIST_ITEM = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,')


def split_list(value):
    """'a,"b,c",d' -> ['a', 'b,c', 'd'] (the api-wg `in:` syntax, as upstream reads it)."""
    _check_quotes(value)
    return [quoted or plain for quoted, plain in _LIST_ITEM.findall(value)]


def _join_list(values):
    return ','.join('"%s"' % v if (',' in v or '"' in v) else v for v in values)


def _parse_time(name, expression):
    operator, value = split_operator(_text(name, expression))
    try:
        moment = timeutils.parse_isotime(value)
    except ValueError:
        raise exceptions.InvalidFilter('Bad "%s" query filter format. Use ISO 8601 DateTime '
                                       'notation.' % name) from None
    if operator not in attrs.TIME_OPERATORS:
        raise exceptions.InvalidFilter('Unable to filter on a unknown operator.')
    try:
        # A time near year 1 or 9999 whose UTC offset carries it past either end parses,
        # but has no UTC time to compare with.
        return Filter(name, operator, timeutils.normalize_time(moment))
    except OverflowError:
        raise exceptions.InvalidFilter('Filter %s is out of range: %s.'
                                       % (name, expression)) from None


def parse_filter(name, value):
    """One filter as the query string (or a pre-1.4 caller) gives it -> a Filter."""
    operators = attrs.filter_operators(name)
    attribute = attrs.BY_NAME.get(name)
    if attrs.IN in operators:
        if isinstance(value, (list, tuple)):  # already a list of values: "any of"
            return Filter(name, attrs.IN, [_text(name, v) for v in value])
        operator, text = split_operator(_text(name, value))
        if operator == attrs.IN:
            return Filter(name, attrs.IN, split_list(text))
        if operator == attrs.EQ:
            return Filter(name, attrs.EQ, text)
        raise exceptions.InvalidFilter("Unable to filter by unknown operator '%s'."
                                       % operator)
    if attrs.GT in operators:
        return _parse_time(name, value)
    if attrs.GTE in operators:
        number = _as_int(value, 'Filter %s takes an integer.' % name)
        return Filter(name, attrs.EQ, _in_range(name, number, value))
    if operators and attribute.type == attrs.BOOLEAN:
        return Filter(name, attrs.EQ, _as_bool(name, value, strict=name == 'protected'))
    if operators:
        return Filter(name, attrs.EQ, _text(name, value))
    column, suffix = name[:-4], name[-4:]
    if suffix in _BOUNDS and _BOUNDS[suffix] in attrs.filter_operators(column):
        return Filter(column, _BOUNDS[suffix], _in_range(name, _as_int(value), value))
    # Whatever is left names an extra property.
    return Filter(name, attrs.EQ, _text(name, value), True)


def _typed_value(name, op, value):
    """Checks a base attribute's filter as it arrives over the bus -> its value."""
    operators = attrs.filter_operators(name)
    if op not in operators:
        raise exceptions.InvalidFilter("Unable to filter by unknown operator '%s'." % op)
    attribute = attrs.BY_NAME[name]
    if op == attrs.IN:
        if not isinstance(value, (list, tuple)):
            raise exceptions.InvalidFilter(value=value)
        return [_text(name, v) for v in value]
    if attribute.type == attrs.DATETIME:
        try:
            return timeutils.normalize_time(timeutils.parse_isotime(_text(name, value)))
        except (ValueError, OverflowError):
            raise exceptions.InvalidFilter('Bad "%s" query filter format. Use ISO 8601 '
                                           'DateTime notation.' % name) from None
    if attribute.type == attrs.INTEGER:
        if not _is_int(value):
            raise exceptions.InvalidFilter('Filter %s takes an integer.' % name)
        return _in_range(name, value)
    if attribute.type == attrs.BOOLEAN:
        if not isinstance(value, bool):
            raise exceptions.InvalidFilter(value=value)
        return value
    return _text(name, value)


def _legacy_filter(f):
    """One Filter -> {name: value} in the pre-1.4 syntax."""
    if f.property:
        return {f.name: f.value}
    attribute = attrs.BY_NAME[f.name]
    if f.op == attrs.IN:
        return {f.name: 'in:' + _join_list(f.value)}
    if attribute.type == attrs.DATETIME:
        return {f.name: '%s:%s' % (f.op, f.value.strftime('%Y-%m-%dT%H:%M:%S.%fZ'))}
    if attribute.type == attrs.INTEGER:
        suffix = {attrs.EQ: '', attrs.GTE: '_min', attrs.LTE: '_max'}[f.op]
        return {f.name + suffix: str(f.value)}
    if attribute.type == attrs.BOOLEAN:
        return {f.name: 'true' if f.value else 'false'}
    if attrs.IN in attribute.filters:
        return {f.name: 'eq:' + f.value}
    return {f.name: f.value}
