"""image_size_cap, user_storage_quota and list page limits, on a service with small limits.

The service runs with ``image_size_cap = 4000``, ``user_storage_quota = 3KB`` (3072 bytes)
and list limits of 3 by default, 5 at most, on each database backend.
"""

import uuid

import pytest

from tests import db_backends
from tests.functional import daemons
from tests.functional.http_api import ImagesApi

SIZE_CAP = 4000
QUOTA = 3 * 1024
LIMITS = {'image_size_cap': str(SIZE_CAP), 'user_storage_quota': '3KB',
          'limit_param_default': '3', 'api_limit_max': '5'}


@pytest.fixture(scope='module', params=db_backends.BACKENDS, ids=list(db_backends.BACKENDS))
def small_service(request, tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp(f'quota-{request.param}'),
                                 request.param, name=f'quota-{request.param}',
                                 extra_api_options={'DEFAULT': LIMITS}) as service:
        yield service


@pytest.fixture
def api(small_service):
    client = ImagesApi(small_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield client
    client.session.close()


def _chunks(data, size=256):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _files(service):
    return sorted(p.name for p in service.datadir.rglob('*') if p.is_file())


def _assert_queued_and_empty(api, service, image_id, files_before):
    shown = api.show(image_id).json()
    assert shown['status'] == 'queued'
    assert shown['size'] is None
    assert _files(service) == files_before


@pytest.mark.parametrize('how', ['content-length', 'size-header'])
def test_size_cap_refuses_a_known_size_before_storing(api, small_service, how):
    image = api.create_ok(name='too-big')
    before = _files(small_service)
    data = b'x' * (SIZE_CAP + 1)
    if how == 'content-length':
        resp = api.upload(image['id'], data)
    else:
        resp = api.upload(image['id'], _chunks(data),
                          headers={'x-openstack-image-size': str(len(data))})

    assert resp.status_code == 413, resp.text
    _assert_queued_and_empty(api, small_service, image['id'], before)


def test_size_cap_stops_a_chunked_upload_while_streaming(api, small_service):
    image = api.create_ok(name='too-big-chunked')
    before = _files(small_service)

    resp = api.upload(image['id'], _chunks(b'x' * (SIZE_CAP + 1)))

    assert resp.status_code == 413, resp.text
    _assert_queued_and_empty(api, small_service, image['id'], before)


def test_storage_quota_counts_the_projects_stored_bytes(api, small_service):
    first = api.create_ok(name='first')
    assert api.upload(first['id'], b'a' * 2000).status_code == 204
    before = _files(small_service)

    # Known size: refused before any byte is stored.
    second = api.create_ok(name='second')
    resp = api.upload(second['id'], b'b' * 1100)
    assert resp.status_code == 413, resp.text
    _assert_queued_and_empty(api, small_service, second['id'], before)

    # Unknown size (chunked): stopped once it passes what is left (1072 bytes).
    resp = api.upload(second['id'], _chunks(b'b' * 1100))
    assert resp.status_code == 413, resp.text
    _assert_queued_and_empty(api, small_service, second['id'], before)

    # What fits is accepted, up to the byte.
    assert api.upload(second['id'], _chunks(b'b' * (QUOTA - 2000))).status_code == 204

    # Full: even an upload of unknown size is refused at once.
    third = api.create_ok(name='third')
    assert api.upload(third['id'], _chunks(b'c')).status_code == 413
    _assert_queued_and_empty(api, small_service, third['id'], _files(small_service))

    # Deleting an image gives its bytes back.
    assert api.delete(first['id']).status_code == 204
    assert api.upload(third['id'], b'c' * 2000).status_code == 204


def test_storage_quota_is_per_project(api, small_service):
    other = ImagesApi(small_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    try:
        mine = api.create_ok(name='mine')
        assert api.upload(mine['id'], b'm' * 3000).status_code == 204
        theirs = other.create_ok(name='theirs')
        assert other.upload(theirs['id'], b't' * 3000).status_code == 204
    finally:
        other.session.close()


def test_list_limit_defaults_and_is_capped(api):
    for i in range(7):
        api.create_ok(name=f'n{i}')
    default = api.list(owner=api.project_id).json()
    assert len(default['images']) == 3
    assert 'next' in default
    capped = api.list(owner=api.project_id, limit=100).json()
    assert len(capped['images']) == 5
    assert len(api.list(owner=api.project_id, limit=0).json()['images']) == 0
