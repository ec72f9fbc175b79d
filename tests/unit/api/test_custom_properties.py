"""schema-image.json: the documented extra properties in /v2/schemas/image(s)."""

import filecmp
import json
import pathlib

import pytest

from api_service import exceptions
from api_service.http import custom_properties
from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

ROOT = pathlib.Path(__file__).resolve().parents[3]

# Name -> JSON type, as upstream's etc/schema-image.json has them.
UPSTREAM_TYPES = {
    'kernel_id': ['null', 'string'], 'ramdisk_id': ['null', 'string'],
    'instance_uuid': 'string', 'architecture': 'string', 'os_distro': 'string',
    'os_version': 'string', 'description': 'string', 'cinder_encryption_key_id': 'string',
    'cinder_encryption_key_deletion_policy': 'string',
}


def test_shipped_file_and_packaged_copy_are_the_same():
    assert filecmp.cmp(ROOT / 'etc' / 'schema-image.json', custom_properties.PACKAGED,
                       shallow=False)


def test_types_are_upstream_s(client):
    for path in ('/v2/schemas/image', '/v2/schemas/images'):
        schema = client.get(path).get_json()
        if path.endswith('images'):
            schema = schema['properties']['images']['items']
        props = schema['properties']
        assert {name: props[name]['type'] for name in UPSTREAM_TYPES} == UPSTREAM_TYPES
        assert props['cinder_encryption_key_deletion_policy']['enum'] == [
            'on_image_deletion', 'do_not_delete']
        assert all(props[name]['is_base'] is False for name in UPSTREAM_TYPES)


def test_values_are_checked_and_stored_as_extra_properties(client):
    bad = client.post('/v2/images', json={'name': 'k', 'kernel_id': 'not-a-uuid'},
                      headers=ALICE)
    assert bad.status_code == 400
    good = client.post('/v2/images', json={
        'name': 'k', 'os_distro': 'ubuntu', 'kernel_id': '11111111-2222-3333-4444-555555555555'},
        headers=ALICE)
    assert good.status_code == 201, good.get_json()
    assert good.get_json()['os_distro'] == 'ubuntu'


def test_an_operator_file_next_to_the_config_wins(tmp_path, registry):
    (tmp_path / 'glance-api.conf').write_text('[DEFAULT]\n')
    (tmp_path / 'schema-image.json').write_text(json.dumps(
        {'properties': {'hw_firmware_type': {'type': 'string', 'enum': ['bios', 'uefi']}}}))
    conf = make_conf(tmp_path)
    conf(['--config-file', str(tmp_path / 'glance-api.conf')], default_config_files=[])
    # Parsing again cleared make_conf's overrides: keep the store in the test's directory.
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'),
                      group='glance_store')
    assert custom_properties.path(conf) == str(tmp_path / 'schema-image.json')
    app = app_module.create_app(conf, registry=registry)
    props = app.test_client().get('/v2/schemas/image').get_json()['properties']
    assert props['hw_firmware_type'] == {'type': 'string', 'enum': ['bios', 'uefi'],
                                         'is_base': False}
    assert 'os_distro' not in props


def test_a_broken_file_stops_the_start(tmp_path):
    (tmp_path / 'glance-api.conf').write_text('[DEFAULT]\n')
    (tmp_path / 'schema-image.json').write_text('{"os_distro": ')
    conf = make_conf(tmp_path)
    conf(['--config-file', str(tmp_path / 'glance-api.conf')], default_config_files=[])
    with pytest.raises(exceptions.ConfigurationError):
        app_module.check_config(conf)
