"""image_list: visibility, filters, sorting and marker paging, all in SQL."""

import sqlalchemy as sa

from common import exceptions
from registry_service import access
from registry_service import image_dicts
from registry_service.db import models

Image = models.Image

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at',
             'updated_at')
SORT_DIRS = ('asc', 'desc')
DEFAULT_SORT = (['created_at'], ['desc'])
# Sort keys that may be NULL. Backends disagree on where NULLs sort, so the order is made
# explicit (NULL is the smallest value) and the keyset comparison follows it.
NULLABLE_SORT_KEYS = frozenset({'name', 'container_format', 'disk_format', 'size'})
EQUALITY_FILTERS = ('name', 'status', 'owner', 'disk_format', 'container_format', 'id')
BOOLEAN_FILTERS = ('protected', 'os_hidden')
RANGE_FILTERS = {'size_min': (Image.size, '>='), 'size_max': (Image.size, '<=')}


def _sort_spec(sort_keys, sort_dirs):
    keys = list(sort_keys or DEFAULT_SORT[0])
    dirs = list(sort_dirs or [])
    if not dirs:
        dirs = DEFAULT_SORT[1] * len(keys)
    elif len(dirs) == 1:
        dirs = dirs * len(keys)
    elif len(dirs) != len(keys):
        raise exceptions.Invalid('Give one sort direction, or one for each sort key.')
    for key in keys:
        if key not in SORT_KEYS:
            raise exceptions.InvalidSortKey(key=key)
    for direction in dirs:
        if direction not in SORT_DIRS:
            raise exceptions.InvalidSortDir(direction=direction)
    if 'id' not in keys:
        keys.append('id')
        dirs.append(dirs[-1])
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


def _as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'false'):
        return value.lower() == 'true'
    raise exceptions.InvalidFilter(value=value)


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exceptions.InvalidFilter(value=value) from None


def _property_is(name, value):
    prop = models.ImageProperty
    return sa.exists().where(prop.image_id == Image.id, prop.name == name, prop.value == value)


def _has_tag(tag):
    return sa.exists().where(models.ImageTag.image_id == Image.id,
                             models.ImageTag.value == tag)


def _filter_clauses(ctxt, filters):
    filters = dict(filters or {})
    clauses = [Image.deleted == sa.false(),
               access.list_clause(ctxt, filters.pop('visibility', None))]
    # Hidden images stay out of listings unless os_hidden is asked for explicitly.
    clauses.append(Image.os_hidden == _as_bool(filters.pop('os_hidden', False)))
    if 'protected' in filters:
        clauses.append(Image.protected == _as_bool(filters.pop('protected')))
    for name, (column, op) in RANGE_FILTERS.items():
        if name in filters:
            bound = _as_int(filters.pop(name))
            clauses.append(column >= bound if op == '>=' else column <= bound)
    tags = filters.pop('tags', None) or []
    clauses.extend(_has_tag(tag) for tag in ([tags] if isinstance(tags, str) else tags))
    for name in EQUALITY_FILTERS:
        if name in filters:
            value = filters.pop(name)
            column = getattr(Image, name)
            # A list means "any of" (the api's `in:` operator).
            clauses.append(column.in_(value) if isinstance(value, (list, tuple))
                           else column == value)
    # Whatever is left names an extra property.
    for name, value in filters.items():
        if not isinstance(value, str):
            raise exceptions.InvalidFilter(value=value)
        clauses.append(_property_is(name, value))
    return clauses


def list_images(db, ctxt, filters, marker, limit, sort_keys, sort_dirs):
    columns = _sort_columns(_sort_spec(sort_keys, sort_dirs))
    if limit is not None and (_as_int(limit) < 0):
        raise exceptions.InvalidFilter(value=limit)
    with db.read() as session:
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
            query = query.limit(_as_int(limit))
        rows = session.execute(query).scalars().all()
        return image_dicts.to_dicts(session, rows)
