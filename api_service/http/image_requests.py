"""Checks and splits image create and PATCH bodies into what the registry contract takes.

Upstream's rules: some attributes may never be sent (403 read-only), some names are
reserved (403), values must match the image schema (400), extra properties are
string -> string with names of at most 255 characters (400), and min_ram / min_disk fit the
database's 4-byte INT (400). Extra property values are TEXT in upstream's database, at most
65535 bytes on MySQL; the same limit is applied here on every backend (400), so a value
PostgreSQL would keep is not refused by MySQL alone.
"""

from api_service import exceptions as api_exceptions
from common import exceptions
from common import image_attributes

# Never accepted in a create body: they only describe where things are.
CREATE_DISALLOWED = image_attributes.names(write=image_attributes.NOBODY, stored=False)

# Set by the service, never by the caller.
READ_ONLY = image_attributes.READ_ONLY

RESERVED = image_attributes.RESERVED
RESERVED_PREFIX = image_attributes.RESERVED_PREFIX

# Base attributes a caller may set; the registry's ``values``.
WRITABLE_BASE = image_attributes.WRITABLE

PATCH_MEDIA_TYPES = {
    'application/openstack-images-v2.1-json-patch': 10,
    # Deprecated draft-4 form: {"replace": "/name", "value": ...}.
    'application/openstack-images-v2.0-json-patch': 4,
}
PATCH_OPS = ('add', 'remove', 'replace')
MAX_PROPERTY_NAME = 255
# MySQL's TEXT column: 65535 bytes, whatever the characters.
MAX_PROPERTY_VALUE_BYTES = 65535


def _is_reserved(name):
    return image_attributes.is_reserved(name)


def _check_owner_change(ctx):
    # Upstream refuses any owner write by a non-admin (context_is_admin), even one naming
    # their own project; the policy's rules for the rest run in the view (api_service/policy).
    if not ctx.is_admin:
        raise exceptions.Forbidden("Owner can't be updated by non admin.")


def quotas(conf):
    """The limits the registry enforces inside the transaction of an image create/update."""
    return {'image_property_quota': conf.image_property_quota,
            'image_tag_quota': conf.image_tag_quota}


def _check_property_name(name):
    if len(name) > MAX_PROPERTY_NAME:
        raise exceptions.Invalid('Custom property should not be greater than %d characters.'
                                 % MAX_PROPERTY_NAME)


def _check_property_value(name, value):
    if len(value.encode('utf-8')) > MAX_PROPERTY_VALUE_BYTES:
        raise exceptions.Invalid('Value of property %s is longer than %d bytes (UTF-8).'
                                 % (name, MAX_PROPERTY_VALUE_BYTES))


def _check_int_attribute(name, value):
    attribute = image_attributes.BY_NAME.get(name)
    maximum = attribute.maximum if attribute is not None else None
    if maximum is not None and value is not None and value > maximum:
        raise exceptions.Invalid("'%s' value out of range, must not exceed %d."
                                 % (name, maximum))


def parse_create(body, ctx, schemas):
    """-> (values, properties, tags) for RegistryClient.image_create."""
    if not isinstance(body, dict):
        raise exceptions.Invalid('Request body must be a JSON object.')
    for name in CREATE_DISALLOWED:
        if name in body:
            raise exceptions.ReadOnlyProperty(name=name)
    schemas.validate(body)
    body = dict(body)
    tags = body.pop('tags', [])
    values = {}
    if 'id' in body:
        values['id'] = body.pop('id')
    for name in READ_ONLY:
        if name in body:
            raise exceptions.ReadOnlyProperty(name=name)
    for name in WRITABLE_BASE:
        if name in body:
            values[name] = body.pop(name)
            _check_int_attribute(name, values[name])
    for name, value in body.items():
        _check_property_name(name)
        if _is_reserved(name):
            raise exceptions.ReservedProperty(name=name)
        _check_property_value(name, value)
    # add_image, publicize_image and communitize_image are checked on these values by the
    # view (api_service/policy.check_create).
    values.setdefault('owner', ctx.project_id)
    return values, body, sorted(set(tags))


def check_patch_media_type(content_type):
    """-> the JSON-patch draft version of the request's media type, else 415."""
    media_type = (content_type or '').split(';')[0].strip().lower()
    if media_type not in PATCH_MEDIA_TYPES:
        raise api_exceptions.UnsupportedMediaType(
            content_type=media_type or '(none)',
            headers={'Accept-Patch': ', '.join(sorted(PATCH_MEDIA_TYPES))})
    return PATCH_MEDIA_TYPES[media_type]


def decode_pointer(pointer):
    """JSON pointer -> list of tokens, with ~1 -> '/' and ~0 -> '~' (RFC 6901)."""
    if not isinstance(pointer, str) or not pointer.startswith('/'):
        raise exceptions.Invalid('Pointer `%s` does not start with "/".' % (pointer,))
    if len(pointer) > 1 and pointer.endswith('/'):
        raise exceptions.Invalid('Pointer `%s` ends with "/".' % pointer)
    tokens = pointer[1:].split('/')
    for token in tokens:
        if not token.strip():
            raise exceptions.Invalid('Pointer `%s` contains an empty token.' % pointer)
        stripped = token.replace('~0', '').replace('~1', '')
        if '~' in stripped:
            raise exceptions.Invalid('Pointer `%s` contains "~" not part of a recognized '
                                     'escape sequence.' % pointer)
    return [t.replace('~1', '/').replace('~0', '~').strip() for t in tokens]


def _op_and_path(raw, draft):
    if draft == 10:
        op = raw.get('op')
        if op not in PATCH_OPS:
            raise exceptions.Invalid('Invalid operation: `%s`. It must be one of the '
                                     'following: %s.' % (op, ', '.join(PATCH_OPS)))
        if 'path' not in raw:
            raise exceptions.Invalid("Unable to find 'path' in JSON Schema change")
        return op, raw['path']
    present = [op for op in PATCH_OPS if op in raw]
    if len(present) != 1:
        raise exceptions.Invalid('Operation objects must contain exactly one member named '
                                 '"add", "remove", or "replace".')
    return present[0], raw[present[0]]


# The depth of a /locations pointer each operation takes ('/locations/N' or '/locations').
LOCATIONS_DEPTH = {'add': 2, 'remove': 2, 'replace': 1}


def _locations_change(op, tokens, raw, show_locations):
    """A change of /locations (api_service/services/locations.py applies it): refused
    (403) unless [DEFAULT] show_multiple_locations, as upstream."""
    if not show_locations:
        raise exceptions.Forbidden("It's not allowed to update locations if locations "
                                   "are invisible.")
    if len(tokens) != LOCATIONS_DEPTH[op]:
        raise exceptions.Invalid("Invalid JSON pointer for this resource: '/%s'"
                                 % '/'.join(tokens))
    change = {'op': op, 'path': 'locations',
              'position': tokens[1] if len(tokens) > 1 else None}
    if op != 'remove':
        if 'value' not in raw:
            raise exceptions.Invalid('Operation "%s" requires a member named "value".' % op)
        change['value'] = raw['value']
    return change


def location_changes(changes):
    """-> (the changes of /locations, the others) of a parsed PATCH."""
    return ([c for c in changes if c['path'] == 'locations'],
            [c for c in changes if c['path'] != 'locations'])


def parse_patch(content_type, body, ctx, schemas, show_locations=False):
    """-> the ``changes`` list for RegistryClient.image_update (with the /locations ones,
    which location_changes() splits off, when ``show_locations``)."""
    draft = check_patch_media_type(content_type)
    if not isinstance(body, list):
        raise exceptions.Invalid('Request body must be a JSON array of operation objects.')
    changes = []
    for raw in body:
        if not isinstance(raw, dict):
            raise exceptions.Invalid('Operations must be JSON objects.')
        op, pointer = _op_and_path(raw, draft)
        tokens = decode_pointer(pointer)
        name = tokens[0]
        if name == 'locations':
            changes.append(_locations_change(op, tokens, raw, show_locations))
            continue
        if len(tokens) != 1:
            raise exceptions.Invalid("Invalid JSON pointer for this resource: '/%s'"
                                     % '/'.join(tokens))
        if name in READ_ONLY:
            raise exceptions.ReadOnlyProperty(name=name)
        if _is_reserved(name):
            raise exceptions.ReservedProperty(name=name)
        _check_property_name(name)
        change = {'op': op, 'path': name}
        if op != 'remove':
            if 'value' not in raw:
                raise exceptions.Invalid('Operation "%s" requires a member named "value".'
                                         % op)
            change['value'] = raw['value']
            schemas.validate({name: raw['value']})
            _check_int_attribute(name, raw['value'])
            if name not in schemas.base_names:
                _check_property_value(name, raw['value'])
            if name == 'owner':
                _check_owner_change(ctx)
        changes.append(change)
    return changes
