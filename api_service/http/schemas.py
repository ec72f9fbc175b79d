"""JSON Schemas of an image and of an image list: the /v2/schemas documents and the rules
request bodies are validated against.

python-glanceclient builds its command line from GET /v2/schemas/image, so field names,
types, enums and readOnly flags follow upstream Glance exactly; descriptions are ours.
"""

import copy

import jsonschema

from common import exceptions
from common import states

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')

VISIBILITIES = ['community', 'public', 'private', 'shared']

# Upstream's order of the status enum.
_STATUS_ENUM = [states.QUEUED, states.SAVING, states.ACTIVE, states.KILLED, states.DELETED,
                states.UPLOADING, states.IMPORTING, states.PENDING_DELETE,
                states.DEACTIVATED]


def base_properties(container_formats, disk_formats):
    return {
        'id': {'type': 'string', 'description': 'Unique identifier of the image (a UUID).',
               'pattern': UUID_PATTERN},
        'name': {'type': ['null', 'string'], 'description': 'Human-readable image name.',
                 'maxLength': 255},
        'status': {'type': 'string', 'readOnly': True,
                   'description': 'Where the image is in its lifecycle.',
                   'enum': list(_STATUS_ENUM)},
        'visibility': {'type': 'string', 'description': 'Who may see and use the image.',
                       'enum': list(VISIBILITIES)},
        'protected': {'type': 'boolean',
                      'description': 'When true, the image cannot be deleted.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'When true, the image is left out of default image '
                                     'lists.'},
        'checksum': {'type': ['null', 'string'], 'readOnly': True,
                     'description': 'MD5 digest of the image data.', 'maxLength': 32},
        'os_hash_algo': {'type': ['null', 'string'], 'readOnly': True,
                         'description': 'Name of the algorithm that produced '
                                        'os_hash_value.',
                         'maxLength': 64},
        'os_hash_value': {'type': ['null', 'string'], 'readOnly': True,
                          'description': 'Hex digest of the image data computed with '
                                         'os_hash_algo.',
                          'maxLength': 128},
        'owner': {'type': ['null', 'string'], 'description': 'Project that owns the image.',
                  'maxLength': 255},
        'size': {'type': ['null', 'integer'], 'readOnly': True,
                 'description': 'Size of the image data in bytes.'},
        'virtual_size': {'type': ['null', 'integer'], 'readOnly': True,
                         'description': 'Size of the virtual disk the image holds, in '
                                        'bytes.'},
        'container_format': {'type': ['null', 'string'],
                             'description': 'Container format of the image data.',
                             'enum': [None] + list(container_formats)},
        'disk_format': {'type': ['null', 'string'],
                        'description': 'Disk format of the image data.',
                        'enum': [None] + list(disk_formats)},
        'created_at': {'type': 'string', 'readOnly': True,
                       'description': 'When the image was created.'},
        'updated_at': {'type': 'string', 'readOnly': True,
                       'description': 'When the image was last changed.'},
        'tags': {'type': 'array', 'description': 'Free-form labels attached to the image.',
                 'items': {'type': 'string', 'maxLength': 255}},
        'direct_url': {'type': 'string', 'readOnly': True,
                       'description': 'Location of the image data in its backing store.'},
        'min_ram': {'type': 'integer',
                    'description': 'Memory (MB) an instance needs to boot this image.'},
        'min_disk': {'type': 'integer',
                     'description': 'Disk space (GB) an instance needs to boot this image.'},
        'self': {'type': 'string', 'readOnly': True, 'description': 'URL of this image.'},
        'file': {'type': 'string', 'readOnly': True,
                 'description': 'URL of the image data.'},
        'stores': {'type': 'string', 'readOnly': True,
                   'description': 'Comma-separated identifiers of the stores holding the '
                                  'data; shown only when several stores are configured.'},
        'schema': {'type': 'string', 'readOnly': True,
                   'description': 'URL of the schema describing this image.'},
        'locations': {
            'type': 'array',
            'items': {
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
            },
            'description': 'Locations of the image data in backing stores.',
        },
    }


def image_schema(container_formats, disk_formats):
    return {
        'name': 'image',
        'properties': base_properties(container_formats, disk_formats),
        # Any other key is an extra property, and extra properties hold strings.
        'additionalProperties': {'type': 'string'},
        'links': [
            {'rel': 'self', 'href': '{self}'},
            {'rel': 'enclosure', 'href': '{file}'},
            {'rel': 'describedby', 'href': '{schema}'},
        ],
    }


def images_schema(item_schema):
    return {
        'name': 'images',
        'properties': {
            'images': {'type': 'array', 'items': item_schema},
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
        self.image = image_schema(conf.image_format.container_formats,
                                  conf.image_format.disk_formats)
        self.images = images_schema(copy.deepcopy(self.image))
        self.base_names = frozenset(self.image['properties'])
        self._validator = jsonschema.Draft4Validator(self.image)

    def validate(self, obj):
        """Raise Invalid (400) with the first problem found in ``obj``."""
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(obj))
        if error is not None:
            where = '/'.join(str(p) for p in error.absolute_path)
            raise exceptions.Invalid('Provided object does not match schema %r: %s%s'
                                     % ('image', error.message,
                                        ' (at %s)' % where if where else ''))


MEMBER_STATUSES = ['pending', 'accepted', 'rejected']


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
