"""JSON Schemas of an image and of an image list: the /v2/schemas documents and the rules
request bodies are validated against.

python-glanceclient builds its command line from GET /v2/schemas/image, so field names,
types, enums and readOnly flags follow upstream Glance exactly; descriptions are ours.
"""

import copy

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

    def validate(self, obj):
        """Raise Invalid (400) with the first problem found in ``obj``."""
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
