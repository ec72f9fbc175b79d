"""The multi-store API around the stores ([DEFAULT] enabled_backends = fast:file, cold:file,
web:http): GET /v2/info/stores and its detail, the images' ``stores`` attribute, the
OpenStack-image-store-ids header on create, X-Image-Meta-Store choosing the store of an
upload, and DELETE /v2/stores/{store_id}/{image_id}."""

import os

import pytest

from api_service import config as api_config
from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

RAW = {'disk_format': 'raw', 'container_format': 'bare'}
OCTET = {'Content-Type': 'application/octet-stream'}


def multi_conf(tmp_path):
    conf = make_conf(tmp_path)
    conf.set_override('enabled_backends', {'fast': 'file', 'cold': 'file', 'web': 'http'})
    api_config.register_backend_opts(conf)
    conf.set_override('default_backend', 'fast', group='glance_store')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'fast'), group='fast')
    conf.set_override('store_description', 'Fast disks', group='fast')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'cold'), group='cold')
    conf.set_override('weight', 5, group='cold')
    conf.set_override('store_description', 'Read-only web', group='web')
    return conf


@pytest.fixture
def conf(tmp_path):
    return multi_conf(tmp_path)


def _upload(client, image_id, data=b'data', store=None, headers=ALICE):
    extra = {'X-Image-Meta-Store': store} if store else {}
    return client.put('/v2/images/%s/file' % image_id, data=data,
                      headers=dict(headers, **OCTET, **extra))


def test_stores_info_lists_every_store_as_upstream(client):
    response = client.get('/v2/info/stores', headers=ALICE)
    assert response.status_code == 200
    assert response.get_json() == {'stores': [
        {'id': 'fast', 'description': 'Fast disks', 'default': 'true'},
        {'id': 'cold'},
        {'id': 'web', 'description': 'Read-only web', 'read-only': 'true'}]}


def test_stores_detail_is_for_admins(client, tmp_path):
    assert client.get('/v2/info/stores/detail', headers=ALICE).status_code == 403
    response = client.get('/v2/info/stores/detail', headers=ADMIN)
    assert response.status_code == 200
    fast, cold, web = response.get_json()['stores']
    assert fast['type'] == 'file' and fast['weight'] == 0 and fast['default'] == 'true'
    assert fast['properties']['data_dir'] == str(tmp_path / 'fast')
    assert cold['weight'] == 5 and cold['properties']['thin_provisioning'] is False
    assert web == {'id': 'web', 'description': 'Read-only web', 'read-only': 'true',
                   'type': 'http', 'weight': 0, 'properties': {}}
    assert client.post('/v2/info/stores', headers=ADMIN).status_code == 405


def test_create_names_the_stores_and_upload_chooses_one(client, create_image, tmp_path):
    response = client.post('/v2/images', json=dict(RAW, name='x'), headers=ALICE)
    assert response.status_code == 201
    assert response.headers['OpenStack-image-store-ids'] == 'fast,cold,web'
    image = response.get_json()
    assert 'stores' not in image
    assert _upload(client, image['id'], b'cold data', store='cold').status_code == 204
    assert (tmp_path / 'cold' / image['id']).read_bytes() == b'cold data'
    assert not (tmp_path / 'fast' / image['id']).exists()
    shown = client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()
    assert shown['stores'] == 'cold'
    listed = client.get('/v2/images', headers=ALICE).get_json()['images']
    assert [i['stores'] for i in listed if i['id'] == image['id']] == ['cold']
    # Without the header: the default backend.
    other = create_image(**RAW)
    assert _upload(client, other['id']).status_code == 204
    assert os.path.exists(tmp_path / 'fast' / other['id'])
    assert client.get('/v2/images/%s' % other['id'], headers=ALICE).get_json()['stores'] \
        == 'fast'
    assert client.get('/v2/images/%s/file' % image['id'], headers=ALICE).data == b'cold data'


def test_an_unknown_store_is_400_and_a_read_only_one_410(client, create_image):
    image = create_image(**RAW)
    response = _upload(client, image['id'], store='nowhere')
    assert response.status_code == 400
    assert 'nowhere' in response.get_json()['error']['message']
    assert _upload(client, image['id'], store='web').status_code == 410
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()['status'] \
        == 'queued'


def test_delete_from_store_keeps_the_other_copy(client, create_image, registry, tmp_path):
    image = create_image(**RAW)
    assert _upload(client, image['id'], b'twice', store='fast').status_code == 204
    copy = tmp_path / 'cold' / image['id']
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(b'twice')
    registry.add_copy(image['id'], 'file://%s' % copy, 'cold')
    # cold's weight (5) is higher than fast's (0): it comes first, as upstream sorts.
    assert client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()['stores'] \
        == 'cold,fast'
    # delete_image_location is admin-only by default, as upstream.
    url = '/v2/stores/fast/%s' % image['id']
    assert client.delete(url, headers=ALICE).status_code == 403
    assert client.delete('/v2/stores/nowhere/%s' % image['id'],
                         headers=ADMIN).status_code == 409
    assert client.delete('/v2/stores/web/%s' % image['id'], headers=ADMIN).status_code == 404
    assert client.delete(url, headers=ADMIN).status_code == 204
    assert not (tmp_path / 'fast' / image['id']).exists() and copy.exists()
    shown = client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()
    assert shown['stores'] == 'cold' and shown['status'] == 'active'
    assert client.get('/v2/images/%s/file' % image['id'], headers=ALICE).data == b'twice'
    # The last copy stays: delete the image instead.
    response = client.delete('/v2/stores/cold/%s' % image['id'], headers=ADMIN)
    assert response.status_code == 403
    assert 'only store' in response.get_json()['error']['message']
    assert copy.exists()


def test_a_single_store_api_has_no_stores_api(tmp_path, registry):
    conf = make_conf(tmp_path / 'single')
    client = app_module.create_app(conf, registry=registry).test_client()
    assert client.get('/v2/info/stores', headers=ALICE).status_code == 404
    assert client.get('/v2/info/stores/detail', headers=ADMIN).status_code == 404
    response = client.post('/v2/images', json=RAW, headers=ALICE)
    assert 'OpenStack-image-store-ids' not in response.headers
    image = response.get_json()
    # The header is ignored, as upstream does without enabled_backends.
    assert _upload(client, image['id'], store='nowhere').status_code == 204
    assert 'stores' not in client.get('/v2/images/%s' % image['id'],
                                      headers=ALICE).get_json()
    assert client.delete('/v2/stores/file/%s' % image['id'],
                         headers=ADMIN).status_code == 404


def test_the_stores_minor_versions_are_offered_with_several_stores(client, tmp_path,
                                                                   registry):
    ids = [v['id'] for v in client.get('/versions').get_json()['versions']]
    assert ids == ['v2.17', 'v2.15', 'v2.12', 'v2.11', 'v2.10', 'v2.9', 'v2.8', 'v2.7',
                   'v2.6', 'v2.1', 'v2.0']
    assert all(v['status'] == 'SUPPORTED' for v in client.get('/versions').get_json()
               ['versions'] if v['id'] != 'v2.1')
    assert client.get('/v2.15/info/stores/detail', headers=ADMIN).status_code == 200
    assert client.get('/v2.10/info/stores', headers=ALICE).status_code == 200
    single = app_module.create_app(make_conf(tmp_path / 'single'),
                                   registry=registry).test_client()
    assert [v['id'] for v in single.get('/versions').get_json()['versions']] == \
        ['v2.17', 'v2.12', 'v2.7', 'v2.6', 'v2.1', 'v2.0']
    assert single.get('/v2.10/images', headers=ALICE).status_code == 300


def test_deleting_the_image_removes_every_copy(client, create_image, registry, tmp_path):
    image = create_image(**RAW)
    assert _upload(client, image['id'], b'both', store='fast').status_code == 204
    copy = tmp_path / 'cold' / image['id']
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(b'both')
    registry.add_copy(image['id'], 'file://%s' % copy, 'cold')
    web = 'http://127.0.0.1:9/%s' % image['id']
    registry.add_copy(image['id'], web, 'web')
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert not (tmp_path / 'fast' / image['id']).exists() and not copy.exists()
    # The read-only store's data is not ours: nothing is queued for the scrubber.
    assert registry.scrub_claim(registry_admin(), scrub_time=0, limit=10,
                                claim_seconds=60) == []


def registry_admin():
    from common import context
    return context.RequestContext(user_id='admin', project_id='admin-project',
                                  roles=['admin'], is_admin=True)


def _add_copy_by_rpc(registry, image_id, url, store_id):
    """A copy of the image's data recorded through the locations API's registry call."""
    ctx = registry_admin()
    current = registry.image_location_list(ctx, image_ids=[image_id])[image_id]
    registry.image_location_set(ctx, image_id=image_id,
                                expected=[loc['id'] for loc in current],
                                locations=current + [{'url': url, 'metadata': {},
                                                      'store_id': store_id}])


@pytest.mark.real_registry
def test_copies_are_shown_and_read_highest_store_weight_first(client, create_image,
                                                              registry, conf, tmp_path):
    conf.set_override('show_multiple_locations', True)
    conf.set_override('show_image_direct_url', True)
    # Uploaded to fast (weight 0), then copied to cold (weight 5).
    first = create_image(**RAW)
    assert _upload(client, first['id'], b'fast copy', store='fast').status_code == 204
    cold_copy = tmp_path / 'cold' / first['id']
    cold_copy.parent.mkdir(parents=True, exist_ok=True)
    cold_copy.write_bytes(b'cold copy')
    _add_copy_by_rpc(registry, first['id'], 'file://%s' % cold_copy, 'cold')
    shown = client.get('/v2/images/%s' % first['id'], headers=ALICE).get_json()
    assert shown['stores'] == 'cold,fast'
    assert [loc['metadata']['store'] for loc in shown['locations']] == ['cold', 'fast']
    assert shown['direct_url'] == 'file://%s' % cold_copy
    listed = client.get('/v2/images', headers=ALICE).get_json()['images']
    assert [i['stores'] for i in listed] == ['cold,fast']
    assert client.get('/v2/images/%s/file' % first['id'], headers=ALICE).data == \
        b'cold copy'

    # Uploaded to cold, then copied to fast: the newest copy is fast's, cold's is read.
    second = create_image(**RAW)
    assert _upload(client, second['id'], b'cold data', store='cold').status_code == 204
    fast_copy = tmp_path / 'fast' / ('copy-' + second['id'])
    fast_copy.write_bytes(b'fast data')
    _add_copy_by_rpc(registry, second['id'], 'file://%s' % fast_copy, 'fast')
    shown = client.get('/v2/images/%s' % second['id'], headers=ALICE).get_json()
    assert shown['stores'] == 'cold,fast'
    assert client.get('/v2/images/%s/file' % second['id'], headers=ALICE).data == \
        b'cold data'


def test_by_weight_is_a_stable_sort_highest_first():
    from api_service.stores import base
    from api_service.stores import catalog

    def store(store_id, weight):
        return base.Store(store_id=store_id, weight=weight)
    stores = catalog.StoreCatalog([store('a', 0), store('b', 7), store('c', 0),
                                   store('d', 7)], default='a')
    assert stores.by_weight(['a', 'b', 'c', 'd']) == ['b', 'd', 'a', 'c']
    assert stores.by_weight(['c', 'a', 'd', 'b']) == ['d', 'b', 'c', 'a']
    # A store this api does not know (or none) weighs 0.
    assert stores.by_weight(['gone', 'b', None]) == ['b', 'gone', None]
    found = [{'url': 'u1', 'store_id': 'a'}, {'url': 'u2', 'store_id': 'd'}]
    assert [loc['url'] for loc in stores.by_weight(found, lambda loc: loc['store_id'])] \
        == ['u2', 'u1']
