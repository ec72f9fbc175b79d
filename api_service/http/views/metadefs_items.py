"""A namespace's properties, objects and tags: /v2/metadefs/namespaces/{ns}/properties,
/objects and /tags, each with list, create, show, update, delete and delete-all.

Reads are served from the namespace as the registry returns it (one call); changes read
the namespace for the policy checks, then make one registry call.
"""

import flask

from api_service.http import app_parts
from api_service.http import metadef_render
from api_service.http import metadef_requests
from api_service.http import metadef_schemas
from api_service.http.views import metadefs
from common import exceptions

blueprint = flask.Blueprint('metadefs_items', __name__,
                            url_prefix='/v2/metadefs/namespaces/<namespace>')

SINGULAR = {'properties': 'property', 'objects': 'object', 'tags': 'tag'}
_read_namespace = metadefs.read_namespace
_json = metadefs._json


def _not_found(namespace, kind, name):
    return exceptions.NotFound('Metadata definition %s not found with name=%s in '
                               'namespace=%s.' % (SINGULAR[kind], name, namespace))


def _find(found, kind, name):
    if kind == 'properties':
        if name in found['properties']:
            return dict(found['properties'][name], name=name)
        return None
    return next((item for item in found[kind] if item['name'] == name), None)


def _delete_all(namespace, kind, rules):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _read_namespace(rt, ctx, namespace, 'delete_metadef_namespace', *rules)
    rt.registry.metadef_items_delete(ctx, namespace=namespace, kind=kind)
    rt.notifier.metadef('metadef_namespace.delete_%s' % kind, {'namespace': namespace})
    return '', 204


def _delete_one(namespace, kind, name, rule):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _read_namespace(rt, ctx, namespace, rule)
    deleted = rt.registry.metadef_item_delete(ctx, namespace=namespace, kind=kind, name=name)
    rt.notifier.metadef('metadef_%s.delete' % SINGULAR[kind], deleted, namespace=namespace)
    return '', 204


def _create(namespace, kind, item, rule):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _read_namespace(rt, ctx, namespace, rule)
    created = rt.registry.metadef_item_create(ctx, namespace=namespace, kind=kind, item=item)
    rt.notifier.metadef('metadef_%s.create' % SINGULAR[kind], created, namespace=namespace)
    return created


def _update(namespace, kind, name, item, rule):
    rt, ctx = app_parts.current(), app_parts.request_context()
    _read_namespace(rt, ctx, namespace, rule)
    updated = rt.registry.metadef_item_update(ctx, namespace=namespace, kind=kind, name=name,
                                              item=item)
    rt.notifier.metadef('metadef_%s.update' % SINGULAR[kind], updated, namespace=namespace,
                        name_old=name)
    return updated


# -- properties -----------------------------------------------------------------------------------

@blueprint.get('/properties')
def list_properties(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_properties')
    return _json({'properties': metadef_render.properties(found['properties']),
                  'schema': '/v2/schemas/metadefs/properties'})


@blueprint.post('/properties')
def create_property(namespace):
    body = metadef_requests.property_body()
    created = _create(namespace, 'properties', body, 'add_metadef_property')
    name = created.pop('name')
    return _json(metadef_render.property_(name, created), 201)


@blueprint.get('/properties/<name>')
def show_property(namespace, name):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_property')
    resource_type = flask.request.args.get('resource_type')
    if resource_type:
        # As upstream: the name as the resource type sees it, its prefix removed.
        prefix = metadef_render.prefix_for(found, resource_type)
        if prefix and not name.startswith(prefix):
            raise exceptions.NotFound("Property %s does not start with the expected resource "
                                      "type association prefix of '%s'." % (name, prefix))
        name = name[len(prefix):]
    item = _find(found, 'properties', name)
    if item is None:
        raise _not_found(namespace, 'properties', name)
    return _json(metadef_render.property_(item.pop('name'), item))


@blueprint.put('/properties/<name>')
def update_property(namespace, name):
    body = metadef_requests.property_body()
    updated = _update(namespace, 'properties', name, body, 'modify_metadef_property')
    return _json(metadef_render.property_(updated.pop('name'), updated))


@blueprint.delete('/properties/<name>')
def delete_property(namespace, name):
    return _delete_one(namespace, 'properties', name, 'remove_metadef_property')


@blueprint.delete('/properties')
def delete_properties(namespace):
    return _delete_all(namespace, 'properties', ())


# -- objects --------------------------------------------------------------------------------------

@blueprint.get('/objects')
def list_objects(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_objects')
    return _json({'objects': [metadef_render.object_(namespace, item)
                              for item in found['objects']],
                  'schema': '/v2/schemas/metadefs/objects'})


@blueprint.post('/objects')
def create_object(namespace):
    body = metadef_requests.object_body()
    created = _create(namespace, 'objects', body, 'add_metadef_object')
    return _json(metadef_render.object_(namespace, created), 201)


@blueprint.get('/objects/<name>')
def show_object(namespace, name):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_object')
    item = _find(found, 'objects', name)
    if item is None:
        raise _not_found(namespace, 'objects', name)
    return _json(metadef_render.object_(namespace, item))


@blueprint.put('/objects/<name>')
def update_object(namespace, name):
    body = metadef_requests.object_body()
    updated = _update(namespace, 'objects', name, body, 'modify_metadef_object')
    return _json(metadef_render.object_(namespace, updated))


@blueprint.delete('/objects/<name>')
def delete_object(namespace, name):
    return _delete_one(namespace, 'objects', name, 'delete_metadef_object')


@blueprint.delete('/objects')
def delete_objects(namespace):
    return _delete_all(namespace, 'objects', ())


# -- tags -----------------------------------------------------------------------------------------

@blueprint.get('/tags')
def list_tags(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_tags')
    return _json({'tags': [metadef_render.tag(item) for item in found['tags']]})


@blueprint.post('/tags')
def create_tags(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    tags = metadef_requests.tags_body()
    append = metadef_requests.append_header(flask.request.headers.get('X-Openstack-Append'))
    _read_namespace(rt, ctx, namespace, 'add_metadef_tags')
    created = rt.registry.metadef_tags_create(ctx, namespace=namespace, tags=tags,
                                              append=append)
    for tag in created:
        rt.notifier.metadef('metadef_tag.create', tag, namespace=namespace)
    return _json({'tags': [metadef_render.tag(item) for item in created]}, 201)


@blueprint.delete('/tags')
def delete_tags(namespace):
    return _delete_all(namespace, 'tags', ('delete_metadef_tags',))


@blueprint.post('/tags/<name>')
def create_tag(namespace, name):
    metadef_schemas.validate('tag', {'name': name})
    created = _create(namespace, 'tags', {'name': name}, 'add_metadef_tag')
    return _json(metadef_render.tag(created), 201)


@blueprint.get('/tags/<name>')
def show_tag(namespace, name):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = _read_namespace(rt, ctx, namespace, 'get_metadef_tag')
    item = _find(found, 'tags', name)
    if item is None:
        raise _not_found(namespace, 'tags', name)
    return _json(metadef_render.tag(item))


@blueprint.put('/tags/<name>')
def update_tag(namespace, name):
    body = metadef_requests.tag_body()
    updated = _update(namespace, 'tags', name, body, 'modify_metadef_tag')
    return _json(metadef_render.tag(updated))


@blueprint.delete('/tags/<name>')
def delete_tag(namespace, name):
    return _delete_one(namespace, 'tags', name, 'delete_metadef_tag')
