"""The metadata definitions catalog (metadefs): one transaction per call, as the contract says.

Who sees what, as upstream Glance's database layer: a ``public`` namespace is visible to
everyone, a ``private`` one to its owner's project only, and admins see every namespace. A
namespace the caller cannot see does not exist for it (NotFound), whatever the call. Only
the owner's project or an admin may change a namespace or anything in it (Forbidden for a
visible namespace of another project); glance-api's policy (admin-only by default) comes
on top of that. A ``protected`` namespace cannot be deleted, nor can anything in it
(objects, properties, tags, resource type associations; one by one or all at once).

Dicts crossing the bus:

* namespace: ``{'namespace', 'display_name', 'description', 'visibility', 'protected',
  'owner', 'created_at', 'updated_at', 'resource_type_associations': [association]}``,
  and with ``detail`` also ``'properties': {name: property}``, ``'objects': [object]``,
  ``'tags': [tag]``;
* property: its JSON schema (``title``, ``type``, ``enum`` ...) plus ``name``;
* object: ``{'name', 'description', 'required': [str], 'properties': {name: property
  without name}, 'created_at', 'updated_at'}``;
* tag and resource type: ``{'name', 'created_at', 'updated_at'}``;
* association: ``{'name', 'prefix', 'properties_target', 'created_at', 'updated_at'}``.
"""

import json

import sqlalchemy as sa

from common import exceptions
from registry_service.db import models
from registry_service.db.types import utcnow
from registry_service.image_dicts import isotime

Namespace = models.MetadefNamespace
Property = models.MetadefProperty
Object = models.MetadefObject
Tag = models.MetadefTag
ResourceType = models.MetadefResourceType
Association = models.MetadefNamespaceResourceType

KINDS = ('properties', 'objects', 'tags')
_MODEL = {'properties': Property, 'objects': Object, 'tags': Tag}
_SINGULAR = {'properties': 'property', 'objects': 'object', 'tags': 'tag'}
NAMESPACE_FIELDS = ('namespace', 'display_name', 'description', 'visibility', 'protected',
                    'owner')
VISIBILITIES = ('public', 'private')
SORT_KEYS = ('created_at', 'updated_at', 'namespace', 'display_name', 'visibility', 'owner')


# -- rows -> dicts ------------------------------------------------------------------------------

def _times(row):
    return {'created_at': isotime(row.created_at), 'updated_at': isotime(row.updated_at)}


def _property_dict(row):
    return dict(json.loads(row.json_schema), name=row.name)


def _object_dict(row):
    return dict({'name': row.name, 'description': row.description,
                 'required': json.loads(row.required) if row.required else [],
                 'properties': json.loads(row.json_schema) if row.json_schema else {}},
                **_times(row))


def _tag_dict(row):
    return dict({'name': row.name}, **_times(row))


_TO_DICT = {'properties': _property_dict, 'objects': _object_dict, 'tags': _tag_dict}


def _association_dict(association, resource_type_name):
    return dict({'name': resource_type_name, 'prefix': association.prefix,
                 'properties_target': association.properties_target}, **_times(association))


def _associations(session, namespace_ids):
    found = {namespace_id: [] for namespace_id in namespace_ids}
    if not namespace_ids:
        return found
    rows = session.execute(
        sa.select(Association, ResourceType.name)
        .join(ResourceType, ResourceType.id == Association.resource_type_id)
        .where(Association.namespace_id.in_(namespace_ids))
        .order_by(Association.created_at, ResourceType.name))
    for association, name in rows:
        found[association.namespace_id].append(_association_dict(association, name))
    return found


def _namespace_dict(session, row, detail=False, associations=None):
    result = {field: getattr(row, field) for field in NAMESPACE_FIELDS}
    result.update(_times(row))
    result['resource_type_associations'] = (
        associations if associations is not None else _associations(session, [row.id])[row.id])
    if detail:
        for kind in KINDS:
            items = _items(session, row, kind)
            if kind == 'properties':
                result[kind] = {item.pop('name'): item for item in items}
            else:
                result[kind] = items
    return result


# -- access -------------------------------------------------------------------------------------

def _visible_clause(ctxt):
    if ctxt.is_admin:
        return sa.true()
    return sa.or_(Namespace.visibility == 'public', Namespace.owner == ctxt.owner)


def _not_found(name):
    return exceptions.NotFound('Metadata definition namespace=%s was not found.' % name,
                               namespace=name)


def _fetch(session, ctxt, name, lock=False):
    query = sa.select(Namespace).where(Namespace.namespace == name, _visible_clause(ctxt))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise _not_found(name)
    return row


def _fetch_changeable(session, ctxt, name):
    row = _fetch(session, ctxt, name, lock=True)
    if not ctxt.is_admin and row.owner != ctxt.owner:
        raise exceptions.Forbidden('You are not permitted to change metadata definition '
                                   'namespace %s: it belongs to another project.' % name)
    return row


def _touch(row):
    row.updated_at = utcnow()


# -- namespaces ---------------------------------------------------------------------------------

def list_namespaces(db, ctxt, query):
    """``query``: {'marker', 'limit', 'sort_key', 'sort_dir', 'visibility',
    'resource_types': [str]}; the api checked the values."""
    sort_key = query.get('sort_key') or 'created_at'
    sort_dir = query.get('sort_dir') or 'desc'
    if sort_key not in SORT_KEYS:
        raise exceptions.InvalidSortKey(key=sort_key)
    if sort_dir not in ('asc', 'desc'):
        raise exceptions.InvalidSortDir(direction=sort_dir)
    with db.read() as session:
        select = sa.select(Namespace).where(_visible_clause(ctxt))
        if query.get('visibility'):
            select = select.where(Namespace.visibility == query['visibility'])
        if query.get('resource_types'):
            select = select.where(Namespace.id.in_(
                sa.select(Association.namespace_id)
                .join(ResourceType, ResourceType.id == Association.resource_type_id)
                .where(ResourceType.name.in_(query['resource_types']))))
        column = getattr(Namespace, sort_key)
        order = sa.desc if sort_dir == 'desc' else sa.asc
        if query.get('marker') is not None:
            marker = _fetch(session, ctxt, query['marker'])
            value = getattr(marker, sort_key)
            before = (column < value) if sort_dir == 'desc' else (column > value)
            tie = (Namespace.id < marker.id) if sort_dir == 'desc' else (Namespace.id > marker.id)
            if value is None:
                select = select.where(sa.and_(column.is_(None), tie))
            else:
                select = select.where(sa.or_(before, sa.and_(column == value, tie)))
        select = select.order_by(order(column), order(Namespace.id))
        if query.get('limit') is not None:
            select = select.limit(query['limit'])
        rows = list(session.scalars(select))
        associations = _associations(session, [row.id for row in rows])
        return [_namespace_dict(session, row, associations=associations[row.id])
                for row in rows]


def get_namespace(db, ctxt, name):
    with db.read() as session:
        return _namespace_dict(session, _fetch(session, ctxt, name), detail=True)


def _check_owner(ctxt, owner):
    if not ctxt.is_admin and owner != ctxt.owner:
        raise exceptions.Forbidden("You are not permitted to create a metadata definition "
                                   "namespace owned by '%s'." % owner)


def _check_visibility(visibility):
    if visibility not in VISIBILITIES:
        raise exceptions.Invalid('Invalid visibility value: %s' % visibility)


def create_namespace(db, ctxt, values, properties=None, objects=None, tags=None,
                     resource_type_associations=None):
    values = {field: values.get(field) for field in NAMESPACE_FIELDS}
    values['owner'] = values['owner'] or ctxt.owner
    values['visibility'] = values['visibility'] or 'private'
    values['protected'] = bool(values['protected'])
    _check_owner(ctxt, values['owner'])
    _check_visibility(values['visibility'])
    with db.write() as session:
        exists = session.scalar(sa.select(Namespace.id).where(
            Namespace.namespace == values['namespace']))
        if exists is not None:
            raise exceptions.Duplicate('Namespace %s already exists.' % values['namespace'],
                                       namespace=values['namespace'])
        now = utcnow()
        row = Namespace(created_at=now, updated_at=now, **values)
        session.add(row)
        session.flush()
        for name, schema in (properties or {}).items():
            _add_item(session, row, 'properties', dict(schema, name=name))
        for item in objects or []:
            _add_item(session, row, 'objects', item)
        for item in tags or []:
            _add_item(session, row, 'tags', item)
        for association in resource_type_associations or []:
            _associate(session, row, association)
        return _namespace_dict(session, row, detail=True)


def update_namespace(db, ctxt, name, values):
    """PUT: every field given replaces the stored one (the api fills the omitted ones as
    upstream does); a new ``namespace`` renames."""
    with db.write() as session:
        row = _fetch_changeable(session, ctxt, name)
        new_name = values.get('namespace', name)
        if new_name != name and session.scalar(sa.select(Namespace.id).where(
                Namespace.namespace == new_name)) is not None:
            raise exceptions.Duplicate('Namespace %s already exists.' % new_name,
                                       namespace=new_name)
        if 'visibility' in values:
            _check_visibility(values['visibility'])
        if 'owner' in values and values['owner'] != row.owner:
            _check_owner(ctxt, values['owner'])
        for field in NAMESPACE_FIELDS:
            if field in values:
                setattr(row, field, bool(values[field]) if field == 'protected'
                        else values[field])
        _touch(row)
        session.flush()
        return _namespace_dict(session, row, detail=True)


def _check_unprotected(row, message=None):
    """A protected namespace keeps itself and everything in it (upstream's domain rule)."""
    if row.protected:
        raise exceptions.Forbidden(message or 'Metadata definition namespace %s is protected '
                                              'and cannot be deleted.' % row.namespace)


def delete_namespace(db, ctxt, name):
    """-> the namespace as it was (for the api's notification)."""
    with db.write() as session:
        row = _fetch_changeable(session, ctxt, name)
        _check_unprotected(row)
        result = _namespace_dict(session, row, detail=True)
        session.execute(sa.delete(Association).where(Association.namespace_id == row.id))
        for kind in KINDS:
            session.execute(sa.delete(_MODEL[kind]).where(_MODEL[kind].namespace_id == row.id))
        session.delete(row)
        return result


def delete_items(db, ctxt, name, kind):
    """DELETE .../objects, .../properties or .../tags: all of them. -> what was removed."""
    _check_kind(kind)
    with db.write() as session:
        row = _fetch_changeable(session, ctxt, name)
        _check_unprotected(row, 'Metadata definition namespace %s is protected: its %s '
                                'cannot be deleted.' % (row.namespace, kind))
        removed = _items(session, row, kind)
        session.execute(sa.delete(_MODEL[kind]).where(_MODEL[kind].namespace_id == row.id))
        _touch(row)
        return removed


# -- properties, objects, tags ---------------------------------------------------------------

def _check_kind(kind):
    if kind not in KINDS:
        raise exceptions.Invalid('Unknown kind of metadata definition: %s' % kind)


def _items(session, namespace_row, kind):
    model = _MODEL[kind]
    rows = session.scalars(sa.select(model).where(model.namespace_id == namespace_row.id)
                           .order_by(model.created_at, model.id))
    return [_TO_DICT[kind](row) for row in rows]


def _item_not_found(namespace_row, kind, name):
    return exceptions.NotFound(
        'Metadata definition %s not found with name=%s in namespace=%s.'
        % (_SINGULAR[kind], name, namespace_row.namespace),
        namespace=namespace_row.namespace, name=name)


def _duplicate(namespace_row, kind, name):
    return exceptions.Duplicate(
        'A metadata definition %s with name=%s already exists in namespace=%s.'
        % (_SINGULAR[kind], name, namespace_row.namespace),
        namespace=namespace_row.namespace, name=name)


def _row_values(kind, item):
    """The columns of ``item`` (a property, object or tag dict) but name and times."""
    if kind == 'properties':
        schema = {key: value for key, value in item.items()
                  if key not in ('name', 'created_at', 'updated_at')}
        return {'json_schema': json.dumps(schema, sort_keys=True)}
    if kind == 'objects':
        return {'description': item.get('description'),
                'required': json.dumps(list(item.get('required') or [])),
                'json_schema': json.dumps(item.get('properties') or {}, sort_keys=True)}
    return {}


def _find(session, namespace_row, kind, name):
    model = _MODEL[kind]
    return session.scalars(sa.select(model).where(model.namespace_id == namespace_row.id,
                                                  model.name == name)).one_or_none()


def _changeable_item(session, ctxt, name, kind, item_name):
    """-> (the namespace the caller may change, its ``kind`` definition ``item_name``)."""
    namespace_row = _fetch_changeable(session, ctxt, name)
    row = _find(session, namespace_row, kind, item_name)
    if row is None:
        raise _item_not_found(namespace_row, kind, item_name)
    return namespace_row, row


def _add_item(session, namespace_row, kind, item):
    name = item.get('name')
    if not isinstance(name, str) or not name:
        raise exceptions.Invalid('A metadata definition %s needs a name.' % _SINGULAR[kind])
    if _find(session, namespace_row, kind, name) is not None:
        raise _duplicate(namespace_row, kind, name)
    now = utcnow()
    row = _MODEL[kind](namespace_id=namespace_row.id, name=name, created_at=now,
                       updated_at=now, **_row_values(kind, item))
    session.add(row)
    session.flush()
    return row




def create_item(db, ctxt, name, kind, item):
    _check_kind(kind)
    with db.write() as session:
        namespace_row = _fetch_changeable(session, ctxt, name)
        row = _add_item(session, namespace_row, kind, item)
        _touch(namespace_row)
        return _TO_DICT[kind](row)


def update_item(db, ctxt, name, kind, item_name, item):
    """PUT: ``item`` replaces the definition; a new ``name`` renames it."""
    _check_kind(kind)
    with db.write() as session:
        namespace_row, row = _changeable_item(session, ctxt, name, kind, item_name)
        new_name = item.get('name') or item_name
        if new_name != item_name and _find(session, namespace_row, kind, new_name) is not None:
            raise _duplicate(namespace_row, kind, new_name)
        row.name = new_name
        for column, value in _row_values(kind, item).items():
            setattr(row, column, value)
        row.updated_at = utcnow()
        _touch(namespace_row)
        session.flush()
        return _TO_DICT[kind](row)


def delete_item(db, ctxt, name, kind, item_name):
    """-> the removed definition."""
    _check_kind(kind)
    with db.write() as session:
        namespace_row, row = _changeable_item(session, ctxt, name, kind, item_name)
        _check_unprotected(namespace_row, 'Metadata definition %s %s is protected and cannot '
                                          'be deleted.' % (_SINGULAR[kind], item_name))
        removed = _TO_DICT[kind](row)
        session.delete(row)
        _touch(namespace_row)
        return removed


def create_tags(db, ctxt, name, tags, append=False):
    """POST .../tags: without ``append`` the namespace's tags become ``tags``; with it they
    are added. A name twice in ``tags``, or (appending) one the namespace has -> Duplicate.
    -> the tags created."""
    names = [tag.get('name') for tag in tags]
    with db.write() as session:
        namespace_row = _fetch_changeable(session, ctxt, name)
        if len(set(names)) != len(names):
            raise exceptions.Duplicate('A tag name appears more than once in the request.')
        if not append:
            session.execute(sa.delete(Tag).where(Tag.namespace_id == namespace_row.id))
            session.flush()
        created = [_tag_dict(_add_item(session, namespace_row, 'tags', tag)) for tag in tags]
        _touch(namespace_row)
        return created


# -- resource types -----------------------------------------------------------------------------

def list_resource_types(db, ctxt):
    with db.read() as session:
        rows = session.scalars(sa.select(ResourceType).order_by(ResourceType.id))
        return [dict({'name': row.name}, **_times(row)) for row in rows]


def _associate(session, namespace_row, association):
    type_name = association.get('name')
    if not isinstance(type_name, str) or not type_name:
        raise exceptions.Invalid('A resource type association needs a name.')
    resource_type = session.scalars(sa.select(ResourceType).where(
        ResourceType.name == type_name)).one_or_none()
    now = utcnow()
    if resource_type is None:
        # As upstream: associating with an unknown resource type makes it known.
        resource_type = ResourceType(name=type_name, protected=False, created_at=now,
                                     updated_at=now)
        session.add(resource_type)
        session.flush()
    elif session.scalar(sa.select(Association.namespace_id).where(
            Association.namespace_id == namespace_row.id,
            Association.resource_type_id == resource_type.id)) is not None:
        raise exceptions.Duplicate(
            'The metadata definition resource-type association of resource-type=%s to '
            'namespace=%s already exists.' % (type_name, namespace_row.namespace),
            namespace=namespace_row.namespace, name=type_name)
    row = Association(namespace_id=namespace_row.id, resource_type_id=resource_type.id,
                      prefix=association.get('prefix'),
                      properties_target=association.get('properties_target'),
                      created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _association_dict(row, type_name)



def create_association(db, ctxt, name, association):
    with db.write() as session:
        namespace_row = _fetch_changeable(session, ctxt, name)
        result = _associate(session, namespace_row, association)
        _touch(namespace_row)
        return result


def delete_association(db, ctxt, name, resource_type):
    """-> the removed association."""
    with db.write() as session:
        namespace_row = _fetch_changeable(session, ctxt, name)
        found = session.execute(
            sa.select(Association, ResourceType.name)
            .join(ResourceType, ResourceType.id == Association.resource_type_id)
            .where(Association.namespace_id == namespace_row.id,
                   ResourceType.name == resource_type)).one_or_none()
        if found is None:
            raise exceptions.NotFound(
                'The metadata definition resource-type association of resource-type=%s to '
                'namespace=%s, was not found.' % (resource_type, namespace_row.namespace),
                namespace=namespace_row.namespace, name=resource_type)
        association, type_name = found
        _check_unprotected(namespace_row, 'Metadata definition resource-type-association %s '
                                          'is protected and cannot be deleted.' % type_name)
        removed = _association_dict(association, type_name)
        session.delete(association)
        _touch(namespace_row)
        return removed
