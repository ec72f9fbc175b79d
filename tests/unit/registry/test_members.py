"""Image members and the visibility rules they bring, on the real migrated database."""

import pytest
import sqlalchemy as sa

from common import exceptions
from registry_service import access
from registry_service import images
from registry_service import members
from registry_service.db import models
from tests.unit.registry.conftest import make_context
from tests.unit.registry.helpers import new_image


@pytest.fixture
def carol():
    return make_context('project-c')


@pytest.fixture
def shared(db, alice):
    return new_image(db, alice, name='a-shared', visibility='shared')


def listed_names(db, ctxt, visibility=None, member_status='accepted'):
    """Names the listing's visibility clause lets ``ctxt`` see, sorted."""
    with db.read() as session:
        query = (sa.select(models.Image.name)
                 .where(models.Image.deleted == sa.false(),
                        access.list_clause(ctxt, visibility, member_status))
                 .order_by(models.Image.name))
        return list(session.execute(query).scalars())


def test_create_returns_a_pending_member_in_the_contract_shape(db, alice, shared):
    member = members.create(db, alice, shared['id'], 'project-b')
    assert set(member) == {'image_id', 'member_id', 'status', 'created_at', 'updated_at'}
    assert member['image_id'] == shared['id']
    assert member['member_id'] == 'project-b'
    assert member['status'] == 'pending'
    assert member['created_at'].endswith('Z') and member['created_at'] == member['updated_at']


@pytest.mark.parametrize('visibility', ['private', 'public', 'community'])
def test_only_shared_images_have_members(db, alice, admin, visibility):
    image = new_image(db, alice, visibility=visibility)
    for ctxt in (alice, admin):
        with pytest.raises(exceptions.Forbidden, match='Only shared images have members'):
            members.create(db, ctxt, image['id'], 'project-b')
    with pytest.raises(exceptions.Forbidden, match='Only shared images have members'):
        members.list_members(db, alice, image['id'])


def test_duplicate_member_is_a_conflict(db, alice, shared):
    members.create(db, alice, shared['id'], 'project-b')
    with pytest.raises(exceptions.Duplicate):
        members.create(db, alice, shared['id'], 'project-b')


def test_member_quota_counts_existing_members(db, alice, shared):
    quotas = {'image_member_quota': 2}
    members.create(db, alice, shared['id'], 'p1', quotas)
    members.create(db, alice, shared['id'], 'p2', quotas)
    with pytest.raises(exceptions.QuotaExceeded):
        members.create(db, alice, shared['id'], 'p3', quotas)
    # A negative quota is unlimited.
    members.create(db, alice, shared['id'], 'p3', {'image_member_quota': -1})
    assert len(members.list_members(db, alice, shared['id'])) == 3


@pytest.mark.parametrize('member_id', ['', None, 7, 'x' * 256])
def test_member_id_must_be_a_non_empty_short_string(db, alice, shared, member_id):
    with pytest.raises(exceptions.Invalid):
        members.create(db, alice, shared['id'], member_id)


def test_only_the_owner_or_admin_adds_and_removes_members(db, alice, bob, admin, shared):
    members.create(db, alice, shared['id'], 'project-b')
    # bob is a member, so he sees the image, but he may not add or remove anyone.
    with pytest.raises(exceptions.Forbidden):
        members.create(db, bob, shared['id'], 'project-z')
    with pytest.raises(exceptions.Forbidden):
        members.delete(db, bob, shared['id'], 'project-b')
    assert members.create(db, admin, shared['id'], 'project-z')['member_id'] == 'project-z'
    assert members.delete(db, admin, shared['id'], 'project-z')['member_id'] == 'project-z'
    removed = members.delete(db, alice, shared['id'], 'project-b')
    assert removed['member_id'] == 'project-b'
    assert members.list_members(db, alice, shared['id']) == []


def test_owner_sees_every_member_a_member_only_itself(db, alice, bob, carol, shared):
    for project in ('project-b', 'project-c', 'project-d'):
        members.create(db, alice, shared['id'], project)
    assert [m['member_id'] for m in members.list_members(db, alice, shared['id'])] == [
        'project-b', 'project-c', 'project-d']
    assert [m['member_id'] for m in members.list_members(db, bob, shared['id'])] == [
        'project-b']
    assert members.get(db, bob, shared['id'], 'project-b')['member_id'] == 'project-b'
    with pytest.raises(exceptions.NotFound):
        members.get(db, bob, shared['id'], 'project-c')
    assert members.get(db, alice, shared['id'], 'project-c')['member_id'] == 'project-c'


def test_strangers_get_not_found_for_every_member_call(db, alice, carol, shared):
    members.create(db, alice, shared['id'], 'project-b')
    calls = [
        lambda: members.list_members(db, carol, shared['id']),
        lambda: members.get(db, carol, shared['id'], 'project-b'),
        lambda: members.create(db, carol, shared['id'], 'project-c'),
        lambda: members.update(db, carol, shared['id'], 'project-b', 'accepted'),
        lambda: members.delete(db, carol, shared['id'], 'project-b'),
    ]
    for call in calls:
        with pytest.raises(exceptions.ImageNotFound):
            call()


def test_get_of_a_member_of_a_non_shared_image_is_not_found(db, alice):
    image = new_image(db, alice, visibility='private')
    with pytest.raises(exceptions.NotFound):
        members.get(db, alice, image['id'], 'project-b')


def test_only_the_member_or_admin_changes_the_status(db, alice, bob, admin, shared):
    members.create(db, alice, shared['id'], 'project-b')
    with pytest.raises(exceptions.Forbidden):
        members.update(db, alice, shared['id'], 'project-b', 'accepted')
    accepted = members.update(db, bob, shared['id'], 'project-b', 'accepted')
    assert accepted['status'] == 'accepted'
    assert accepted['updated_at'] >= accepted['created_at']
    assert members.update(db, admin, shared['id'], 'project-b', 'rejected')['status'] == (
        'rejected')
    assert members.get(db, alice, shared['id'], 'project-b')['status'] == 'rejected'


def test_a_member_cannot_touch_another_membership(db, alice, bob, shared):
    members.create(db, alice, shared['id'], 'project-b')
    members.create(db, alice, shared['id'], 'project-c')
    with pytest.raises(exceptions.NotFound):
        members.update(db, bob, shared['id'], 'project-c', 'accepted')


@pytest.mark.parametrize('status', ['approved', '', None, 'ACCEPTED'])
def test_unknown_status_is_invalid(db, alice, bob, shared, status):
    members.create(db, alice, shared['id'], 'project-b')
    with pytest.raises(exceptions.Invalid):
        members.update(db, bob, shared['id'], 'project-b', status)


def test_update_or_delete_of_a_missing_member_is_not_found(db, alice, shared):
    with pytest.raises(exceptions.NotFound):
        members.update(db, alice, shared['id'], 'project-b', 'accepted')
    with pytest.raises(exceptions.NotFound):
        members.delete(db, alice, shared['id'], 'project-b')


def test_a_shared_image_is_visible_to_members_whatever_their_status(db, alice, bob, carol,
                                                                     shared):
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, bob, shared['id'])
    members.create(db, alice, shared['id'], 'project-b')
    for status in ('pending', 'rejected', 'accepted'):
        if status != 'pending':
            members.update(db, bob, shared['id'], 'project-b', status)
        assert images.get(db, bob, shared['id'])['id'] == shared['id']
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, carol, shared['id'])


def test_members_of_a_private_image_do_not_see_it(db, alice, bob, shared):
    members.create(db, alice, shared['id'], 'project-b')
    images.update(db, alice, shared['id'],
                  [{'op': 'replace', 'path': 'visibility', 'value': 'private'}])
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, bob, shared['id'])
    assert listed_names(db, bob, member_status='all') == []


@pytest.mark.parametrize('member_status, listed', [
    ('accepted', ['accepted-one']),
    ('pending', ['pending-one']),
    ('rejected', ['rejected-one']),
    ('all', ['accepted-one', 'pending-one', 'rejected-one']),
])
def test_member_listing_follows_member_status(db, alice, bob, member_status, listed):
    for status in ('pending', 'accepted', 'rejected'):
        image = new_image(db, alice, name='%s-one' % status, visibility='shared')
        members.create(db, alice, image['id'], 'project-b')
        if status != 'pending':
            members.update(db, bob, image['id'], 'project-b', status)
    assert listed_names(db, bob, member_status=member_status) == listed
    assert listed_names(db, bob, 'shared', member_status) == listed
    # The owner's listing does not depend on any member's answer.
    assert listed_names(db, alice, member_status=member_status) == [
        'accepted-one', 'pending-one', 'rejected-one']


def test_default_member_status_is_accepted(db, alice, bob, shared):
    members.create(db, alice, shared['id'], 'project-b')
    assert listed_names(db, bob, member_status=None) == []
    members.update(db, bob, shared['id'], 'project-b', 'accepted')
    assert listed_names(db, bob, member_status=None) == ['a-shared']


def test_unknown_member_status_filter_is_invalid(db, bob):
    with pytest.raises(exceptions.InvalidFilter):
        listed_names(db, bob, member_status='maybe')


def test_community_images_are_listed_for_owner_or_on_request(db, alice, bob):
    new_image(db, alice, name='a-community', visibility='community')
    assert listed_names(db, alice) == ['a-community']
    assert listed_names(db, bob) == []
    assert listed_names(db, bob, 'community') == ['a-community']
    assert listed_names(db, bob, 'all') == ['a-community']


def test_removing_the_image_row_removes_its_memberships(db, alice, shared):
    members.create(db, alice, shared['id'], 'project-b')
    with db.write() as session:
        session.execute(sa.delete(models.Image).where(models.Image.id == shared['id']))
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(
            models.ImageMember)).scalar() == 0
