"""The /v2/schemas/metadefs/* documents and the validation of metadef request bodies.

The documents have upstream Glance's names, properties, types, limits and required lists
(python-glanceclient builds its md-* commands and checks its requests with them); the
descriptions are Glimpse's own words. Requests are validated against the same documents.
"""

import copy

import jsonschema

from common import exceptions

_JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', None]


def _definitions(string_array_min_items=False):
    string_array = {'type': 'array', 'items': {'type': 'string'}, 'uniqueItems': True}
    if string_array_min_items:
        string_array['minItems'] = 1
    return {
        'positiveInteger': {'type': 'integer', 'minimum': 0},
        'positiveIntegerDefault0': {'allOf': [{'$ref': '#/definitions/positiveInteger'},
                                              {'default': 0}]},
        'stringArray': string_array,
    }


def _property_fields():
    """The JSON-schema keywords a property definition may hold."""
    return {
        'name': {'type': 'string', 'maxLength': 255},
        'title': {'type': 'string'},
        'description': {'type': 'string'},
        'operators': {'type': 'array', 'items': {'type': 'string'}},
        'type': {'type': 'string', 'enum': _JSON_TYPES},
        'required': {'$ref': '#/definitions/stringArray'},
        'minimum': {'type': 'number'},
        'maximum': {'type': 'number'},
        'maxLength': {'$ref': '#/definitions/positiveInteger'},
        'minLength': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'pattern': {'type': 'string', 'format': 'regex'},
        'enum': {'type': 'array'},
        'readonly': {'type': 'boolean'},
        'default': {},
        'items': {'type': 'object', 'properties': {
            'type': {'type': 'string', 'enum': _JSON_TYPES},
            'enum': {'type': 'array'}}},
        'maxItems': {'$ref': '#/definitions/positiveInteger'},
        'minItems': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'uniqueItems': {'type': 'boolean', 'default': False},
        'additionalItems': {'type': 'boolean'},
    }


def _property_map():
    """A name -> property definition map (a namespace's or an object's properties)."""
    return {'type': 'object', 'additionalProperties': {
        'type': 'object', 'required': ['title', 'type'], 'properties': _property_fields()}}


def _time(what):
    return {'type': 'string', 'readOnly': True, 'format': 'date-time',
            'description': what}


def _links():
    return [{'rel': 'first', 'href': '{first}'}, {'rel': 'next', 'href': '{next}'},
            {'rel': 'describedby', 'href': '{schema}'}]


def _collection(name, key, item_schema, definitions=None, items_as_map=False):
    schema = {'name': name, 'properties': {
        key: ({'type': 'object', 'additionalProperties': item_schema} if items_as_map
              else {'type': 'array', 'items': item_schema}),
        'first': {'type': 'string'}, 'next': {'type': 'string'},
        'schema': {'type': 'string'}}, 'links': _links()}
    if definitions is not None:
        schema['definitions'] = definitions
    return schema


def namespace_schema():
    definitions = _definitions()
    definitions['property'] = _property_map()
    return {
        'name': 'namespace',
        'type': 'object',
        'additionalProperties': False,
        'required': ['namespace'],
        'definitions': definitions,
        'properties': {
            'namespace': {'type': 'string', 'maxLength': 80,
                          'description': 'The name of the namespace, unique in the catalog.'},
            'display_name': {'type': 'string', 'maxLength': 80,
                             'description': 'A name for people (dashboards show it).'},
            'description': {'type': 'string', 'maxLength': 500,
                            'description': 'What the namespace defines.'},
            'visibility': {'type': 'string', 'enum': ['public', 'private'],
                           'description': 'public: every project sees it; private: its '
                                          "owner's project only."},
            'protected': {'type': 'boolean',
                          'description': 'A protected namespace cannot be deleted.'},
            'owner': {'type': 'string', 'maxLength': 255,
                      'description': 'The project the namespace belongs to.'},
            'created_at': _time('When the namespace was created.'),
            'updated_at': _time('When the namespace last changed.'),
            'schema': {'type': 'string', 'readOnly': True},
            'self': {'type': 'string', 'readOnly': True},
            'resource_type_associations': {'type': 'array', 'items': {
                'type': 'object', 'properties': {
                    'name': {'type': 'string'}, 'prefix': {'type': 'string'},
                    'properties_target': {'type': 'string'}}}},
            'properties': {'$ref': '#/definitions/property'},
            'objects': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'name': {'type': 'string'}, 'description': {'type': 'string'},
                'required': {'$ref': '#/definitions/stringArray'},
                'properties': {'$ref': '#/definitions/property'}}}},
            'tags': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'name': {'type': 'string'}}}},
        },
    }


def namespaces_schema():
    item = namespace_schema()
    definitions = item.pop('definitions')
    return _collection('namespaces', 'namespaces', item, definitions)


def property_schema():
    return {
        'name': 'property',
        'type': 'object',
        'additionalProperties': False,
        'required': ['type', 'title', 'name'],
        'definitions': _definitions(string_array_min_items=True),
        'properties': _property_fields(),
    }


def properties_schema():
    item = property_schema()
    definitions = item.pop('definitions')
    item['required'] = ['type', 'title']
    return _collection('properties', 'properties', item, definitions, items_as_map=True)


def object_schema():
    definitions = _definitions()
    definitions['property'] = _property_map()
    return {
        'name': 'object',
        'type': 'object',
        'additionalProperties': False,
        'required': ['name'],
        'definitions': definitions,
        'properties': {
            'name': {'type': 'string', 'maxLength': 255},
            'description': {'type': 'string'},
            'required': {'$ref': '#/definitions/stringArray'},
            'properties': {'$ref': '#/definitions/property'},
            'schema': {'type': 'string', 'readOnly': True},
            'self': {'type': 'string', 'readOnly': True},
            'created_at': _time('When the object was created.'),
            'updated_at': _time('When the object last changed.'),
        },
    }


def objects_schema():
    item = object_schema()
    definitions = item.pop('definitions')
    return _collection('objects', 'objects', item, definitions)


def _association_fields():
    return {
        'name': {'type': 'string', 'maxLength': 80,
                 'description': 'The resource type, named as Heat names resource types '
                                '(OS::Glance::Image, OS::Nova::Flavor ...).'},
        'prefix': {'type': 'string', 'maxLength': 80,
                   'description': "Put in front of the namespace's property names when they "
                                  'apply to this resource type, separator included '
                                  '(hw_, hw: ...).'},
        'properties_target': {'type': 'string', 'maxLength': 80,
                              'description': 'Which of the resource type\'s key/value sets '
                                             'the properties go to, when it has several '
                                             '(a volume\'s "image" metadata, for example).'},
        'created_at': _time('When the association was made.'),
        'updated_at': _time('When the association last changed.'),
    }


def resource_type_schema():
    return {'name': 'resource_type_association', 'type': 'object',
            'additionalProperties': False, 'required': ['name'],
            'properties': _association_fields()}


def resource_types_schema():
    return _collection('resource_type_associations', 'resource_type_associations',
                       resource_type_schema())


def tag_schema():
    return {'name': 'tag', 'type': 'object', 'additionalProperties': False,
            'required': ['name'], 'properties': {
                'name': {'type': 'string', 'maxLength': 255},
                'created_at': _time('When the tag was created.'),
                'updated_at': _time('When the tag last changed.')}}


def tags_schema():
    return _collection('tags', 'tags', tag_schema())


# /v2/schemas/metadefs/<name> -> its document
DOCUMENTS = {
    'namespace': namespace_schema, 'namespaces': namespaces_schema,
    'property': property_schema, 'properties': properties_schema,
    'object': object_schema, 'objects': objects_schema,
    'resource_type': resource_type_schema, 'resource_types': resource_types_schema,
    'tag': tag_schema, 'tags': tags_schema,
}

_VALIDATORS = {}


def _validator(name):
    if name not in _VALIDATORS:
        document = copy.deepcopy(DOCUMENTS[name]())
        _VALIDATORS[name] = jsonschema.Draft4Validator(document)
    return _VALIDATORS[name]


def validate(name, obj):
    """Raise Invalid (400) with the first problem found in ``obj`` for document ``name``."""
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(obj))
    if error is not None:
        where = '/'.join(str(p) for p in error.absolute_path)
        raise exceptions.Invalid('Provided object does not match schema %r: %s%s'
                                 % (DOCUMENTS[name]()['name'], error.message,
                                    ' (at %s)' % where if where else ''))
