"""/v2/metadefs/namespaces[/{ns}], a namespace's resource type associations, and
/v2/metadefs/resource_types.

Each call on an existing namespace first reads it (the registry answers 404 for a namespace
the caller cannot see), then checks ``get_metadef_namespace`` (a refusal is a 404 too) and
the action's rule (403), as upstream.
"""

import flask

from api_service import policy
from api_service.http import app_parts
from api_service.http import metadef_render
from api_service.http import metadef_requests

blueprint = flask.Blueprint('metadefs', __name__, url_prefix='/v2/metadefs')

_CONTENT_RULES = {'resource_type_associations': 'add_metadef_resource_type_association',
                  'objects': 'add_metadef_object', 'properties': 'add_metadef_property',
                  'tags': 'add_metadef_tag'}


def read_namespace(rt, ctx, name, *rules):
    """The namespace (with its contents) after the policy checks."""
    namespace = rt.registry.metadef_namespace_get(ctx, namespace=name)
    policy.check_metadef(rt.policy, ctx, namespace, *rules)
    return namespace


def _json(document, status=200, location=None):
    response = flask.jsonify(document)
    response.status_code = status
    if location:
        response.headers['Location'] = location
    return response


@blueprint.get('/namespaces')
def list_namespaces():
    rt, ctx = app_parts.current(), app_parts.request_context()
    policy.check_metadef_project(rt.policy, ctx, 'get_metadef_namespaces',
                                 'list_metadef_resource_types')
    query = metadef_requests.list_query(flask.request.args, rt.conf)
    found = rt.registry.metadef_namespace_list(ctx, query=query)
    shown = [item for item in found
             if rt.policy.allowed(ctx, 'get_metadef_namespace', policy.namespace_target(item))]
    return _json(metadef_render.namespaces(shown, flask.request.args, query['limit']))


@blueprint.post('/namespaces')
def create_namespace():
    rt, ctx = app_parts.current(), app_parts.request_context()
    body = metadef_requests.namespace_body()
    rules = ['add_metadef_namespace'] + [rule for key, rule in _CONTENT_RULES.items()
                                         if body.get(key)]
    policy.check_metadef_project(rt.policy, ctx, *rules, owner=body.get('owner'))
    created = rt.registry.metadef_namespace_create(
        ctx, values=metadef_requests.namespace_values(body),
        properties=body.get('properties') or {}, objects=body.get('objects') or [],
        tags=body.get('tags') or [],
        resource_type_associations=body.get('resource_type_associations') or [])
    rt.notifier.metadef('metadef_namespace.create', created)
    return _json(metadef_render.namespace(created, detail=True), 201,
                 metadef_render.namespace_href(created['namespace']))


@blueprint.get('/namespaces/<namespace>')
def show_namespace(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = read_namespace(rt, ctx, namespace, 'list_metadef_resource_types',
                           'get_metadef_objects', 'get_metadef_properties', 'get_metadef_tags')
    return _json(metadef_render.namespace(found, detail=True,
                                          resource_type=flask.request.args.get('resource_type')))


@blueprint.put('/namespaces/<namespace>')
def update_namespace(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    body = metadef_requests.namespace_body()
    read_namespace(rt, ctx, namespace, 'modify_metadef_namespace')
    updated = rt.registry.metadef_namespace_update(
        ctx, namespace=namespace, values=metadef_requests.update_values(body, ctx))
    rt.notifier.metadef('metadef_namespace.update', updated, namespace_old=namespace)
    return _json(metadef_render.namespace(updated))


@blueprint.delete('/namespaces/<namespace>')
def delete_namespace(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    read_namespace(rt, ctx, namespace, 'delete_metadef_namespace')
    deleted = rt.registry.metadef_namespace_delete(ctx, namespace=namespace)
    rt.notifier.metadef('metadef_namespace.delete', deleted)
    return '', 204


# -- resource types -----------------------------------------------------------------------------

@blueprint.get('/resource_types')
def list_resource_types():
    rt, ctx = app_parts.current(), app_parts.request_context()
    policy.check_metadef_project(rt.policy, ctx, 'list_metadef_resource_types')
    found = rt.registry.metadef_resource_type_list(ctx)
    return _json({'resource_types': [metadef_render.association(item) for item in found]})


@blueprint.get('/namespaces/<namespace>/resource_types')
def list_associations(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    found = read_namespace(rt, ctx, namespace, 'get_metadef_resource_type')
    return _json({'resource_type_associations': [
        metadef_render.association(item) for item in found['resource_type_associations']]})


@blueprint.post('/namespaces/<namespace>/resource_types')
def create_association(namespace):
    rt, ctx = app_parts.current(), app_parts.request_context()
    body = metadef_requests.association_body()
    read_namespace(rt, ctx, namespace, 'add_metadef_resource_type_association')
    created = rt.registry.metadef_association_create(ctx, namespace=namespace,
                                                     association=body)
    rt.notifier.metadef('metadef_resource_type.create', created, namespace=namespace)
    return _json(metadef_render.association(created), 201)


@blueprint.delete('/namespaces/<namespace>/resource_types/<resource_type>')
def delete_association(namespace, resource_type):
    rt, ctx = app_parts.current(), app_parts.request_context()
    read_namespace(rt, ctx, namespace, 'remove_metadef_resource_type_association')
    deleted = rt.registry.metadef_association_delete(ctx, namespace=namespace,
                                                     resource_type=resource_type)
    rt.notifier.metadef('metadef_resource_type.delete', deleted, namespace=namespace)
    return '', 204
