"""Image sharing over real HTTP, RPC and databases: members, their statuses, and what each
project can see and list because of them."""

import re
import uuid

import pytest

from tests import db_backends
from tests.functional import daemons
from tests.functional.http_api import ImagesApi

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
MEMBER_KEYS = {'created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at'}


def new_project_api(service):
    return ImagesApi(service.base_url, f'project-{uuid.uuid4().hex[:12]}')


@pytest.fixture
def bob(glance_service):
    api = new_project_api(glance_service)
    yield api
    api.session.close()


@pytest.fixture
def carol(glance_service):
    api = new_project_api(glance_service)
    yield api
    api.session.close()


@pytest.fixture
def admin(glance_service):
    api = ImagesApi(glance_service.base_url, 'admin-project', roles='admin,member,reader')
    yield api
    api.session.close()


def add_member(api, image_id, member_id):
    return api.request('POST', f'/v2/images/{image_id}/members', json={'member': member_id})


def list_members(api, image_id):
    return api.request('GET', f'/v2/images/{image_id}/members')


def get_member(api, image_id, member_id):
    return api.request('GET', f'/v2/images/{image_id}/members/{member_id}')


def set_status(api, image_id, member_id, status):
    return api.request('PUT', f'/v2/images/{image_id}/members/{member_id}',
                       json={'status': status})


def remove_member(api, image_id, member_id):
    return api.request('DELETE', f'/v2/images/{image_id}/members/{member_id}')


def listed_ids(api, **params):
    resp = api.list(limit=1000, **params)
    assert resp.status_code == 200, resp.text
    return {image['id'] for image in resp.json()['images']}


@pytest.fixture
def shared_image(images):
    image = images.create_ok(name='to-share', visibility='shared')
    assert images.upload(image['id'], b'shared bytes').status_code == 204
    return image


@pytest.fixture
def shared_with_bob(images, bob, shared_image):
    assert add_member(images, shared_image['id'], bob.project_id).status_code == 200
    return shared_image


# -- adding, showing, changing and removing members -----------------------------------------

def test_add_member_returns_200_and_a_pending_member(images, bob, shared_image):
    resp = add_member(images, shared_image['id'], bob.project_id)

    assert resp.status_code == 200
    member = resp.json()
    assert set(member) == MEMBER_KEYS
    assert member['image_id'] == shared_image['id']
    assert member['member_id'] == bob.project_id
    assert member['status'] == 'pending'
    assert member['schema'] == '/v2/schemas/member'
    assert TIMESTAMP.match(member['created_at']) and TIMESTAMP.match(member['updated_at'])


def test_owner_lists_every_member_a_member_only_itself(images, bob, carol, shared_with_bob):
    image_id = shared_with_bob['id']
    assert add_member(images, image_id, carol.project_id).status_code == 200

    owner_view = list_members(images, image_id)
    assert owner_view.status_code == 200
    assert owner_view.json()['schema'] == '/v2/schemas/members'
    assert sorted(m['member_id'] for m in owner_view.json()['members']) == sorted(
        [bob.project_id, carol.project_id])

    bob_view = list_members(bob, image_id).json()['members']
    assert [m['member_id'] for m in bob_view] == [bob.project_id]
    assert get_member(bob, image_id, bob.project_id).json()['status'] == 'pending'
    assert get_member(bob, image_id, carol.project_id).status_code == 404
    assert get_member(images, image_id, carol.project_id).status_code == 200


def test_duplicate_member_is_409(images, bob, shared_with_bob):
    assert add_member(images, shared_with_bob['id'], bob.project_id).status_code == 409


@pytest.mark.parametrize('visibility', ['private', 'community'])
def test_only_shared_images_have_members(images, bob, visibility):
    image = images.create_ok(visibility=visibility)

    resp = add_member(images, image['id'], bob.project_id)

    assert resp.status_code == 403
    assert 'Only shared images have members.' in resp.json()['error']['message']
    assert list_members(images, image['id']).status_code == 403


def test_public_image_has_no_members_either(admin, bob):
    image = admin.create_ok(visibility='public')
    try:
        assert add_member(admin, image['id'], bob.project_id).status_code == 403
    finally:
        admin.delete(image['id'])


def test_member_accepts_and_rejects_but_the_owner_cannot(images, bob, shared_with_bob):
    image_id = shared_with_bob['id']

    assert set_status(images, image_id, bob.project_id, 'accepted').status_code == 403
    accepted = set_status(bob, image_id, bob.project_id, 'accepted')
    assert accepted.status_code == 200
    assert set(accepted.json()) == MEMBER_KEYS
    assert accepted.json()['status'] == 'accepted'
    assert get_member(images, image_id, bob.project_id).json()['status'] == 'accepted'

    assert set_status(bob, image_id, bob.project_id, 'rejected').json()['status'] == 'rejected'
    assert set_status(bob, image_id, bob.project_id, 'pending').json()['status'] == 'pending'


def test_admin_may_change_a_members_status(admin, bob, shared_with_bob):
    resp = set_status(admin, shared_with_bob['id'], bob.project_id, 'accepted')
    assert resp.status_code == 200 and resp.json()['status'] == 'accepted'


@pytest.mark.parametrize('body', [{'status': 'approved'}, {'status': ''}, {}, ['accepted']])
def test_bad_status_bodies_are_400(bob, shared_with_bob, body):
    resp = bob.request('PUT', f'/v2/images/{shared_with_bob["id"]}/members/{bob.project_id}',
                       json=body)
    assert resp.status_code == 400


@pytest.mark.parametrize('body', [{}, {'member': ''}, {'member': 42}, 'project'])
def test_bad_add_bodies_are_400(images, shared_image, body):
    resp = images.request('POST', f'/v2/images/{shared_image["id"]}/members', json=body)
    assert resp.status_code == 400


def test_a_member_cannot_add_or_remove_members(images, bob, carol, shared_with_bob):
    image_id = shared_with_bob['id']
    assert add_member(bob, image_id, carol.project_id).status_code == 403
    assert remove_member(bob, image_id, bob.project_id).status_code == 403
    assert get_member(images, image_id, bob.project_id).status_code == 200


def test_removed_member_loses_the_image(images, bob, shared_with_bob):
    image_id = shared_with_bob['id']
    set_status(bob, image_id, bob.project_id, 'accepted')
    assert image_id in listed_ids(bob)

    resp = remove_member(images, image_id, bob.project_id)

    assert resp.status_code == 204 and resp.content == b''
    assert get_member(images, image_id, bob.project_id).status_code == 404
    assert bob.show(image_id).status_code == 404
    assert image_id not in listed_ids(bob)
    assert remove_member(images, image_id, bob.project_id).status_code == 404


def test_strangers_get_404_from_every_member_call(images, bob, carol, shared_with_bob):
    image_id = shared_with_bob['id']
    for resp in (list_members(carol, image_id), get_member(carol, image_id, bob.project_id),
                 add_member(carol, image_id, carol.project_id),
                 set_status(carol, image_id, bob.project_id, 'accepted'),
                 remove_member(carol, image_id, bob.project_id)):
        assert resp.status_code == 404, resp.text
    assert get_member(images, image_id, bob.project_id).json()['status'] == 'pending'


# -- what members see ----------------------------------------------------------------------

@pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
def test_a_member_shows_and_downloads_whatever_its_status(bob, shared_with_bob, status):
    image_id = shared_with_bob['id']
    if status != 'pending':
        assert set_status(bob, image_id, bob.project_id, status).status_code == 200

    assert bob.show(image_id).status_code == 200
    assert bob.download(image_id).content == b'shared bytes'


def test_member_cannot_change_or_delete_the_image(images, bob, shared_with_bob):
    image_id = shared_with_bob['id']
    set_status(bob, image_id, bob.project_id, 'accepted')

    resp = bob.patch(image_id, [{'op': 'replace', 'path': '/name', 'value': 'mine'}])
    assert resp.status_code == 403
    assert bob.delete(image_id).status_code == 403
    assert images.show(image_id).json()['name'] == 'to-share'


def test_member_status_decides_the_members_listing(images, bob):
    ids = {}
    for status in ('pending', 'accepted', 'rejected'):
        image = images.create_ok(name=status, visibility='shared')
        ids[status] = image['id']
        assert add_member(images, image['id'], bob.project_id).status_code == 200
        if status != 'pending':
            assert set_status(bob, image['id'], bob.project_id, status).status_code == 200

    assert listed_ids(bob) == {ids['accepted']}
    assert listed_ids(bob, member_status='accepted') == {ids['accepted']}
    assert listed_ids(bob, member_status='pending') == {ids['pending']}
    assert listed_ids(bob, member_status='rejected') == {ids['rejected']}
    assert listed_ids(bob, member_status='all') == set(ids.values())
    assert listed_ids(bob, visibility='shared', member_status='all') == set(ids.values())
    assert listed_ids(bob, visibility='shared', member_status='pending') == {ids['pending']}
    # The owner's listing ignores what members answered.
    assert listed_ids(images) == set(ids.values())
    assert listed_ids(images, visibility='shared') == set(ids.values())


def test_unknown_member_status_is_400(bob):
    assert bob.list(member_status='maybe').status_code == 400


def test_community_images_are_readable_by_all_but_listed_on_request(images, bob):
    image = images.create_ok(name='for-everyone', visibility='community')

    assert bob.show(image['id']).status_code == 200
    assert image['id'] in listed_ids(images)
    assert image['id'] not in listed_ids(bob)
    assert image['id'] in listed_ids(bob, visibility='community')
    assert image['id'] in listed_ids(bob, visibility='all')
    assert add_member(images, image['id'], bob.project_id).status_code == 403


def test_member_schema_documents(images):
    member = images.request('GET', '/v2/schemas/member')
    members = images.request('GET', '/v2/schemas/members')

    assert member.status_code == 200 and members.status_code == 200
    assert member.json()['name'] == 'member'
    assert set(member.json()['properties']) == MEMBER_KEYS
    assert member.json()['properties']['status']['enum'] == ['pending', 'accepted',
                                                             'rejected']
    assert members.json()['name'] == 'members'
    assert members.json()['properties']['members']['items'] == member.json()


# -- isolation -----------------------------------------------------------------------------

def test_a_private_image_does_not_exist_for_another_project(images, bob):
    image = images.create_ok(name='secret', visibility='private')
    assert images.upload(image['id'], b'private bytes').status_code == 204
    image_id = image['id']

    assert bob.show(image_id).status_code == 404
    assert image_id not in listed_ids(bob)
    assert image_id not in listed_ids(bob, visibility='all', member_status='all')
    download = bob.download(image_id)
    assert download.status_code == 404 and b'private bytes' not in download.content
    assert bob.patch(image_id, [{'op': 'replace', 'path': '/name', 'value': 'x'}]
                     ).status_code == 404
    assert bob.delete(image_id).status_code == 404
    assert list_members(bob, image_id).status_code == 404
    assert get_member(bob, image_id, bob.project_id).status_code == 404
    assert add_member(bob, image_id, bob.project_id).status_code == 404
    # Nothing changed for the owner.
    assert images.show(image_id).json()['name'] == 'secret'
    assert images.download(image_id).content == b'private bytes'


# -- quota ---------------------------------------------------------------------------------

MEMBER_QUOTA = 2


@pytest.fixture(scope='module', params=db_backends.BACKENDS, ids=list(db_backends.BACKENDS))
def quota_service(request, tmp_path_factory):
    """A service of its own whose api allows only MEMBER_QUOTA members per image."""
    with daemons.private_service(
            tmp_path_factory.mktemp(f'member-quota-{request.param}'), request.param,
            name=f'member-quota-{request.param}',
            extra_api_options={'DEFAULT': {'image_member_quota': MEMBER_QUOTA}}) as service:
        yield service


def test_member_quota_answers_413(quota_service):
    owner = new_project_api(quota_service)
    image = owner.create_ok(visibility='shared')
    for i in range(MEMBER_QUOTA):
        assert add_member(owner, image['id'], f'member-{i}').status_code == 200

    resp = add_member(owner, image['id'], 'one-too-many')

    assert resp.status_code == 413
    assert len(list_members(owner, image['id']).json()['members']) == MEMBER_QUOTA
    # Removing one makes room again.
    assert remove_member(owner, image['id'], 'member-0').status_code == 204
    assert add_member(owner, image['id'], 'one-too-many').status_code == 200
