"""GET /v2/images query string -> the typed list query image_list takes, and the paging links.

Everything is read and checked here, once, with upstream's messages (limit, sorting,
visibility, member_status, changes-since, and each filter's operator syntax through
common.list_query.parse_filter); the registry only turns the ListQuery into SQL.
"""

from urllib import parse

from common import exceptions
from common import image_attributes
from common import list_query

SORT_KEYS = image_attributes.SORT_KEYS
SORT_DIRS = image_attributes.SORT_DIRS
DEFAULT_SORT_KEY = list_query.DEFAULT_SORT_KEY
DEFAULT_SORT_DIR = list_query.DEFAULT_SORT_DIR
VISIBILITY_FILTERS = list_query.VISIBILITY_FILTERS
MEMBER_STATUSES = list_query.MEMBER_STATUS_FILTERS
# Paging and sorting parameters, and those read on their own; everything else in the query
# string is a filter.
_CONTROL_PARAMS = ('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'tag',
                   'visibility')


def page_limit(args, conf):
    """The ``limit`` query parameter: limit_param_default when absent, never above
    api_limit_max; 400 when it is not a non-negative integer."""
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
    return list_query.sort_spec(keys or [DEFAULT_SORT_KEY], dirs or [DEFAULT_SORT_DIR])


def _filters(args):
    if 'changes-since' in args:
        raise exceptions.Invalid('The "changes-since" filter is no longer available on v2.')
    # A repeated parameter filters on its first value, as upstream's.
    return tuple(list_query.parse_filter(name, value) for name, value in args.items()
                 if name not in _CONTROL_PARAMS and name != 'tags')


def _tags(args):
    tags = [t.strip() for t in args.getlist('tag')]
    if not tags and 'tags' in args:
        # ?tags=x has always been read as one tag.
        tags = [args.get('tags')]
    return tuple(tags)


def parse_query(args, conf):
    """``args`` is a werkzeug MultiDict -> the ListQuery for RegistryClient.image_list."""
    sort = _sorting(args)
    filters = _filters(args)
    visibility = args.get('visibility')
    if visibility is not None and visibility not in VISIBILITY_FILTERS:
        raise exceptions.Invalid('Invalid visibility value: %s' % visibility)
    member_status = args.get('member_status', list_query.DEFAULT_MEMBER_STATUS)
    if member_status not in MEMBER_STATUSES:
        raise exceptions.Invalid('Invalid status: %s' % member_status)
    return list_query.ListQuery(filters=filters, tags=_tags(args), visibility=visibility,
                                member_status=member_status, sort=sort,
                                marker=args.get('marker'), limit=page_limit(args, conf))


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
