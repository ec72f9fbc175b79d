"""GET /v2/images query string -> registry image_list arguments, and the paging links.

Request-level checks happen here, with upstream's messages (limit, sorting, visibility,
member_status, protected, changes-since); the filters' operator syntax (``in:``, ``gt:`` ...)
is read by the registry, next to the SQL it becomes.
"""

from urllib import parse

from oslo_utils import timeutils

from common import exceptions
from common import image_attributes

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at',
             'updated_at')
SORT_DIRS = ('asc', 'desc')
DEFAULT_SORT_KEY = 'created_at'
DEFAULT_SORT_DIR = 'desc'
VISIBILITY_FILTERS = image_attributes.VISIBILITIES + ('all',)
TIME_FILTERS = ('created_at', 'updated_at')
MEMBER_STATUSES = image_attributes.MEMBER_STATUSES + ('all',)
# Paging and sorting parameters; everything else in the query string is a filter.
_CONTROL_PARAMS = ('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'tag')
# Filters compared with an integer column: exact (size=...) or a bound (size_min=...).
_INT_COLUMNS = ('size', 'virtual_size', 'min_ram', 'min_disk')
INT_FILTERS = _INT_COLUMNS + tuple(c + suffix for c in _INT_COLUMNS
                                   for suffix in ('_min', '_max'))
# A signed 64-bit integer: beyond it no database column can compare, and the drivers fail
# (SQLite's with OverflowError) instead of finding nothing.
_MIN_INT64, _MAX_INT64 = -2 ** 63, 2 ** 63 - 1


def _limit(args, conf):
    raw = args.get('limit')
    if raw is None:
        return min(conf.limit_param_default, conf.api_limit_max)
    try:
        limit = int(raw)
    except ValueError:
        raise exceptions.Invalid('limit param must be an integer') from None
    if limit < 0:
        raise exceptions.Invalid('limit param must be positive')
    return min(limit, conf.api_limit_max)


def _sort_key(key):
    if key not in SORT_KEYS:
        raise exceptions.Invalid('Invalid sort key: %s. It must be one of the following: %s.'
                                 % (key, ', '.join(SORT_KEYS)))
    return key


def _sort_dir(direction):
    if direction not in SORT_DIRS:
        raise exceptions.Invalid('Invalid sort direction: %s' % direction)
    return direction


def _sorting(args):
    keys, dirs = [], []
    if 'sort' in args:
        if 'sort_key' in args or 'sort_dir' in args:
            raise exceptions.Invalid('Old and new sorting syntax cannot be combined')
        for item in args.get('sort').strip().split(','):
            key, _sep, direction = item.partition(':')
            keys.append(_sort_key(key.strip()))
            dirs.append(_sort_dir(direction.strip() or DEFAULT_SORT_DIR))
    else:
        keys = [_sort_key(k.strip()) for k in args.getlist('sort_key')]
        dirs = [_sort_dir(d.strip()) for d in args.getlist('sort_dir')]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise exceptions.Invalid('Number of sort dirs does not match the number of '
                                     'sort keys')
    return keys or [DEFAULT_SORT_KEY], dirs or [DEFAULT_SORT_DIR]


def _check_int_filter(name, value):
    # Only the range is checked here; the registry reads the value and refuses a
    # non-number with its own message.
    try:
        number = int(value)
    except ValueError:
        return
    if not _MIN_INT64 <= number <= _MAX_INT64:
        raise exceptions.Invalid('Filter %s is out of range: %s.' % (name, value))


def _parsed_time(text):
    try:
        return timeutils.parse_isotime(text)
    except ValueError:
        return None


def _check_time_filter(name, expression):
    # A time near year 1 or 9999 whose UTC offset carries it past either end parses, but
    # cannot be turned into the UTC time the registry compares with. Only that is checked
    # here; the registry reads the operator and refuses what does not parse.
    moment = _parsed_time(expression)
    if moment is None:
        moment = _parsed_time(expression.partition(':')[2])
    if moment is None:
        return
    try:
        timeutils.normalize_time(moment)
    except OverflowError:
        raise exceptions.Invalid('Filter %s is out of range: %s.' % (name, expression)) from None


def _filters(args):
    filters = {k: v for k, v in args.items() if k not in _CONTROL_PARAMS}
    for name in INT_FILTERS:
        if name in filters:
            _check_int_filter(name, filters[name])
    for name in TIME_FILTERS:
        if name in filters:
            _check_time_filter(name, filters[name])
    if 'changes-since' in filters:
        raise exceptions.Invalid('The "changes-since" filter is no longer available on v2.')
    visibility = filters.get('visibility')
    if visibility and visibility not in VISIBILITY_FILTERS:
        raise exceptions.Invalid('Invalid visibility value: %s' % visibility)
    protected = filters.get('protected')
    if protected is not None and protected not in ('true', 'false'):
        raise exceptions.Invalid("Invalid value '%s' for 'protected' filter. Valid values "
                                 "are 'true' or 'false'." % protected)
    member_status = args.get('member_status', 'accepted')
    if member_status not in MEMBER_STATUSES:
        raise exceptions.Invalid('Invalid status: %s' % member_status)
    filters['member_status'] = member_status
    tags = [t.strip() for t in args.getlist('tag')]
    if tags:
        filters['tags'] = tags
    return filters


def parse_query(args, conf):
    """``args`` is a werkzeug MultiDict -> keyword arguments of RegistryClient.image_list."""
    sort_keys, sort_dirs = _sorting(args)
    return {'filters': _filters(args), 'marker': args.get('marker'),
            'limit': _limit(args, conf), 'sort_keys': sort_keys, 'sort_dirs': sort_dirs}


def page_links(args, images, limit):
    """-> {'first': ..., 'next': ... only when a full page came back}.

    Both keep every query parameter (a repeated ``tag`` too) but the marker; ``next`` adds
    the last image's id as the marker, at the end as upstream does.
    """
    kept = [(k, v) for k, v in args.items(multi=True) if k != 'marker']
    query = parse.urlencode(kept)
    links = {'first': '/v2/images' + ('?' + query if query else '')}
    if images and len(images) >= limit:
        links['next'] = '/v2/images?' + parse.urlencode(kept + [('marker', images[-1]['id'])])
    return links
