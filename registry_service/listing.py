"""image_list: visibility, filters, sorting and marker paging, all in SQL.

The query arrives typed (common.list_query.ListQuery: the api read the query string, or
the endpoint translated a caller's pre-1.4 arguments); this module only turns it into SQL,
with upstream Glance's meaning: each filter compares its column (an extra property's text
by equality), tags must all be present, hidden images stay out unless ``os_hidden`` is
asked for, and ``created_at`` then ``id`` break ties so marker paging is stable.
"""

import sqlalchemy as sa

from common import exceptions
from common import image_attributes
from common import list_query
from registry_service import access
from registry_service import image_rows
from registry_service.db import models

Image = models.Image

SORT_KEYS = image_attributes.SORT_KEYS
SORT_DIRS = image_attributes.SORT_DIRS
DEFAULT_SORT_KEY = list_query.DEFAULT_SORT_KEY
DEFAULT_SORT_DIR = list_query.DEFAULT_SORT_DIR
# Sort keys that may be NULL. Backends disagree on where NULLs sort, so the order is made
# explicit (NULL is the smallest value) and the keyset comparison follows it.
NULLABLE_SORT_KEYS = frozenset(image_attributes.NULLABLE_SORT_KEYS)


# -- sorting and the marker -----------------------------------------------------------------

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


# -- filters ---------------------------------------------------------------------------------

_COMPARISONS = {
    image_attributes.EQ: lambda column, value: column == value,
    image_attributes.NEQ: lambda column, value: column != value,
    image_attributes.IN: lambda column, value: column.in_(value),
    image_attributes.GT: lambda column, value: column > value,
    image_attributes.GTE: lambda column, value: column >= value,
    image_attributes.LT: lambda column, value: column < value,
    image_attributes.LTE: lambda column, value: column <= value,
}


def _property_is(name, value):
    prop = models.ImageProperty
    return sa.exists().where(prop.image_id == Image.id, prop.name == name, prop.value == value)


def _has_tag(tag):
    return sa.exists().where(models.ImageTag.image_id == Image.id,
                             models.ImageTag.value == tag)


def _filter_clause(f):
    if f.property:
        return _property_is(f.name, f.value)
    return _COMPARISONS[f.op](getattr(Image, f.name), f.value)


def _filter_clauses(ctxt, query):
    clauses = [Image.deleted == sa.false(),
               access.list_clause(ctxt, query.visibility, member_status=query.member_status)]
    # Hidden images stay out of listings unless os_hidden is asked for explicitly.
    if not query.filter_on('os_hidden'):
        clauses.append(Image.os_hidden == sa.false())
    clauses.extend(_has_tag(tag) for tag in query.tags)
    clauses.extend(_filter_clause(f) for f in query.filters)
    return clauses


def _sort_spec(query):
    """The query's (key, direction) pairs; ``id`` last if missing, so the order is total."""
    spec = list(query.sort)
    if 'id' not in [key for key, _ in spec]:
        spec.append(('id', spec[-1][1] if spec else DEFAULT_SORT_DIR))
    return spec


def build_query(conn, ctxt, query):
    """The SELECT of one page of ``query`` (a ListQuery; exposed for tools that show its
    SQL and query plan), of the images table's columns (Rows, not ORM objects)."""
    columns = _sort_columns(_sort_spec(query))
    select = sa.select(image_rows.IMAGES).where(*_filter_clauses(ctxt, query))
    if query.marker is not None:
        try:
            marker_row = image_rows.fetch_visible(conn, ctxt, query.marker)
        except exceptions.ImageNotFound:
            raise exceptions.MarkerNotFound(marker=query.marker) from None
        select = select.where(_after_marker(columns, marker_row))
    select = select.order_by(*(expr.asc() if direction == 'asc' else expr.desc()
                               for expr, _, _, direction in columns))
    if query.limit is not None:
        select = select.limit(query.limit)
    return select


def list_images(db, ctxt, query):
    with db.read_connection() as conn:
        rows = conn.execute(build_query(conn, ctxt, query)).all()
        return image_rows.image_dicts_of(conn, rows)
