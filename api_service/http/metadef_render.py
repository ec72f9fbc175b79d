"""Registry metadef dicts -> upstream Glance's JSON.

As upstream: times to the second with a ``Z``, unset attributes left out, ``self`` and
``schema`` links on namespaces and objects, and property names prefixed with a resource
type association's prefix when the caller asked for that resource type.
"""

import urllib.parse

NAMESPACES = '/v2/metadefs/namespaces'
TIMES = ('created_at', 'updated_at')


def _time(value):
    # The registry sends 2026-11-22T13:12:56.123456Z; upstream shows 2026-11-22T13:12:56Z.
    return value[:19] + 'Z' if value else value


def _clean(item):
    out = {}
    for key, value in item.items():
        if value is None:
            continue
        out[key] = _time(value) if key in TIMES else value
    return out


def namespace_href(name):
    return '%s/%s' % (NAMESPACES, name)


def association(item):
    return _clean(item)


def prefix_for(namespace, resource_type):
    """The prefix of NAMESPACE's association with RESOURCE_TYPE ('' if none or unset)."""
    for item in namespace.get('resource_type_associations') or []:
        if item['name'] == resource_type:
            return item.get('prefix') or ''
    return ''


def properties(props, prefix=''):
    return {prefix + name: _clean(value) for name, value in props.items()}


def property_(name, schema):
    return dict(_clean(schema), name=name)


def object_(namespace_name, item, prefix=''):
    out = _clean(item)
    out['properties'] = properties(item.get('properties') or {}, prefix)
    out['required'] = list(item.get('required') or [])
    out['schema'] = '/v2/schemas/metadefs/object'
    out['self'] = '%s/objects/%s' % (namespace_href(namespace_name), item['name'])
    return out


def tag(item):
    return _clean(item)


def namespace(item, detail=False, resource_type=None):
    out = {key: value for key, value in _clean(item).items()
           if key not in ('resource_type_associations', 'properties', 'objects', 'tags')}
    out['schema'] = '/v2/schemas/metadefs/namespace'
    out['self'] = namespace_href(item['namespace'])
    associations = [association(a) for a in item.get('resource_type_associations') or []]
    if associations:
        out['resource_type_associations'] = associations
    if detail:
        prefix = prefix_for(item, resource_type) if resource_type else ''
        if item.get('properties'):
            out['properties'] = properties(item['properties'], prefix)
        if item.get('objects'):
            out['objects'] = [object_(item['namespace'], o, prefix) for o in item['objects']]
        if item.get('tags'):
            out['tags'] = [tag(t) for t in item['tags']]
    return out


def namespaces(items, args, limit):
    """The list document, with ``first`` and (a full page) ``next`` links as upstream."""
    params = {key: value for key, value in args.items(multi=False) if key != 'marker'}
    query = urllib.parse.urlencode(params)
    out = {'namespaces': [namespace(item) for item in items],
           'first': NAMESPACES + ('?' + query if query else ''),
           'schema': '/v2/schemas/metadefs/namespaces'}
    if items and len(items) == limit:
        params['marker'] = items[-1]['namespace']
        out['next'] = '%s?%s' % (NAMESPACES, urllib.parse.urlencode(params))
    return out
