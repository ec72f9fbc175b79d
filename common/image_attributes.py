"""The image's attributes: one table, read by both daemons (as states.py is for statuses).

Per attribute: its type, who may write it, whether the image JSON always shows it, its
maximum length (the database column's), whether images may be sorted on it and which
filter operators the image list accepts for it. The api derives from it its JSON schema
(api_service/http/schemas.py), the read-only and reserved checks of create and PATCH bodies
(http/image_requests.py), the list query's validation (common/list_query.py) and the image
JSON (http/image_render.py); the registry its patchable set and value checks
(registry_service/patch.py), the image dicts it returns (image_dicts.py) and the SQL of a
listing (listing.py). The OpenAPI document is written by hand; a unit test holds it to this
table.
"""

import dataclasses

from common import states

# Who may write an attribute.
USER = 'user'            # the caller, on create and with PATCH (policy permitting)
ON_CREATE = 'on_create'  # the caller on create only (a chosen id), read-only afterwards
NOBODY = 'nobody'        # read-only: the service sets it; naming it in a body is 403
INTERNAL = 'internal'    # the registry's bookkeeping (or refused): naming it is 403 reserved

# Value types (JSON's, plus the ISO-8601 time the api shows as a string).
STRING = 'string'
INTEGER = 'integer'
BOOLEAN = 'boolean'
DATETIME = 'datetime'
ARRAY = 'array'

# Filter operators of the image list (upstream's names).
EQ, NEQ, IN, GT, GTE, LT, LTE = 'eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'
TIME_OPERATORS = (GT, GTE, LT, LTE, EQ, NEQ)

# Upstream's order of the schema's visibility enum.
VISIBILITIES = ('community', 'public', 'private', 'shared')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
# Upstream's order, which its "Invalid sort key" message lists.
SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at',
             'updated_at')
SORT_DIRS = ('asc', 'desc')
# Upstream's order of the status enum.
STATUSES = (states.QUEUED, states.SAVING, states.ACTIVE, states.KILLED, states.DELETED,
            states.UPLOADING, states.IMPORTING, states.PENDING_DELETE, states.DEACTIVATED)
# The 4-byte INT columns (upstream checks the same bound before writing).
MAX_DB_INT = 2 ** 31 - 1


@dataclasses.dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    write: str
    description: str = ''
    nullable: bool = False
    # Always in the image JSON, null when unset.
    shown: bool = False
    # A column of the images table (the rest: tags, links the api makes, api-only fields).
    stored: bool = True
    # In the /v2/schemas/image document.
    in_schema: bool = True
    # In every image dict the registry returns (False: only from the calls that need it).
    in_image_dict: bool = True
    max_length: int | None = None
    maximum: int | None = None
    enum: tuple | None = None
    sortable: bool = False
    # Operators the image list accepts for it; () = not a filter (the name then filters on
    # an extra property). The integer columns' GTE and LTE are spelt name_min and name_max.
    filters: tuple = ()

    @property
    def read_only(self):
        return self.write in (NOBODY, ON_CREATE)


_EQ_IN = (EQ, IN)
_RANGE = (EQ, GTE, LTE)

ATTRIBUTES = (
    Attribute('id', STRING, ON_CREATE, 'Unique identifier of the image (a UUID).',
              shown=True, max_length=36, sortable=True, filters=_EQ_IN),
    Attribute('name', STRING, USER, 'Human-readable image name.', nullable=True, shown=True,
              max_length=255, sortable=True, filters=_EQ_IN),
    Attribute('status', STRING, NOBODY, 'Where the image is in its lifecycle.', shown=True,
              max_length=30, enum=STATUSES, sortable=True, filters=_EQ_IN),
    Attribute('visibility', STRING, USER, 'Who may see and use the image.', shown=True,
              max_length=20, enum=VISIBILITIES, filters=(EQ,)),
    Attribute('protected', BOOLEAN, USER, 'When true, the image cannot be deleted.',
              shown=True, filters=(EQ,)),
    Attribute('os_hidden', BOOLEAN, USER,
              'When true, the image is left out of default image lists.', shown=True,
              filters=(EQ,)),
    Attribute('checksum', STRING, NOBODY, 'MD5 digest of the image data.', nullable=True,
              shown=True, max_length=32, filters=(EQ,)),
    Attribute('os_hash_algo', STRING, NOBODY,
              'Name of the algorithm that produced os_hash_value.', nullable=True,
              shown=True, max_length=64, filters=(EQ,)),
    Attribute('os_hash_value', STRING, NOBODY,
              'Hex digest of the image data computed with os_hash_algo.', nullable=True,
              shown=True, max_length=128, filters=(EQ,)),
    Attribute('owner', STRING, USER, 'Project that owns the image.', nullable=True,
              shown=True, max_length=255, filters=(EQ,)),
    Attribute('size', INTEGER, NOBODY, 'Size of the image data in bytes.', nullable=True,
              shown=True, sortable=True, filters=_RANGE),
    Attribute('virtual_size', INTEGER, NOBODY,
              'Size of the virtual disk the image holds, in bytes.', nullable=True,
              shown=True, filters=_RANGE),
    # The formats' enums are the configured ones (the api's [image_format] options).
    Attribute('container_format', STRING, USER, 'Container format of the image data.',
              nullable=True, shown=True, max_length=32, sortable=True, filters=_EQ_IN),
    Attribute('disk_format', STRING, USER, 'Disk format of the image data.', nullable=True,
              shown=True, max_length=32, sortable=True, filters=_EQ_IN),
    Attribute('min_ram', INTEGER, USER, 'Memory (MB) an instance needs to boot this image.',
              shown=True, maximum=MAX_DB_INT, filters=_RANGE),
    Attribute('min_disk', INTEGER, USER,
              'Disk space (GB) an instance needs to boot this image.', shown=True,
              maximum=MAX_DB_INT, filters=_RANGE),
    Attribute('created_at', DATETIME, NOBODY, 'When the image was created.', shown=True,
              sortable=True, filters=TIME_OPERATORS),
    Attribute('updated_at', DATETIME, NOBODY, 'When the image was last changed.', shown=True,
              sortable=True, filters=TIME_OPERATORS),
    Attribute('tags', ARRAY, USER, 'Free-form labels attached to the image.', shown=True,
              stored=False, max_length=255),
    # Made by the api.
    Attribute('self', STRING, NOBODY, 'URL of this image.', shown=True, stored=False),
    Attribute('file', STRING, NOBODY, 'URL of the image data.', shown=True, stored=False),
    Attribute('schema', STRING, NOBODY, 'URL of the schema describing this image.',
              shown=True, stored=False),
    Attribute('direct_url', STRING, NOBODY,
              'Location of the image data in its backing store.', stored=False),
    Attribute('stores', STRING, NOBODY,
              'Comma-separated identifiers of the stores holding the data; shown only when '
              'several stores are configured.', stored=False),
    # Upstream's location API: in the schema, refused here (reserved on create, 403 in a
    # PATCH).
    Attribute('locations', ARRAY, INTERNAL, 'Locations of the image data in backing stores.',
              stored=False),
    # Registry bookkeeping, never shown.
    Attribute('deleted_at', DATETIME, INTERNAL, nullable=True, in_schema=False),
    Attribute('deleted', BOOLEAN, INTERNAL, in_schema=False),
    # In the registry's image_locations table (with its store id), not a column.
    Attribute('location', STRING, INTERNAL, 'The store URI of the image data.',
              nullable=True, in_schema=False, in_image_dict=False, stored=False),
    Attribute('upload_expires_at', DATETIME, INTERNAL,
              'When an upload in progress (status saving) may be presumed dead.',
              nullable=True, in_schema=False, in_image_dict=False),
    Attribute('upload_token', STRING, INTERNAL,
              'The token of the upload in progress, chosen by the api worker receiving it.',
              nullable=True, in_schema=False, in_image_dict=False, max_length=64),
    Attribute('upload_holder', STRING, INTERNAL,
              'The api worker receiving the upload in progress.',
              nullable=True, in_schema=False, in_image_dict=False, max_length=255),
)

BY_NAME = {attribute.name: attribute for attribute in ATTRIBUTES}


def names(**conditions):
    """The names of the attributes whose fields equal ``conditions``, in table order."""
    return tuple(a.name for a in ATTRIBUTES
                 if all(getattr(a, key) == value for key, value in conditions.items()))


# What a create body or a PATCH may set among the stored attributes (``values``).
WRITABLE = names(write=USER, stored=True)
# Naming these in a create body (but id) or a PATCH is 403 read-only.
READ_ONLY = tuple(a.name for a in ATTRIBUTES if a.read_only)
# Naming these anywhere is 403 reserved; so is any name starting with RESERVED_PREFIX.
RESERVED = names(write=INTERNAL)
RESERVED_PREFIX = 'os_glance'
# The image dict's base keys (tags and properties aside).
IMAGE_DICT_FIELDS = names(stored=True, in_image_dict=True)
DATETIMES = names(type=DATETIME)
# Sort keys whose column may be NULL (the listing orders NULL first, explicitly).
NULLABLE_SORT_KEYS = names(sortable=True, nullable=True)


def is_reserved(name):
    return name in RESERVED or name.startswith(RESERVED_PREFIX)


def filter_operators(name):
    """The list operators of base attribute ``name``; () when it is no attribute filter."""
    attribute = BY_NAME.get(name)
    return attribute.filters if attribute is not None else ()
