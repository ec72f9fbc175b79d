import jsonschema

from tests.unit.api.conftest import ALICE

BASE = {'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
        'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format',
        'disk_format', 'created_at', 'updated_at', 'tags', 'direct_url', 'min_ram',
        'min_disk', 'self', 'file', 'stores', 'schema', 'locations'}
# The documented extra properties of schema-image.json, as upstream ships them.
CUSTOM = {'kernel_id', 'ramdisk_id', 'instance_uuid', 'architecture', 'os_distro',
          'os_version', 'description', 'cinder_encryption_key_id',
          'cinder_encryption_key_deletion_policy'}
READ_ONLY = {'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size',
             'created_at', 'updated_at', 'direct_url', 'self', 'file', 'stores', 'schema'}


def test_image_schema_document(client, conf):
    response = client.get('/v2/schemas/image')
    assert response.status_code == 200
    schema = response.get_json()
    assert schema['name'] == 'image'
    assert set(schema['properties']) == BASE | CUSTOM
    assert {p for p, d in schema['properties'].items() if d.get('is_base') is False} == CUSTOM
    assert schema['additionalProperties'] == {'type': 'string'}
    assert {p for p, d in schema['properties'].items() if d.get('readOnly')} == READ_ONLY
    assert schema['properties']['visibility']['enum'] == ['community', 'public', 'private',
                                                          'shared']
    assert schema['properties']['status']['enum'] == [
        'queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing',
        'pending_delete', 'deactivated']
    assert schema['properties']['disk_format']['enum'] == [None] + conf.image_format.disk_formats
    assert schema['properties']['container_format']['enum'] == (
        [None] + conf.image_format.container_formats)
    assert schema['properties']['name']['type'] == ['null', 'string']
    assert schema['links'] == [{'rel': 'self', 'href': '{self}'},
                               {'rel': 'enclosure', 'href': '{file}'},
                               {'rel': 'describedby', 'href': '{schema}'}]


def test_formats_follow_configuration(conf, registry):
    from api_service.wsgi import app as app_module
    conf.set_override('disk_formats', ['raw', 'qcow2'], group='image_format')
    client = app_module.create_app(conf, registry=registry).test_client()
    enum = client.get('/v2/schemas/image').get_json()['properties']['disk_format']['enum']
    assert enum == [None, 'raw', 'qcow2']
    assert client.post('/v2/images', headers=ALICE,
                       json={'disk_format': 'vmdk'}).status_code == 400


def test_images_schema_document(client):
    schema = client.get('/v2/schemas/images').get_json()
    assert schema['name'] == 'images'
    assert set(schema['properties']) == {'images', 'first', 'next', 'schema'}
    assert schema['properties']['images']['items']['name'] == 'image'
    assert [link['rel'] for link in schema['links']] == ['first', 'next', 'describedby']


def test_served_images_validate_against_the_served_schemas(client, create_image):
    create_image(os_distro='debian', tags=['t'])
    image_schema = client.get('/v2/schemas/image').get_json()
    images_schema = client.get('/v2/schemas/images').get_json()
    listing = client.get('/v2/images', headers=ALICE).get_json()
    jsonschema.Draft4Validator(images_schema).validate(listing)
    jsonschema.Draft4Validator(image_schema).validate(listing['images'][0])


# -- the quick check before jsonschema ---------------------------------------------------------

QUICK_VALUES = [None, True, False, 0, 1, -3, 2 ** 40, 1.0, 1.5, '', 'x', 'a' * 255, 'a' * 256,
                'raw', 'bare', 'qcow2', 'public', 'shared', 'private', 'community', 'bogus',
                'x86_64', 'aarch64', '6b9c8f3e-1c1a-4a3e-9a62-2f2d5b0c4e11',
                '6B9C8F3E-1C1A-4A3E-9A62-2F2D5B0C4E11', '6b9c8f3e-1c1a-4a3e-9a62-2f2d5b0c4e1',
                [], ['a'], ['a' * 255], ['a' * 256], [1], [None], [True], {}, {'a': 'b'},
                [{'url': 'file:///x', 'metadata': {}}]]


def _schemas(conf):
    from api_service.http import schemas
    return schemas, schemas.ImageSchemas(conf)


def test_the_quick_check_passes_only_what_jsonschema_passes(conf):
    schemas, image_schemas = _schemas(conf)
    quick = schemas.quick_object_check(image_schemas.image)
    validator = jsonschema.Draft4Validator(image_schemas.image)
    names = list(image_schemas.image['properties']) + ['an_extra_property']
    passed = 0
    for name in names:
        for value in QUICK_VALUES:
            body = {name: value}
            if quick(body):
                passed += 1
                assert validator.is_valid(body), body
    # It does decide the common bodies (else it would save nothing).
    assert quick({'name': 'n', 'disk_format': 'raw', 'container_format': 'bare',
                  'visibility': 'shared', 'min_ram': 0, 'tags': ['a', 'b'],
                  'os_distro': 'cirros', 'an_extra_property': 'v'})
    assert passed > 100


def test_a_body_the_quick_check_cannot_pass_gets_jsonschemas_error(conf):
    from common import exceptions
    _schemas_module, image_schemas = _schemas(conf)
    for body, expected in [({'name': 'a' * 256}, 'is too long'),
                           ({'visibility': 'bogus'}, 'is not one of'),
                           ({'min_ram': 1.5}, 'is not of type'),
                           ({'min_ram': True}, 'is not of type'),
                           ({'an_extra_property': 1}, 'is not of type'),
                           ({'tags': ['a' * 256]}, 'is too long')]:
        try:
            image_schemas.validate(body)
        except exceptions.Invalid as exc:
            assert expected in str(exc)
        else:
            raise AssertionError('%r passed' % body)


def test_the_quick_check_leaves_unknown_keywords_to_jsonschema():
    from api_service.http import schemas
    assert schemas.quick_check({'type': 'string', 'minLength': 2}) is None
    assert schemas.quick_check({'type': 'number'}) is None
    assert schemas.quick_check({'type': 'string', 'pattern': '('}) is None
    assert schemas.quick_check({'items': {'type': 'object'}}) is None
    assert schemas.quick_object_check({'properties': {}, 'required': ['name']}) is None
    check = schemas.quick_check({'type': ['null', 'string'], 'enum': [None, 'a'],
                                 'description': 'd'})
    assert check(None) and check('a') and not check('b') and not check(0)
