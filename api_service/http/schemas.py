"""JSON Schemas of an image and of an image list: the /v2/schemas documents and the rules
request bodies are validated against.

python-glanceclient builds its command line from GET /v2/schemas/image, so field names,
types, enums and readOnly flags follow upstream Glance exactly; descriptions are ours.
"""

import copy
import re

import jsonschema

from api_service.http import custom_properties
from common import exceptions
from common import image_attributes

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')

VISIBILITIES = list(image_attributes.VISIBILITIES)

_JSON_TYPES = {
    image_attributes.STRING: 'string', image_attributes.INTEGER: 'integer',
    image_attributes.BOOLEAN: 'boolean', image_attributes.DATETIME: 'string',
    image_attributes.ARRAY: 'array',
}
_PATTERNS = {'id': UUID_PATTERN}

# An image's locations as upstream's schema describes them: what the PATCH of /locations
# ([DEFAULT] show_multiple_locations) takes and image JSON shows (api_service/services/
# locations.py checks the values; POST /v2/images/{id}/locations has its own body).
_LOCATION_ITEMS = {
    'type': 'object',
    'properties': {
        'url': {'type': 'string', 'maxLength': 255},
        'metadata': {'type': 'object'},
        'validation_data': {
            'description': 'Checksums that fill in the image attributes of the '
                           'same name; unless the image is queued they must '
                           'equal the values it already has.',
            'type': 'object',
            'writeOnly': True,
            'additionalProperties': False,
            'properties': {
                'checksum': {'type': 'string', 'minLength': 32,
                             'maxLength': 32},
                'os_hash_algo': {'type': 'string', 'maxLength': 64},
                'os_hash_value': {'type': 'string', 'maxLength': 128},
            },
            'required': ['os_hash_algo', 'os_hash_value'],
        },
    },
    'required': ['url', 'metadata'],
}


def _schema_property(attribute, enum):
    """One attribute of common.image_attributes as a JSON Schema property."""
    json_type = _JSON_TYPES[attribute.type]
    prop = {'type': ['null', json_type] if attribute.nullable else json_type,
            'description': attribute.description}
    if attribute.write == image_attributes.NOBODY:
        prop['readOnly'] = True
    if attribute.name in _PATTERNS:
        prop['pattern'] = _PATTERNS[attribute.name]
    elif enum is not None:
        prop['enum'] = ([None] if attribute.nullable else []) + list(enum)
    elif attribute.type == image_attributes.ARRAY and attribute.max_length:
        prop['items'] = {'type': 'string', 'maxLength': attribute.max_length}
    elif attribute.type == image_attributes.STRING and attribute.max_length:
        prop['maxLength'] = attribute.max_length
    return prop


def base_properties(container_formats, disk_formats):
    """The image's attributes (common/image_attributes.py) as the schema's properties."""
    enums = {'container_format': container_formats, 'disk_format': disk_formats}
    properties = {
        a.name: _schema_property(a, enums.get(a.name, a.enum))
        for a in image_attributes.ATTRIBUTES if a.in_schema}
    properties['locations']['items'] = copy.deepcopy(_LOCATION_ITEMS)
    return properties


def image_schema(container_formats, disk_formats, extra_properties=None):
    """``extra_properties``: the typed extra properties of schema-image.json
    (custom_properties.load()), beside the base ones."""
    properties = base_properties(container_formats, disk_formats)
    for name, prop in (extra_properties or {}).items():
        properties.setdefault(name, copy.deepcopy(prop))
    return {
        'name': 'image',
        'properties': properties,
        # Any other key is an extra property, and extra properties hold strings.
        'additionalProperties': {'type': 'string'},
        'links': [
            {'rel': 'self', 'href': '{self}'},
            {'rel': 'enclosure', 'href': '{file}'},
            {'rel': 'describedby', 'href': '{schema}'},
        ],
    }


def images_schema(item_schema):
    return collection_schema('images', item_schema)


def collection_schema(name, item_schema):
    """The schema of a paged list (images, tasks): its ``name`` items, first/next links."""
    return {
        'name': name,
        'properties': {
            name: {'type': 'array', 'items': item_schema},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
            'schema': {'type': 'string'},
        },
        'links': [
            {'rel': 'first', 'href': '{first}'},
            {'rel': 'next', 'href': '{next}'},
            {'rel': 'describedby', 'href': '{schema}'},
        ],
    }


# -- a quick check before the full validation ------------------------------------------------
#
# Every image create and PATCH validates against the image schema, and jsonschema walks all
# of its properties for each (about 20 us in-process, a sixth of a PATCH's own cost). Most
# bodies are plain: strings and numbers meeting a type, an enum, a length or a pattern. The
# quick check says "valid" only for such values that surely pass; for anything else (a
# keyword it does not know, a value of another kind, a value that fails) it says nothing,
# and jsonschema decides and words the error, as before.

# JSON Schema type -> the Python type a decoded JSON value of that type has (exactly: a bool
# is no integer, as for jsonschema).
_QUICK_TYPES = {'string': str, 'integer': int, 'boolean': bool, 'null': type(None),
                'array': list}
# Keywords Draft 4 validation ignores (annotations, and is_base of schema-image.json).
_ANNOTATIONS = frozenset({'description', 'title', 'readOnly', 'is_base'})
_SCALARS = (str, int, bool, type(None))


def quick_check(schema):
    """-> f(value): True when ``value`` surely meets ``schema`` (one property's) under
    Draft 4; None when ``schema`` uses anything beyond type, enum, maxLength, pattern and
    items of such schemas."""
    known = _ANNOTATIONS | {'type', 'enum', 'maxLength', 'pattern', 'items'}
    if not isinstance(schema, dict) or not set(schema) <= known:
        return None
    types = schema.get('type')
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not isinstance(names, list) or not all(n in _QUICK_TYPES for n in names):
            return None
        types = tuple(_QUICK_TYPES[n] for n in names)
    enum = schema.get('enum')
    if enum is not None and not (isinstance(enum, list)
                                 and all(type(e) in _SCALARS for e in enum)):
        return None
    max_length = schema.get('maxLength')
    if max_length is not None and type(max_length) is not int:
        return None
    pattern = schema.get('pattern')
    if pattern is not None:
        try:
            pattern = re.compile(pattern)
        except (TypeError, re.error):
            # jsonschema meets it, and says what is wrong, when a value reaches it.
            return None
    items = None
    if 'items' in schema:
        items = quick_check(schema['items'])
        if items is None:
            return None

    def check(value):
        kind = type(value)
        if kind is list:
            # jsonschema compares lists in an enum its own way (1 is not true there).
            if enum is not None:
                return False
            if items is not None and not all(items(item) for item in value):
                return False
        elif kind not in _SCALARS:
            return False
        if types is not None and kind not in types:
            return False
        if enum is not None and not any(type(e) is kind and e == value for e in enum):
            return False
        if kind is str:
            if max_length is not None and len(value) > max_length:
                return False
            if pattern is not None and not pattern.search(value):
                return False
        return True

    return check


def quick_object_check(schema):
    """-> f(obj): True when the dict ``obj`` surely meets ``schema`` (the image schema:
    properties, additionalProperties); None for a schema with other validation keywords."""
    if not set(schema) <= {'name', 'links', 'properties', 'additionalProperties'}:
        return None
    by_name = {name: quick_check(prop) for name, prop in schema.get('properties', {}).items()}
    extra = schema.get('additionalProperties', {})
    extra = quick_check(extra) if isinstance(extra, dict) else None

    def check(obj):
        if type(obj) is not dict:
            return False
        for name, value in obj.items():
            value_check = by_name[name] if name in by_name else extra
            if value_check is None or not value_check(value):
                return False
        return True

    return check


class ImageSchemas:
    """The schema documents for one configuration, and a validator compiled once."""

    def __init__(self, conf):
        base = base_properties(conf.image_format.container_formats,
                               conf.image_format.disk_formats)
        self.image = image_schema(conf.image_format.container_formats,
                                  conf.image_format.disk_formats,
                                  custom_properties.load(conf, base_names=base))
        self.images = images_schema(copy.deepcopy(self.image))
        # The documented extra properties (schema-image.json) are not base attributes.
        self.base_names = frozenset(base)
        self._validator = jsonschema.Draft4Validator(self.image)
        self._surely_valid = quick_object_check(self.image) or (lambda obj: False)

    def validate(self, obj):
        """Raise Invalid (400) with the first problem found in ``obj``."""
        if self._surely_valid(obj):
            return
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(obj))
        if error is not None:
            where = '/'.join(str(p) for p in error.absolute_path)
            raise exceptions.Invalid('Provided object does not match schema %r: %s%s'
                                     % ('image', error.message,
                                        ' (at %s)' % where if where else ''))


MEMBER_STATUSES = list(image_attributes.MEMBER_STATUSES)


def member_schema():
    """The /v2/schemas/member document (upstream serves its minimal form: no
    additionalProperties)."""
    return {
        'name': 'member',
        'properties': {
            'member_id': {'type': 'string',
                          'description': 'The project the image is shared with.'},
            'image_id': {'type': 'string', 'description': 'The shared image.',
                         'pattern': UUID_PATTERN},
            'created_at': {'type': 'string',
                           'description': 'When the image was shared with this project.'},
            'updated_at': {'type': 'string',
                           'description': 'When this membership last changed.'},
            'status': {'type': 'string',
                       'description': "The member's answer to the offer to share.",
                       'enum': list(MEMBER_STATUSES)},
            'schema': {'type': 'string', 'readOnly': True},
        },
    }


def members_schema(item_schema):
    """The /v2/schemas/members document."""
    return {
        'name': 'members',
        'properties': {
            'members': {'type': 'array', 'items': item_schema},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'describedby', 'href': '{schema}'}],
    }
