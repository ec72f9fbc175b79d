"""image_list: visibility, filters, sorting and marker paging, all in SQL.

Filters arrive as the api read them from the query string (strings, a list for a repeated
``tag``), and their operator syntax is read here, next to the SQL it becomes, with upstream
Glance's meaning:

* ``name``, ``id``, ``status``, ``container_format``, ``disk_format``: ``value`` or
  ``eq:value`` for equality, ``in:a,b,"c,d"`` for any of a list (quote a value holding a comma);
* ``created_at``, ``updated_at``: ``[gt|gte|lt|lte|eq|neq:]<ISO 8601>``;
* ``size_min``/``size_max`` (and the other integer columns' ``_min``/``_max``): bounds;
* ``tags``: every one of them; ``protected``, ``os_hidden``: true/false;
* other base columns by equality; any other name is an extra property, by equality.
"""

import re

import sqlalchemy as sa
from oslo_utils import timeutils

from common import exceptions
from common import image_attributes
from registry_service import access
from registry_service import image_dicts
from registry_service.db import models

Image = models.Image

SORT_KEYS = image_attributes.SORT_KEYS
SORT_DIRS = image_attributes.SORT_DIRS
DEFAULT_SORT_KEY = 'created_at'
DEFAULT_SORT_DIR = 'desc'
# Upstream always orders by these last, so pages are stable whatever the caller sorts on.
TIE_BREAKERS = ('created_at', 'id')
# Sort keys that may be NULL. Backends disagree on where NULLs sort, so the order is made
# explicit (NULL is the smallest value) and the keyset comparison follows it.
NULLABLE_SORT_KEYS = frozenset(image_attributes.NULLABLE_SORT_KEYS)

OPERATOR_FILTERS = ('name', 'id', 'status', 'container_format', 'disk_format')
TIME_FILTERS = ('created_at', 'updated_at')
INT_COLUMNS = ('size', 'virtual_size', 'min_ram', 'min_disk')
STRING_COLUMNS = ('visibility', 'owner', 'checksum', 'os_hash_algo', 'os_hash_value')
BOOLEAN_FILTERS = ('protected', 'os_hidden')
TIME_OPERATORS = ('gt', 'gte', 'lt', 'lte', 'eq', 'neq')


# -- sorting and the marker -----------------------------------------------------------------

def _sort_spec(sort_keys, sort_dirs):
    keys = list(sort_keys or [DEFAULT_SORT_KEY])
    dirs = list(sort_dirs or [])
    for key in keys:
        if key not in SORT_KEYS:
            raise exceptions.InvalidSortKey(key=key)
    for direction in dirs:
        if direction not in SORT_DIRS:
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
    return list(zip(keys, dirs, strict=True))


def _sort_columns(spec):
    """[(expression, key, is_null_flag, direction)] in ORDER BY order."""
    columns = []
    for key, direction in spec:
        column = getattr(Image, key)
        if key in NULLABLE_SORT_KEYS:
            columns.append((sa.case((column.is_(None), 0), else_=1), key, True, direction))
        columns.append((column, key, False, direction))
    return columns


def _after_marker(columns, marker):
    """Rows strictly after `marker` in the sort order (oslo.db paginate_query's keyset)."""
    def marker_value(key, is_flag):
        value = getattr(marker, key)
        if is_flag:
            return 0 if value is None else 1
        return value

    branches = []
    for i, (expr, key, is_flag, direction) in enumerate(columns):
        value = marker_value(key, is_flag)
        if value is None:
            continue  # nothing is strictly beside NULL; its flag column already ordered it
        equal_before = []
        for prev_expr, prev_key, prev_flag, _ in columns[:i]:
            prev_value = marker_value(prev_key, prev_flag)
            if prev_value is not None:  # NULL == NULL is implied by the equal flag before it
                equal_before.append(prev_expr == prev_value)
        beyond = expr > value if direction == 'asc' else expr < value
        branches.append(sa.and_(*equal_before, beyond))
    return sa.or_(*branches) if branches else sa.false()


# -- filter values ---------------------------------------------------------------------------

def _as_bool(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'false'):
        return value.lower() == 'true'
    raise exceptions.InvalidFilter("Invalid value '%s' for '%s' filter. Valid values are "
                                   "'true' or 'false'." % (value, name))


def _as_int(value, message='Unable to filter on a range with a non-numeric value.'):
    if isinstance(value, bool):
        raise exceptions.InvalidFilter(message)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exceptions.InvalidFilter(message) from None


def _as_text(name, value):
    if not isinstance(value, str):
        raise exceptions.InvalidFilter('Filter %s takes a single string value.' % name)
    return value


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
        return 'eq', expression
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


def _operator_clause(name, expression):
    column = getattr(Image, name)
    if isinstance(expression, (list, tuple)):  # already a list of values: "any of"
        return column.in_([_as_text(name, v) for v in expression])
    operator, value = split_operator(_as_text(name, expression))
    if operator == 'in':
        return column.in_(split_list(value))
    if operator == 'eq':
        return column == value
    raise exceptions.InvalidFilter("Unable to filter by unknown operator '%s'." % operator)


def _time_clause(name, expression):
    operator, value = split_operator(_as_text(name, expression))
    try:
        threshold = timeutils.normalize_time(timeutils.parse_isotime(value))
    except ValueError:
        raise exceptions.InvalidFilter('Bad "%s" query filter format. Use ISO 8601 DateTime '
                                       'notation.' % name) from None
    if operator not in TIME_OPERATORS:
        raise exceptions.InvalidFilter('Unable to filter on a unknown operator.')
    column = getattr(Image, name)
    return {'gt': column > threshold, 'gte': column >= threshold,
            'lt': column < threshold, 'lte': column <= threshold,
            'eq': column == threshold, 'neq': column != threshold}[operator]


def _property_is(name, value):
    prop = models.ImageProperty
    return sa.exists().where(prop.image_id == Image.id, prop.name == name, prop.value == value)


def _has_tag(tag):
    return sa.exists().where(models.ImageTag.image_id == Image.id,
                             models.ImageTag.value == _as_text('tag', tag))


def _range_clause(name, value):
    """size_min=... / min_ram_max=...: a bound on an integer column, or None."""
    column_name, bound = name[:-4], name[-3:]
    if column_name not in INT_COLUMNS:
        return None
    limit = _as_int(value)
    column = getattr(Image, column_name)
    return column >= limit if bound == 'min' else column <= limit


def _filter_clauses(ctxt, filters):
    filters = dict(filters or {})
    clauses = [Image.deleted == sa.false(),
               access.list_clause(ctxt, filters.pop('visibility', None),
                                  member_status=filters.pop('member_status', None))]
    # Hidden images stay out of listings unless os_hidden is asked for explicitly.
    clauses.append(Image.os_hidden == _as_bool('os_hidden', filters.pop('os_hidden', False)))
    if 'protected' in filters:
        clauses.append(Image.protected == _as_bool('protected', filters.pop('protected')))
    tags = filters.pop('tags', None) or []
    clauses.extend(_has_tag(tag) for tag in ([tags] if isinstance(tags, str) else tags))
    properties = filters.pop('properties', None) or {}
    for name, value in filters.items():
        if name in OPERATOR_FILTERS:
            clauses.append(_operator_clause(name, value))
        elif name in TIME_FILTERS:
            clauses.append(_time_clause(name, value))
        elif name in INT_COLUMNS:
            clauses.append(getattr(Image, name) == _as_int(
                value, 'Filter %s takes an integer.' % name))
        elif name in STRING_COLUMNS:
            clauses.append(getattr(Image, name) == _as_text(name, value))
        elif name.endswith(('_min', '_max')) and _range_clause(name, value) is not None:
            clauses.append(_range_clause(name, value))
        else:
            # Whatever is left names an extra property.
            clauses.append(_property_is(name, _as_text(name, value)))
    clauses.extend(_property_is(name, _as_text(name, value))
                   for name, value in properties.items())
    return clauses


def build_query(session, ctxt, filters, marker, limit, sort_keys, sort_dirs):
    """The SELECT of one page (exposed for tools that show its SQL and query plan)."""
    columns = _sort_columns(_sort_spec(sort_keys, sort_dirs))
    if limit is not None and _as_int(limit, 'limit must be a non-negative integer') < 0:
        raise exceptions.InvalidFilter('limit param must be positive')
    query = sa.select(Image).where(*_filter_clauses(ctxt, filters))
    if marker is not None:
        try:
            marker_row = access.fetch_visible(session, ctxt, marker)
        except exceptions.ImageNotFound:
            raise exceptions.MarkerNotFound(marker=marker) from None
        query = query.where(_after_marker(columns, marker_row))
    query = query.order_by(*(expr.asc() if direction == 'asc' else expr.desc()
                             for expr, _, _, direction in columns))
    if limit is not None:
        query = query.limit(int(limit))
    return query


def list_images(db, ctxt, filters, marker, limit, sort_keys, sort_dirs):
    with db.read() as session:
        query = build_query(session, ctxt, filters, marker, limit, sort_keys, sort_dirs)
        rows = session.execute(query).scalars().all()
        return image_dicts.to_dicts(session, rows)
