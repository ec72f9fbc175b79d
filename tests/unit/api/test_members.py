"""The members views and schema documents, through Flask's test client and the in-memory
registry."""

import re

import pytest

from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB
from tests.unit.api.conftest import make_conf

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
MEMBER_KEYS = {'created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at'}


def members_url(image_id, member_id=None):
    return '/v2/images/%s/members%s' % (image_id, '/' + member_id if member_id else '')


@pytest.fixture
def shared_id(create_image):
    return create_image(visibility='shared')['id']


def test_add_member_answers_200_with_upstreams_member_json(client, shared_id):
    response = client.post(members_url(shared_id), json={'member': 'project-b'},
                           headers=ALICE)
    assert response.status_code == 200
    member = response.get_json()
    assert set(member) == MEMBER_KEYS
    assert member['image_id'] == shared_id
    assert member['member_id'] == 'project-b'
    assert member['status'] == 'pending'
    assert member['schema'] == '/v2/schemas/member'
    assert TIMESTAMP.match(member['created_at']) and TIMESTAMP.match(member['updated_at'])


@pytest.mark.parametrize('body, message', [
    ({}, 'Member to be added not specified'),
    ({'member': ''}, "Member can't be empty"),
    ({'member': ['project-b']}, 'must be a string'),
    (['project-b'], 'Member to be added not specified'),
])
def test_bad_add_bodies_are_400(client, shared_id, body, message):
    response = client.post(members_url(shared_id), json=body, headers=ALICE)
    assert response.status_code == 400
    assert message in response.get_json()['error']['message']


def test_add_without_body_or_with_broken_json_is_400(client, shared_id):
    assert client.post(members_url(shared_id), headers=ALICE).status_code == 400
    response = client.post(members_url(shared_id), data='{"member": ', headers=dict(
        ALICE, **{'Content-Type': 'application/json'}))
    assert response.status_code == 400


def test_list_show_update_delete_round_trip(client, shared_id):
    client.post(members_url(shared_id), json={'member': 'project-b'}, headers=ALICE)
    listing = client.get(members_url(shared_id), headers=ALICE).get_json()
    assert listing['schema'] == '/v2/schemas/members'
    assert [m['member_id'] for m in listing['members']] == ['project-b']

    shown = client.get(members_url(shared_id, 'project-b'), headers=BOB)
    assert shown.status_code == 200 and shown.get_json()['status'] == 'pending'

    updated = client.put(members_url(shared_id, 'project-b'), json={'status': 'accepted'},
                         headers=BOB)
    assert updated.status_code == 200
    assert set(updated.get_json()) == MEMBER_KEYS
    assert updated.get_json()['status'] == 'accepted'

    deleted = client.delete(members_url(shared_id, 'project-b'), headers=ALICE)
    assert deleted.status_code == 204 and deleted.data == b''
    assert client.get(members_url(shared_id, 'project-b'), headers=ALICE).status_code == 404


@pytest.mark.parametrize('body', [{}, {'status': 'approved'}, {'status': None}, 'accepted'])
def test_bad_update_bodies_are_400(client, shared_id, body):
    client.post(members_url(shared_id), json={'member': 'project-b'}, headers=ALICE)
    response = client.put(members_url(shared_id, 'project-b'), json=body, headers=BOB)
    assert response.status_code == 400


def test_owner_cannot_accept_for_the_member(client, shared_id):
    client.post(members_url(shared_id), json={'member': 'project-b'}, headers=ALICE)
    response = client.put(members_url(shared_id, 'project-b'), json={'status': 'accepted'},
                          headers=ALICE)
    assert response.status_code == 403


def test_private_image_members_are_403(client, create_image):
    image_id = create_image(visibility='private')['id']
    response = client.post(members_url(image_id), json={'member': 'project-b'},
                           headers=ALICE)
    assert response.status_code == 403
    assert 'Only shared images have members.' in response.get_json()['error']['message']


def test_member_quota_answers_413(tmp_path, registry, create_image):
    # A second api with a quota of one member, in front of the same registry: the api
    # sends its limit with the call and the registry enforces it.
    conf = make_conf(tmp_path, image_member_quota=1)
    client = app_module.create_app(conf, registry=registry).test_client()
    image_id = create_image(visibility='shared')['id']
    assert client.post(members_url(image_id), json={'member': 'p1'},
                       headers=ALICE).status_code == 200
    response = client.post(members_url(image_id), json={'member': 'p2'}, headers=ALICE)
    assert response.status_code == 413


def test_member_schema_documents(client):
    member = client.get('/v2/schemas/member').get_json()
    assert member['name'] == 'member'
    assert set(member['properties']) == MEMBER_KEYS
    assert member['properties']['status']['enum'] == ['pending', 'accepted', 'rejected']
    members = client.get('/v2/schemas/members').get_json()
    assert members['name'] == 'members'
    assert members['properties']['members']['items'] == member
    assert members['links'] == [{'rel': 'describedby', 'href': '{schema}'}]
