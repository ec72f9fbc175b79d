"""Applying a list of JSON-patch style changes to an image, with upstream Glance's semantics.

Pure functions on plain values; images.py loads the row and writes the result.
"""

from common import exceptions
from common import image_attributes
from common import states

# Base attributes a change or a create may set (the api has already applied policy).
MUTABLE = image_attributes.WRITABLE
# Set by the registry alone.
READ_ONLY = image_attributes.READ_ONLY
# Internal columns that are no user's business.
RESERVED = image_attributes.RESERVED
# Formats describe the data, so they are fixed once data may exist.
FORMATS = ('container_format', 'disk_format')
# Names of extra properties and tags.
MAX_NAME_LENGTH = 255


def _text(value, max_length):
    """A str PostgreSQL, MySQL and SQLite all store alike: no NUL (PostgreSQL refuses it)."""
    return isinstance(value, str) and len(value) <= max_length and '\x00' not in value


def _valid(attribute, value):
    if value is None:
        return attribute.nullable
    if attribute.enum is not None:
        return value in attribute.enum
    if attribute.type == image_attributes.STRING:
        return _text(value, attribute.max_length)
    if attribute.type == image_attributes.BOOLEAN:
        return isinstance(value, bool)
    if attribute.type == image_attributes.INTEGER:
        return (isinstance(value, int) and not isinstance(value, bool) and value >= 0
                and (attribute.maximum is None or value <= attribute.maximum))
    return False


def check_base_value(name, value):
    """Invalid unless `value` has the type (and range) writable attribute `name` needs."""
    ok = name in MUTABLE and _valid(image_attributes.BY_NAME[name], value)
    if not ok:
        raise exceptions.Invalid('Invalid value %r for attribute %s.' % (value, name))


def check_property(name, value):
    if not name or not _text(name, MAX_NAME_LENGTH):
        raise exceptions.Invalid('Invalid property name %r.' % (name,))
    if not isinstance(value, str) or '\x00' in value:
        raise exceptions.Invalid('Property %s must be a string without NUL characters.'
                                 % name)


def check_tags(tags):
    if not isinstance(tags, (list, tuple)) or not all(
            t and _text(t, MAX_NAME_LENGTH) for t in tags):
        raise exceptions.Invalid('Tags must be a list of non-empty strings of at most %d '
                                 'characters.' % MAX_NAME_LENGTH)
    return sorted(set(tags))


# The quota keys this module enforces, with the noun of upstream's message.
PROPERTY_QUOTA = 'image_property_quota'
TAG_QUOTA = 'image_tag_quota'
_QUOTA_NOUNS = {PROPERTY_QUOTA: 'image properties', TAG_QUOTA: 'image tags'}


def check_quota(quotas, key, attempted):
    """QuotaExceeded when `attempted` passes ``quotas[key]`` (missing or negative: no limit)."""
    maximum = (quotas or {}).get(key)
    if maximum is None or maximum < 0 or attempted <= maximum:
        return
    raise exceptions.QuotaExceeded(
        'The limit has been exceeded on the number of allowed %s. Attempted: %d, '
        'Maximum: %d' % (_QUOTA_NOUNS.get(key, key), attempted, maximum),
        attempted=attempted, maximum=maximum)


def _set_base(base, status, name, value):
    if name in FORMATS and status != states.QUEUED:
        raise exceptions.Forbidden(
            'Attribute %s can be only replaced for a queued image.' % name)
    check_base_value(name, value)
    base[name] = value


def apply(changes, *, status, base, properties, tags):
    """Apply `changes` in order to copies of `base`, `properties` and `tags`; return them."""
    base, properties, tags = dict(base), dict(properties), list(tags)
    if not isinstance(changes, (list, tuple)):
        raise exceptions.Invalid('Changes must be a list.')
    for change in changes:
        try:
            op, path = change['op'], change['path']
        except (KeyError, TypeError):
            raise exceptions.Invalid('Each change needs an op and a path.') from None
        if path in READ_ONLY:
            raise exceptions.ReadOnlyProperty(name=path)
        if path in RESERVED:
            raise exceptions.ReservedProperty(name=path)
        if op not in ('add', 'replace', 'remove'):
            raise exceptions.Invalid('Unsupported change operation %r.' % (op,))
        if op == 'remove':
            if path in MUTABLE or path == 'tags':
                raise exceptions.Forbidden('Property %s may not be removed.' % path)
            if path not in properties:
                raise exceptions.Conflict('Property %s does not exist.' % path)
            del properties[path]
            continue
        if 'value' not in change:
            raise exceptions.Invalid('Change %s of %s needs a value.' % (op, path))
        value = change['value']
        if path == 'tags':
            tags = check_tags(value)
        elif path in MUTABLE:
            _set_base(base, status, path, value)
        elif op == 'replace' and path not in properties:
            raise exceptions.Conflict('Property %s does not exist.' % path)
        else:
            check_property(path, value)
            properties[path] = value
    return base, properties, sorted(tags)
