"""The api over a store that is not the filesystem: a store without random access or files
(the shape of an object store) serves downloads as an iterator, ranges by skipping, and
records its backend id with the location; a read-only store refuses uploads with 410."""

import hashlib

import pytest

from api_service.stores import base
from api_service.stores import catalog
from api_service.wsgi import app as app_module
from common import context
from tests.unit.api.conftest import ALICE
from tests.unit.stores import memory_store

OCTET = {'Content-Type': 'application/octet-stream'}
DATA = bytes(range(256)) * 40


@pytest.fixture
def store():
    return memory_store.MemoryStore('objects', chunk_size=1000)


@pytest.fixture
def client(conf, registry, store):
    app = app_module.create_app(conf, registry=registry,
                                stores=catalog.StoreCatalog([store], default='objects'))
    return app.test_client()


@pytest.fixture
def uploaded(client, create_image, store):
    image = create_image(disk_format='raw', container_format='bare')
    response = client.put('/v2/images/%s/file' % image['id'], data=DATA,
                          headers=dict(ALICE, **OCTET))
    assert response.status_code == 204, response.get_json()
    return image


def test_upload_hashes_in_the_pipeline_and_records_the_store(client, uploaded, store,
                                                             registry):
    shown = client.get('/v2/images/%s' % uploaded['id'], headers=ALICE).get_json()
    assert shown['checksum'] == hashlib.md5(DATA).hexdigest()
    assert shown['os_hash_value'] == hashlib.sha512(DATA).hexdigest()
    assert list(store.objects.values()) == [DATA]
    admin = context.RequestContext(project_id='admin-project', is_admin=True)
    internal = registry.image_get(admin, image_id=uploaded['id'], internal=True)
    assert internal['store_id'] == 'objects'


def test_download_is_streamed_from_get(client, uploaded):
    response = client.get('/v2/images/%s/file' % uploaded['id'], headers=ALICE)
    assert response.status_code == 200 and response.data == DATA
    assert response.headers['Content-Length'] == str(len(DATA))


@pytest.mark.parametrize('header,first,last', [('bytes=0-9', 0, 9),
                                               ('bytes=2500-4999', 2500, 4999),
                                               ('bytes=-7', len(DATA) - 7, len(DATA) - 1)])
def test_ranges_without_random_access_are_read_by_skipping(client, uploaded, store, header,
                                                           first, last):
    response = client.get('/v2/images/%s/file' % uploaded['id'],
                          headers=dict(ALICE, Range=header))
    assert response.status_code == 206
    assert response.data == DATA[first:last + 1]
    assert response.headers['Content-Range'] == 'bytes %d-%d/%d' % (first, last, len(DATA))
    # Never asked for an offset it cannot serve (MemoryStore asserts it).
    assert all(offset == 0 for _, offset, _ in store.gets)


def test_delete_removes_the_data_from_its_store(client, uploaded, store):
    assert client.delete('/v2/images/%s' % uploaded['id'], headers=ALICE).status_code == 204
    assert store.objects == {}


def test_a_read_only_store_refuses_uploads_with_410(client, create_image, store,
                                                    monkeypatch):
    monkeypatch.setattr(store, 'capabilities', store.capabilities & ~base.Capability.WRITE)
    image = create_image(disk_format='raw', container_format='bare')
    response = client.put('/v2/images/%s/file' % image['id'], data=b'x',
                          headers=dict(ALICE, **OCTET))
    assert response.status_code == 410
    assert 'objects' in response.get_data(as_text=True)
    # Refused before the image moved to saving.
    shown = client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()
    assert shown['status'] == 'queued'
