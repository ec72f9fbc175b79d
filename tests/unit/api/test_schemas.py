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
