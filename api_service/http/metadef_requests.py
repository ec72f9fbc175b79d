"""Metadef request bodies and query strings -> registry arguments, checked as upstream does.

Bodies are validated against the /v2/schemas/metadefs/* documents
(api_service/http/metadef_schemas.py); the read-only attributes of a namespace or an object
(``self``, ``schema``, ``created_at``, ``updated_at``) are refused with 403 as upstream.
"""

from api_service.http import json_body
from api_service.http import list_query as image_list_query
from api_service.http import metadef_schemas
from common import exceptions

READ_ONLY = ('self', 'schema', 'created_at', 'updated_at')
NAMESPACE_FIELDS = ('namespace', 'display_name', 'description', 'visibility', 'protected',
                    'owner')
SORT_KEYS = ('created_at', 'updated_at', 'namespace', 'display_name', 'visibility', 'owner')


def _body():
    body = json_body.request_json()
    if not isinstance(body, dict):
        raise exceptions.Invalid('The request body must be a JSON object.')
    return body


def _check_read_only(body):
    for key in READ_ONLY:
        if key in body:
            raise exceptions.ReadOnlyProperty(name=key)


def namespace_body():
    """POST and PUT /v2/metadefs/namespaces[/{ns}]: the checked namespace document."""
    body = _body()
    _check_read_only(body)
    metadef_schemas.validate('namespace', body)
    return body


def namespace_values(body):
    return {field: body[field] for field in NAMESPACE_FIELDS if field in body}


def update_values(body, ctx):
    """PUT replaces the namespace: what the body omits takes upstream's defaults."""
    values = {field: body.get(field) for field in NAMESPACE_FIELDS}
    values['visibility'] = values['visibility'] or 'private'
    values['protected'] = bool(values['protected'])
    values['owner'] = values['owner'] or ctx.project_id
    return values


def property_body():
    body = _body()
    metadef_schemas.validate('property', body)
    return body


def object_body():
    body = _body()
    _check_read_only(body)
    metadef_schemas.validate('object', body)
    return body


def tag_body():
    body = _body()
    _check_read_only(body)
    metadef_schemas.validate('tag', body)
    return body


def tags_body():
    body = _body()
    tags = body.get('tags')
    if not isinstance(tags, list):
        raise exceptions.Invalid("The request body must hold a list of tags in 'tags'.")
    for tag in tags:
        if not isinstance(tag, dict):
            raise exceptions.Invalid('Each tag must be a JSON object with a name.')
        metadef_schemas.validate('tag', tag)
    return [{'name': tag['name']} for tag in tags]


def association_body():
    body = _body()
    _check_read_only(body)
    metadef_schemas.validate('resource_type', body)
    return body


def append_header(value):
    """X-Openstack-Append: true adds the tags to the namespace's; anything else replaces."""
    return (value or '').strip().lower() == 'true'


def list_query(args, conf):
    """GET /v2/metadefs/namespaces' query string -> the registry's query dict."""
    sort_dir = args.get('sort_dir', 'desc')
    if sort_dir not in ('asc', 'desc'):
        raise exceptions.InvalidSortDir('Invalid sort direction: %s' % sort_dir,
                                        direction=sort_dir)
    sort_key = args.get('sort_key', 'created_at')
    if sort_key not in SORT_KEYS:
        raise exceptions.InvalidSortKey(key=sort_key)
    visibility = args.get('visibility')
    if visibility and visibility not in ('public', 'private'):
        raise exceptions.Invalid('Invalid visibility value: %s' % visibility)
    resource_types = [name.strip() for name in args.get('resource_types', '').split(',')
                      if name.strip()]
    return {'marker': args.get('marker'), 'limit': image_list_query.page_limit(args, conf),
            'sort_key': sort_key,
            'sort_dir': sort_dir, 'visibility': visibility or None,
            'resource_types': resource_types}
