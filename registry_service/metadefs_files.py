"""The metadata definitions catalog to and from upstream Glance's JSON files, for
``glance-manage db load_metadefs / unload_metadefs / export_metadefs``.

A file holds one namespace::

    {"namespace": "...", "display_name": "...", "description": "...",
     "visibility": "public", "protected": true, "owner": "...",
     "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_",
                                     "properties_target": "image"}],
     "properties": {"name": {"title": ..., "type": ...}},
     "objects": [{"name": ..., "description": ..., "required": [...], "properties": {...}}],
     "tags": [{"name": ...}]}

``owner`` is optional (``admin`` when absent, as upstream); export writes it, so loading an
export into an empty database gives back the same catalog.

Loading a namespace that already exists, as upstream:

* by default it is skipped;
* ``merge``: what the file has and the database lacks is added (associations, properties,
  objects, tags), nothing already there changes;
* ``merge`` and ``prefer_new``: as merge, and the file's version wins for the namespace's
  attributes and for every definition present in both;
* ``merge`` and ``overwrite``: the namespace is replaced by the file's, whole.
"""

import json
import os
import re

import sqlalchemy as sa

from common import exceptions
from registry_service import metadefs
from registry_service.db.types import utcnow

DEFAULT_OWNER = 'admin'
_NOT_WORD = re.compile(r'[\W_]+', re.UNICODE)


def check_options(merge, prefer_new, overwrite):
    if (prefer_new or overwrite) and not merge:
        raise exceptions.Invalid('--prefer_new and --overwrite need --merge.')
    if prefer_new and overwrite:
        raise exceptions.Invalid('Give --prefer_new or --overwrite, not both.')


def definition_files(path):
    """The .json files at ``path`` (a file, or a directory's), sorted."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise exceptions.NotFound('No metadata definitions at %s.' % path)
    return [os.path.join(path, name) for name in sorted(os.listdir(path))
            if name.endswith('.json') and os.path.isfile(os.path.join(path, name))]


def _namespace_values(document):
    return {'namespace': document['namespace'],
            'display_name': document.get('display_name'),
            'description': document.get('description'),
            'visibility': document.get('visibility') or 'private',
            'protected': bool(document.get('protected')),
            'owner': document.get('owner') or DEFAULT_OWNER}


def _load_one(session, document, merge, prefer_new, overwrite):
    """-> 'loaded', 'merged', 'overwritten' or 'skipped'."""
    values = _namespace_values(document)
    row = session.scalars(sa.select(metadefs.Namespace).where(
        metadefs.Namespace.namespace == values['namespace'])).one_or_none()
    outcome = 'loaded'
    if row is not None and overwrite:
        _delete_namespace(session, row)
        row, outcome = None, 'overwritten'
    if row is None:
        now = utcnow()
        row = metadefs.Namespace(created_at=now, updated_at=now, **values)
        session.add(row)
        session.flush()
    elif not merge:
        return 'skipped'
    else:
        outcome = 'merged'
        if prefer_new:
            for field, value in values.items():
                setattr(row, field, value)
            row.updated_at = utcnow()
    for association in document.get('resource_type_associations') or []:
        _merge_association(session, row, association, prefer_new)
    items = {'properties': [dict(schema, name=name) for name, schema
                            in (document.get('properties') or {}).items()],
             'objects': document.get('objects') or [],
             'tags': document.get('tags') or []}
    for kind, entries in items.items():
        for item in entries:
            existing = metadefs._find(session, row, kind, item['name'])
            if existing is None:
                metadefs._add_item(session, row, kind, item)
            elif prefer_new:
                for column, value in metadefs._row_values(kind, item).items():
                    setattr(existing, column, value)
                existing.updated_at = utcnow()
    session.flush()
    return outcome


def _merge_association(session, row, association, prefer_new):
    found = session.execute(
        sa.select(metadefs.Association)
        .join(metadefs.ResourceType,
              metadefs.ResourceType.id == metadefs.Association.resource_type_id)
        .where(metadefs.Association.namespace_id == row.id,
               metadefs.ResourceType.name == association['name'])).scalar_one_or_none()
    if found is None:
        metadefs._associate(session, row, association)
    elif prefer_new:
        found.prefix = association.get('prefix')
        found.properties_target = association.get('properties_target')
        found.updated_at = utcnow()


def _delete_namespace(session, row):
    session.execute(sa.delete(metadefs.Association).where(
        metadefs.Association.namespace_id == row.id))
    for kind in metadefs.KINDS:
        model = metadefs._MODEL[kind]
        session.execute(sa.delete(model).where(model.namespace_id == row.id))
    session.delete(row)
    session.flush()


def load(db, path, merge=False, prefer_new=False, overwrite=False):
    """Load every file at ``path``, each in a transaction of its own.
    -> [(file, namespace or None, outcome)]; a file that is not a namespace document is
    reported as 'unreadable: ...' and the others still load."""
    check_options(merge, prefer_new, overwrite)
    results = []
    for name in definition_files(path):
        try:
            with open(name, encoding='utf-8') as stream:
                document = json.load(stream)
            if not isinstance(document, dict) or not isinstance(
                    document.get('namespace'), str):
                raise ValueError('no "namespace" in it')
        except (OSError, ValueError) as exc:
            results.append((name, None, 'unreadable: %s' % exc))
            continue
        try:
            with db.write() as session:
                outcome = _load_one(session, document, merge, prefer_new, overwrite)
        except exceptions.GlimpseError as exc:
            outcome = 'refused: %s' % exc
        results.append((name, document['namespace'], outcome))
    return results


def unload(db):
    """Remove every namespace and what is in it, and the resource types that did not come
    with the schema. -> the number of namespaces removed."""
    with db.write() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(metadefs.Namespace))
        session.execute(sa.delete(metadefs.Association))
        for kind in metadefs.KINDS:
            session.execute(sa.delete(metadefs._MODEL[kind]))
        session.execute(sa.delete(metadefs.Namespace))
        session.execute(sa.delete(metadefs.ResourceType).where(
            metadefs.ResourceType.protected.is_(False)))
        return count


def documents(db):
    """Every namespace as its file's document, in namespace order."""
    with db.read() as session:
        rows = list(session.scalars(sa.select(metadefs.Namespace)
                                    .order_by(metadefs.Namespace.namespace)))
        found = []
        for row in rows:
            namespace = metadefs._namespace_dict(session, row, detail=True)
            document = {field: namespace[field] for field in metadefs.NAMESPACE_FIELDS}
            document['resource_type_associations'] = [
                {key: association[key] for key in ('name', 'prefix', 'properties_target')
                 if association[key] is not None}
                for association in namespace['resource_type_associations']]
            document['properties'] = namespace['properties']
            document['objects'] = [
                {key: item[key] for key in ('name', 'description', 'required', 'properties')
                 if item[key] is not None} for item in namespace['objects']]
            document['tags'] = [{'name': tag['name']} for tag in namespace['tags']]
            found.append(document)
        return found


def file_name(document, taken):
    """As upstream: the display name (else the namespace) without its non-word characters;
    a number added when two namespaces would share a file."""
    base = _NOT_WORD.sub('', document.get('display_name') or '') or \
        _NOT_WORD.sub('', document['namespace']) or 'namespace'
    name, n = base, 1
    while name in taken:
        n += 1
        name = '%s%d' % (base, n)
    taken.add(name)
    return name + '.json'


def export(db, path):
    """Write one file per namespace into the directory ``path``. -> [(namespace, file)]."""
    os.makedirs(path, exist_ok=True)
    written, taken = [], set()
    for document in documents(db):
        name = os.path.join(path, file_name(document, taken))
        with open(name, 'w', encoding='utf-8') as stream:
            json.dump(document, stream, indent=4, sort_keys=False, ensure_ascii=False)
            stream.write('\n')
        written.append((document['namespace'], name))
    return written
