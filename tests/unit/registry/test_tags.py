"""Registry tags and property/tag quotas, on SQLite through the real migrations."""

import time

import pytest

from common import exceptions
from registry_service import images
from registry_service import tags
from tests.unit.registry.helpers import new_image

QUOTAS = {'image_property_quota': 2, 'image_tag_quota': 2}


def test_add_tag_returns_the_image_with_it_and_bumps_updated_at(db, alice):
    image = new_image(db, alice, tags=['a'])
    time.sleep(0.01)
    tagged = tags.add(db, alice, image['id'], 'b')
    assert tagged['tags'] == ['a', 'b']
    assert tagged['updated_at'] > image['updated_at']
    assert images.get(db, alice, image['id'])['tags'] == ['a', 'b']


def test_add_tag_is_idempotent(db, alice):
    image = new_image(db, alice)
    tags.add(db, alice, image['id'], 'x')
    assert tags.add(db, alice, image['id'], 'x')['tags'] == ['x']


@pytest.mark.parametrize('tag', ['', 't' * 256, 5, None])
def test_add_invalid_tag_is_invalid(db, alice, tag):
    image = new_image(db, alice)
    with pytest.raises(exceptions.Invalid):
        tags.add(db, alice, image['id'], tag)


def test_add_tag_over_quota_is_refused_but_an_existing_tag_is_still_fine(db, alice):
    image = new_image(db, alice, tags=['a', 'b'])
    with pytest.raises(exceptions.QuotaExceeded) as caught:
        tags.add(db, alice, image['id'], 'c', QUOTAS)
    assert 'Attempted: 3, Maximum: 2' in str(caught.value)
    assert tags.add(db, alice, image['id'], 'a', QUOTAS)['tags'] == ['a', 'b']
    assert images.get(db, alice, image['id'])['tags'] == ['a', 'b']


@pytest.mark.parametrize('quotas', [None, {}, {'image_tag_quota': -1}])
def test_missing_or_negative_tag_quota_means_unlimited(db, alice, quotas):
    image = new_image(db, alice, tags=['t%d' % i for i in range(5)])
    assert len(tags.add(db, alice, image['id'], 'more', quotas)['tags']) == 6


def test_delete_tag_removes_it_and_a_missing_tag_is_not_found(db, alice):
    image = new_image(db, alice, tags=['a', 'b'])
    assert tags.delete(db, alice, image['id'], 'a')['tags'] == ['b']
    with pytest.raises(exceptions.NotFound):
        tags.delete(db, alice, image['id'], 'a')
    assert images.get(db, alice, image['id'])['tags'] == ['b']


def test_tags_of_another_projects_image_are_out_of_reach(db, alice, bob, admin):
    private = new_image(db, alice, visibility='private', tags=['a'])
    public = new_image(db, admin, visibility='public', owner='project-a')
    with pytest.raises(exceptions.ImageNotFound):
        tags.add(db, bob, private['id'], 'b')
    with pytest.raises(exceptions.ImageNotFound):
        tags.delete(db, bob, private['id'], 'a')
    with pytest.raises(exceptions.Forbidden):
        tags.add(db, bob, public['id'], 'b')
    assert tags.add(db, admin, private['id'], 'by-admin')['tags'] == ['a', 'by-admin']


def test_create_over_property_or_tag_quota_is_refused(db, alice):
    with pytest.raises(exceptions.QuotaExceeded):
        images.create(db, alice, {'owner': 'project-a'}, {'a': '1', 'b': '2', 'c': '3'}, [],
                      QUOTAS)
    with pytest.raises(exceptions.QuotaExceeded):
        images.create(db, alice, {'owner': 'project-a'}, {}, ['a', 'b', 'c'], QUOTAS)
    image = images.create(db, alice, {'owner': 'project-a'}, {'a': '1', 'b': '2'},
                          ['a', 'b'], QUOTAS)
    assert len(image['properties']) == 2 and image['tags'] == ['a', 'b']


def test_update_adding_a_property_past_the_quota_is_refused_in_one_transaction(db, alice):
    image = new_image(db, alice, properties={'a': '1', 'b': '2'})
    changes = [{'op': 'replace', 'path': 'a', 'value': 'changed'},
               {'op': 'add', 'path': 'c', 'value': '3'}]
    with pytest.raises(exceptions.QuotaExceeded):
        images.update(db, alice, image['id'], changes, quotas=QUOTAS)
    assert images.get(db, alice, image['id'])['properties'] == {'a': '1', 'b': '2'}
    # Replacing one property by another keeps the count: allowed.
    swapped = images.update(db, alice, image['id'],
                            [{'op': 'remove', 'path': 'a'},
                             {'op': 'add', 'path': 'c', 'value': '3'}], quotas=QUOTAS)
    assert swapped['properties'] == {'b': '2', 'c': '3'}


def test_update_of_an_image_over_a_lowered_quota_may_still_shed_properties(db, alice):
    image = new_image(db, alice, properties={'a': '1', 'b': '2', 'c': '3'})
    updated = images.update(db, alice, image['id'], [
        {'op': 'remove', 'path': 'a'},
        {'op': 'replace', 'path': 'b', 'value': 'x'}], quotas=QUOTAS)
    assert updated['properties'] == {'b': 'x', 'c': '3'}


def test_update_setting_tags_past_the_quota_is_refused(db, alice):
    image = new_image(db, alice, tags=['a'])
    with pytest.raises(exceptions.QuotaExceeded):
        images.update(db, alice, image['id'],
                      [{'op': 'replace', 'path': 'tags', 'value': ['a', 'b', 'c']}],
                      quotas=QUOTAS)
    assert images.get(db, alice, image['id'])['tags'] == ['a']
