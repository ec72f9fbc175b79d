"""common/image_attributes.py is the one description of an image's attributes: the database
model, the hand-written OpenAPI document and the derived sets agree with it."""

import pytest

from api_service.http import image_render
from api_service.http import image_requests
from api_service.http import schemas
from api_service.http.views import openapi
from common import image_attributes as attrs
from registry_service import patch
from registry_service.db import models

STORED = [a for a in attrs.ATTRIBUTES if a.stored]
OPENAPI_TYPES = {attrs.STRING: 'string', attrs.INTEGER: 'integer', attrs.BOOLEAN: 'boolean',
                 attrs.DATETIME: 'string', attrs.ARRAY: 'array'}


def test_names_are_unique_and_every_sort_key_is_a_sortable_stored_attribute():
    assert len(attrs.BY_NAME) == len(attrs.ATTRIBUTES)
    assert set(attrs.SORT_KEYS) == set(attrs.names(sortable=True))
    assert all(attrs.BY_NAME[key].stored for key in attrs.SORT_KEYS)
    assert set(attrs.NULLABLE_SORT_KEYS) == {'name', 'container_format', 'disk_format',
                                             'size'}


def test_the_images_table_has_exactly_the_stored_attributes():
    columns = models.Image.__table__.columns
    assert [c.name for c in columns] == [a.name for a in STORED]
    for attribute in STORED:
        column = columns[attribute.name]
        assert getattr(column.type, 'length', None) == attribute.max_length, attribute.name
        assert column.nullable == attribute.nullable, attribute.name


def test_the_derived_sets_are_upstreams():
    assert set(image_requests.READ_ONLY) == {
        'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url',
        'self', 'file', 'schema', 'id', 'os_hash_algo', 'os_hash_value', 'stores'}
    assert set(image_requests.CREATE_DISALLOWED) == {'direct_url', 'self', 'file', 'schema',
                                                     'stores'}
    assert set(image_requests.WRITABLE_BASE) == set(patch.MUTABLE) == {
        'name', 'visibility', 'protected', 'os_hidden', 'owner', 'container_format',
        'disk_format', 'min_ram', 'min_disk'}
    assert {'location', 'deleted', 'deleted_at', 'upload_expires_at', 'upload_token',
            'upload_holder', 'locations'} == set(attrs.RESERVED)
    assert attrs.is_reserved('os_glance_anything') and not attrs.is_reserved('os_distro')
    assert set(image_render.SHOWN_ATTRIBUTES) == {
        'name', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size',
        'status', 'checksum', 'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden',
        'os_hash_algo', 'os_hash_value'}


def test_the_json_schema_follows_the_table():
    properties = schemas.base_properties(['bare'], ['raw'])
    assert set(properties) == set(attrs.names(in_schema=True))
    for name, prop in properties.items():
        attribute = attrs.BY_NAME[name]
        assert prop.get('readOnly', False) == (attribute.write == attrs.NOBODY), name
        assert ('null' in prop['type']) == attribute.nullable, name


# --- the OpenAPI document, written by hand ---------------------------------------------------

@pytest.fixture(scope='module')
def components():
    return openapi.source_document()['components']['schemas']


def resolve(components, prop):
    if '$ref' in prop:
        return components[prop['$ref'].rpartition('/')[2]]
    return prop


def test_openapi_image_shows_every_shown_attribute_with_its_type(components):
    image = components['Image']
    shown = attrs.names(shown=True)
    assert set(image['properties']) == set(shown)
    assert set(image['required']) == set(shown)
    for name in shown:
        attribute = attrs.BY_NAME[name]
        prop = resolve(components, image['properties'][name])
        assert prop['type'] == OPENAPI_TYPES[attribute.type], name
        assert prop.get('nullable', False) == attribute.nullable, name
        if attribute.type == attrs.DATETIME:
            assert prop['format'] == 'date-time', name
        if attribute.enum is not None:
            assert prop['enum'] == list(attribute.enum), name
        elif attribute.type == attrs.STRING and attribute.max_length and name != 'id':
            if name in ('container_format', 'disk_format'):
                continue  # an enum of the configured formats instead
            assert prop['maxLength'] == attribute.max_length, name


def test_openapi_format_enums_are_the_default_configuration(components):
    from api_service import config as api_config
    defaults = {opt.name: opt.default for opt in api_config.image_format_opts}
    assert components['ContainerFormat']['enum'] == [None] + defaults['container_formats']
    assert components['DiskFormat']['enum'] == [None] + defaults['disk_formats']


def test_openapi_image_create_takes_exactly_the_writable_attributes(components):
    create = components['ImageCreate']['properties']
    writable = [a for a in attrs.ATTRIBUTES if a.write in (attrs.USER, attrs.ON_CREATE)]
    assert set(create) == {a.name for a in writable}
    for attribute in writable:
        prop = resolve(components, create[attribute.name])
        assert prop['type'] == OPENAPI_TYPES[attribute.type], attribute.name
        assert prop.get('nullable', False) == attribute.nullable, attribute.name
        if attribute.maximum is not None:
            assert prop['maximum'] == attribute.maximum, attribute.name
        if attribute.enum is not None:
            assert prop['enum'] == list(attribute.enum), attribute.name
        if attribute.type == attrs.ARRAY:
            assert prop['items']['maxLength'] == attribute.max_length
        elif attribute.type == attrs.STRING and attribute.enum is None \
                and attribute.name not in ('id', 'container_format', 'disk_format'):
            assert prop['maxLength'] == attribute.max_length, attribute.name


def test_openapi_sort_keys_visibilities_and_member_statuses(components):
    assert components['SortKey']['enum'] == list(attrs.SORT_KEYS)
    assert components['MemberUpdate']['properties']['status']['enum'] == list(
        attrs.MEMBER_STATUSES)
    assert components['Member']['properties']['status']['enum'] == list(attrs.MEMBER_STATUSES)
    parameters = {p['name']: p for p in
                  openapi.source_document()['paths']['/v2/images']['get']['parameters']}
    assert set(parameters['visibility']['schema']['enum']) == set(attrs.VISIBILITIES) | {'all'}
    assert parameters['member_status']['schema']['enum'] == list(attrs.MEMBER_STATUSES) + [
        'all']
    assert parameters['sort_dir']['schema']['items']['enum'] == list(attrs.SORT_DIRS)
    # Every documented filter is one the table lets the list query take.
    for name in parameters:
        base, _, bound = name.rpartition('_')
        if name in ('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'tag'):
            continue
        if bound in ('min', 'max') and base in attrs.BY_NAME:
            assert attrs.GTE in attrs.filter_operators(base), name
        else:
            assert attrs.filter_operators(name), name
