"""DELETE /v2/images/{id}: delayed delete keeps the data for glance-scrubber; data a store
could not remove is recorded for it (api_service/services/deletion.py)."""

import os

import pytest

from api_service.services import deletion
from api_service.wsgi import app as app_module
from common import context
from common.rpc import client as rpc_client
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

OCTET = {'Content-Type': 'application/octet-stream'}
SCRUBBER = context.RequestContext(user_id='scrubber', project_id=None, is_admin=True)


def files_in(datadir):
    return sorted(os.listdir(datadir)) if datadir.exists() else []


def active_image(client, create_image, data=b'bytes'):
    image = create_image(disk_format='raw', container_format='bare')
    response = client.put('/v2/images/%s/file' % image['id'], data=data,
                          headers=dict(ALICE, **OCTET))
    assert response.status_code == 204
    return image


@pytest.fixture
def delayed_client(tmp_path, registry):
    conf = make_conf(tmp_path, delayed_delete=True)
    return app_module.create_app(conf, registry=registry).test_client()


def test_delayed_delete_keeps_the_data_and_hides_the_image(delayed_client, registry, datadir):
    image = delayed_client.post('/v2/images', headers=ALICE, json={
        'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    assert delayed_client.put('/v2/images/%s/file' % image['id'], data=b'bytes',
                              headers=dict(ALICE, **OCTET)).status_code == 204
    assert delayed_client.delete('/v2/images/%s' % image['id'],
                                 headers=ALICE).status_code == 204
    assert files_in(datadir) == [image['id']]
    assert delayed_client.get('/v2/images/%s' % image['id'], headers=ALICE).status_code == 404
    assert delayed_client.get('/v2/images', headers=ADMIN).get_json()['images'] == []
    assert delayed_client.delete('/v2/images/%s' % image['id'],
                                 headers=ALICE).status_code == 404
    [queued] = registry.scrub_claim(SCRUBBER, scrub_time=0, limit=10, claim_seconds=60)
    assert (queued['image_id'], queued['image_status']) == (image['id'], 'pending_delete')


def test_delayed_delete_of_an_image_without_data_deletes_it(delayed_client, registry):
    image = delayed_client.post('/v2/images', headers=ALICE, json={}).get_json()
    assert delayed_client.delete('/v2/images/%s' % image['id'],
                                 headers=ALICE).status_code == 204
    assert registry.scrub_claim(SCRUBBER, scrub_time=0, limit=10, claim_seconds=60) == []


def test_data_a_store_could_not_remove_is_recorded(client, create_image, registry, datadir,
                                                   monkeypatch, caplog):
    image = active_image(client, create_image)

    def refuse(self, uri):
        raise PermissionError(13, 'Permission denied', uri)

    monkeypatch.setattr('api_service.stores.filesystem.FilesystemStore.delete', refuse)
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert files_in(datadir) == [image['id']]
    assert 'glance-scrubber will retry it' in caplog.text
    [left] = registry.scrub_claim(SCRUBBER, scrub_time=3600, limit=10, claim_seconds=60)
    assert (left['image_id'], left['image_status'], left['attempts']) == (
        image['id'], 'deleted', 1)


def test_a_failed_record_does_not_fail_the_delete(client, create_image, registry,
                                                  monkeypatch, caplog):
    image = active_image(client, create_image)
    monkeypatch.setattr('api_service.stores.filesystem.FilesystemStore.delete',
                        lambda self, uri: (_ for _ in ()).throw(OSError('store down')))

    def registry_gone(*args, **kwargs):
        raise RuntimeError('registry gone')

    monkeypatch.setattr(registry, 'image_data_left', registry_gone)
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert 'remove it by hand' in caplog.text


def test_remove_data_takes_data_already_gone_as_removed(conf, datadir):
    from api_service.stores import catalog
    stores = catalog.from_config(conf)
    deletion.remove_data(stores, 'file://%s/not-there' % datadir)


@pytest.mark.real_registry
def test_an_api_capped_below_1_6_deletes_the_data_at_once(conf, registry, client,
                                                          create_image, tmp_path, datadir):
    # During a rolling upgrade ([registry] version_cap = 1.5) delayed is not sent: the
    # registry deletes the image outright, its answer has no data_queued, and the api
    # removes the data itself rather than leave it to a scrubber nobody will ask.
    capped = make_conf(tmp_path, registry__version_cap='1.5', delayed_delete=True,
                       registry__topic=conf.registry.topic)
    capped_registry = rpc_client.RegistryClient(capped, transport=registry._transport)
    old_api = app_module.create_app(capped, registry=capped_registry).test_client()
    image = active_image(client, create_image)
    assert old_api.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    assert files_in(datadir) == []
    assert registry.scrub_claim(SCRUBBER, scrub_time=0, limit=10, claim_seconds=60) == []
