import hashlib
import io
import os

import pytest

from api_service.wsgi import app as app_module
from common import context
from common import exceptions
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB

OCTET = {'Content-Type': 'application/octet-stream'}


def put(client, image_id, data=b'', headers=ALICE, **kwargs):
    return client.put('/v2/images/%s/file' % image_id, data=data,
                      headers=dict(headers, **kwargs.pop('extra', OCTET)), **kwargs)


def status_of(client, image_id):
    return client.get('/v2/images/%s' % image_id, headers=ALICE).get_json()['status']


def files_in(datadir):
    return sorted(os.listdir(datadir)) if datadir.exists() else []


@pytest.fixture
def queued(create_image):
    return create_image(disk_format='raw', container_format='bare')


def test_upload_then_download_round_trip_with_checksums(client, queued, datadir):
    data = os.urandom(3 * 1024 * 1024 + 17)
    response = put(client, queued['id'], data)
    assert response.status_code == 204, response.get_json()

    image = client.get('/v2/images/%s' % queued['id'], headers=ALICE).get_json()
    assert image['status'] == 'active'
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()
    assert image['os_hash_algo'] == 'sha512'
    assert image['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert files_in(datadir) == [queued['id']]

    download = client.get('/v2/images/%s/file' % queued['id'], headers=ALICE)
    assert download.status_code == 200
    assert download.headers['Content-Type'] == 'application/octet-stream'
    assert int(download.headers['Content-Length']) == len(data)
    assert download.headers['Content-MD5'] == hashlib.md5(data).hexdigest()
    assert download.data == data


def test_chunked_upload_without_content_length(client, queued):
    data = b'chunky' * 100000
    response = client.put('/v2/images/%s/file' % queued['id'],
                          input_stream=io.BytesIO(data),
                          headers=dict(ALICE, **OCTET, **{'Transfer-Encoding': 'chunked'}))
    assert response.status_code == 204, response.get_json()
    image = client.get('/v2/images/%s' % queued['id'], headers=ALICE).get_json()
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()


def test_download_of_queued_image_is_204(client, queued):
    response = client.get('/v2/images/%s/file' % queued['id'], headers=ALICE)
    assert response.status_code == 204
    assert response.data == b''


def test_second_upload_is_409_and_keeps_the_first(client, queued):
    assert put(client, queued['id'], b'first').status_code == 204
    assert put(client, queued['id'], b'second').status_code == 409
    assert client.get('/v2/images/%s/file' % queued['id'], headers=ALICE).data == b'first'


def test_upload_with_wrong_content_type_is_415(client, queued):
    response = put(client, queued['id'], b'x', extra={'Content-Type': 'application/json'})
    assert response.status_code == 415
    assert status_of(client, queued['id']) == 'queued'


def test_upload_before_formats_are_set_is_400(client, create_image):
    image = create_image()
    assert put(client, image['id'], b'x').status_code == 400
    assert status_of(client, image['id']) == 'queued'


def test_upload_to_missing_image_is_404(client):
    assert put(client, '0b8ab0b4-1111-4111-8111-111111111111', b'x').status_code == 404


def test_upload_by_another_project_is_refused(client, create_image, datadir):
    private = create_image(disk_format='raw', container_format='bare', visibility='private')
    shared = create_image(disk_format='raw', container_format='bare')
    assert put(client, private['id'], b'x', headers=BOB).status_code == 404
    assert put(client, shared['id'], b'x', headers=BOB).status_code in (403, 404)
    assert files_in(datadir) == []


def test_upload_over_size_cap_while_streaming_is_413_and_leaves_image_queued(
        conf, registry, datadir):
    conf.set_override('image_size_cap', 1000)
    conf.set_override('filesystem_store_chunk_size', 4096, group='glance_store')
    client = app_module.create_app(conf, registry=registry).test_client()
    image = client.post('/v2/images', headers=ALICE,
                        json={'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    response = client.put('/v2/images/%s/file' % image['id'],
                          input_stream=io.BytesIO(b'z' * 5000),
                          headers=dict(ALICE, **OCTET, **{'Transfer-Encoding': 'chunked'}))
    assert response.status_code == 413
    assert status_of(client, image['id']) == 'queued'
    assert files_in(datadir) == []
    # The image is usable again: a small enough upload now works.
    assert put(client, image['id'], b'ok').status_code == 204


def test_content_length_over_size_cap_is_413_before_anything_starts(conf, registry):
    conf.set_override('image_size_cap', 10)
    client = app_module.create_app(conf, registry=registry).test_client()
    image = client.post('/v2/images', headers=ALICE,
                        json={'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    assert put(client, image['id'], b'x' * 11).status_code == 413
    assert status_of(client, image['id']) == 'queued'


def test_client_disconnect_mid_upload_leaves_image_queued_and_no_file(client, queued,
                                                                      datadir):
    # Content-Length promises 1 MiB but the body ends after 1000 bytes.
    response = client.put('/v2/images/%s/file' % queued['id'],
                          input_stream=io.BytesIO(b'a' * 1000), headers=dict(ALICE, **OCTET),
                          environ_overrides={'CONTENT_LENGTH': str(1 << 20)})
    assert response.status_code == 400
    assert status_of(client, queued['id']) == 'queued'
    assert files_in(datadir) == []


class _DeletesImageMidway(io.BytesIO):
    """A request body that deletes its own image (as an admin) on the second read."""

    def __init__(self, registry, image_id, data):
        super().__init__(data)
        self.registry, self.image_id, self.reads = registry, image_id, 0

    def read(self, size=-1):
        self.reads += 1
        if self.reads == 2:
            ctx = context.RequestContext(user_id='admin-user', project_id='admin-project',
                                         roles=['admin'], is_admin=True)
            self.registry.image_delete(ctx, image_id=self.image_id)
        return super().read(size)


def test_image_deleted_during_upload_is_410_and_data_removed(conf, registry, datadir):
    conf.set_override('filesystem_store_chunk_size', 4096, group='glance_store')
    client = app_module.create_app(conf, registry=registry).test_client()
    image = client.post('/v2/images', headers=ALICE,
                        json={'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    body = _DeletesImageMidway(registry, image['id'], b'd' * 10000)
    response = client.put('/v2/images/%s/file' % image['id'], input_stream=body,
                          headers=dict(ALICE, **OCTET, **{'Transfer-Encoding': 'chunked'}))
    assert response.status_code == 410
    assert files_in(datadir) == []


class _RegistryLosingFinish:
    """The registry, except that finish_upload never gets an answer."""

    def __init__(self, registry):
        self._registry = registry

    def __getattr__(self, name):
        return getattr(self._registry, name)

    def finish_upload(self, ctxt, **kwargs):
        raise exceptions.RegistryUnavailable()


def test_registry_timeout_at_finish_is_503_and_image_back_to_queued(conf, registry,
                                                                   datadir):
    client = app_module.create_app(conf, registry=_RegistryLosingFinish(registry)).test_client()
    image = client.post('/v2/images', headers=ALICE,
                        json={'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    assert put(client, image['id'], b'payload').status_code == 503
    assert status_of(client, image['id']) == 'queued'
    assert files_in(datadir) == []


def test_delete_removes_the_data(client, queued, datadir):
    assert put(client, queued['id'], b'bytes').status_code == 204
    assert files_in(datadir) == [queued['id']]
    assert client.delete('/v2/images/%s' % queued['id'], headers=ALICE).status_code == 204
    assert files_in(datadir) == []


def test_download_by_admin_of_another_projects_image(client, queued):
    assert put(client, queued['id'], b'shared bytes').status_code == 204
    response = client.get('/v2/images/%s/file' % queued['id'], headers=ADMIN)
    assert response.status_code == 200 and response.data == b'shared bytes'


def test_download_refuses_when_stored_size_differs_from_recorded(client, queued, datadir):
    assert put(client, queued['id'], b'0123456789').status_code == 204
    with open(datadir / queued['id'], 'ab') as f:
        f.write(b'extra')
    response = client.get('/v2/images/%s/file' % queued['id'], headers=ALICE)
    assert response.status_code == 500
    assert response.data.startswith(b'{')
