import re
import uuid

import pytest

from common import exceptions
from registry_service import images
from registry_service import uploads
from tests.unit.registry.helpers import new_image

ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
CONTRACT_KEYS = {
    'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
    'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size', 'container_format',
    'disk_format', 'min_ram', 'min_disk', 'created_at', 'updated_at', 'deleted_at', 'deleted',
    'tags', 'properties', 'stores'}
# Only from the calls that need them (image_get with internal, image_delete, uploads).
INTERNAL_KEYS = {'location', 'upload_expires_at'}


def replace(path, value):
    return {'op': 'replace', 'path': path, 'value': value}


def add(path, value):
    return {'op': 'add', 'path': path, 'value': value}


def remove(path):
    return {'op': 'remove', 'path': path}


# --- create -------------------------------------------------------------------------------

def test_create_applies_defaults_and_returns_the_contract_shape(db, alice):
    image = new_image(db, alice, name='cirros', properties={'os_distro': 'cirros'},
                      tags=['b', 'a', 'b'])
    assert set(image) == CONTRACT_KEYS
    assert uuid.UUID(image['id'])
    assert image['status'] == 'queued'
    assert image['visibility'] == 'shared'
    assert image['protected'] is False and image['os_hidden'] is False
    assert image['min_ram'] == 0 and image['min_disk'] == 0
    assert image['owner'] == 'project-a'
    assert image['tags'] == ['a', 'b']
    assert image['properties'] == {'os_distro': 'cirros'}
    assert ISO.match(image['created_at']) and image['created_at'] == image['updated_at']
    assert image['deleted'] is False and image['deleted_at'] is None
    assert images.get(db, alice, image['id']) == image


def test_create_keeps_a_given_id(db, alice):
    wanted = str(uuid.uuid4())
    assert new_image(db, alice, id=wanted)['id'] == wanted


def test_create_with_an_existing_id_is_duplicate_even_after_delete(db, alice):
    image = new_image(db, alice)
    with pytest.raises(exceptions.Duplicate):
        new_image(db, alice, id=image['id'])
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.Duplicate):
        new_image(db, alice, id=image['id'])


@pytest.mark.parametrize('values', [
    {'status': 'active'}, {'location': 'file:///x'}, {'visibility': 'everyone'},
    {'min_ram': -1}, {'protected': 'yes'}, {'id': 'not-a-uuid'}])
def test_create_rejects_values_that_are_not_settable_or_not_valid(db, alice, values):
    with pytest.raises(exceptions.Invalid):
        new_image(db, alice, **values)


# --- get and visibility -------------------------------------------------------------------

@pytest.mark.parametrize('visibility, others_see', [
    ('public', True), ('community', True), ('shared', False), ('private', False)])
def test_get_visibility_across_projects(db, alice, bob, admin, visibility, others_see):
    image = new_image(db, alice, visibility=visibility)
    assert images.get(db, alice, image['id'])['id'] == image['id']
    assert images.get(db, admin, image['id'])['id'] == image['id']
    if others_see:
        assert images.get(db, bob, image['id'])['id'] == image['id']
    else:
        with pytest.raises(exceptions.ImageNotFound):
            images.get(db, bob, image['id'])


def test_get_of_missing_or_deleted_image_is_not_found_even_for_admin(db, alice, admin):
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, admin, str(uuid.uuid4()))
    image = new_image(db, alice)
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, admin, image['id'])


# --- update -------------------------------------------------------------------------------

def test_update_applies_changes_in_order_and_bumps_updated_at(db, alice):
    image = new_image(db, alice, name='old', properties={'a': '1', 'b': '2'}, tags=['x'])
    updated = images.update(db, alice, image['id'], [
        replace('name', 'new'), add('c', '3'), replace('a', '10'), remove('b'),
        add('c', '33'), replace('tags', ['y', 'z']), replace('min_ram', 512),
        replace('protected', True)])
    assert updated['name'] == 'new'
    assert updated['properties'] == {'a': '10', 'c': '33'}
    assert updated['tags'] == ['y', 'z']
    assert updated['min_ram'] == 512 and updated['protected'] is True
    assert updated['updated_at'] > image['updated_at']
    assert updated['created_at'] == image['created_at']
    assert images.get(db, alice, image['id']) == updated


def test_update_is_all_or_nothing(db, alice):
    image = new_image(db, alice, name='keep', properties={'a': '1'})
    with pytest.raises(exceptions.Conflict):
        images.update(db, alice, image['id'], [replace('name', 'lost'), remove('nope')])
    assert images.get(db, alice, image['id']) == image


@pytest.mark.parametrize('change, error, message', [
    (replace('missing', 'v'), exceptions.Conflict, 'Property missing does not exist.'),
    (remove('missing'), exceptions.Conflict, 'Property missing does not exist.'),
    (remove('name'), exceptions.Forbidden, 'Property name may not be removed.'),
    (remove('tags'), exceptions.Forbidden, 'Property tags may not be removed.'),
    (replace('status', 'active'), exceptions.ReadOnlyProperty, None),
    (replace('size', 1), exceptions.ReadOnlyProperty, None),
    (add('location', 'file:///etc/passwd'), exceptions.ReservedProperty, None),
    (replace('visibility', 'everyone'), exceptions.Invalid, None),
    ({'op': 'move', 'path': 'name', 'value': 'x'}, exceptions.Invalid, None),
])
def test_update_errors_follow_upstream(db, alice, change, error, message):
    image = new_image(db, alice)
    with pytest.raises(error) as raised:
        images.update(db, alice, image['id'], [change])
    if message:
        assert str(raised.value) == message


def test_formats_change_only_while_queued(db, alice):
    image = new_image(db, alice, disk_format='raw', container_format='bare')
    assert images.update(db, alice, image['id'],
                         [replace('disk_format', 'qcow2')])['disk_format'] == 'qcow2'
    uploads.begin(db, alice, image['id'], 60)
    with pytest.raises(exceptions.Forbidden) as raised:
        images.update(db, alice, image['id'], [replace('container_format', 'ovf')])
    assert str(raised.value) == ('Attribute container_format can be only replaced for a '
                                 'queued image.')
    # Other attributes may still change.
    assert images.update(db, alice, image['id'], [replace('name', 'n')])['name'] == 'n'


def test_only_owner_or_admin_may_update(db, alice, bob, admin):
    public = new_image(db, alice, visibility='public')
    private = new_image(db, alice, visibility='private')
    with pytest.raises(exceptions.Forbidden):
        images.update(db, bob, public['id'], [replace('name', 'x')])
    with pytest.raises(exceptions.ImageNotFound):
        images.update(db, bob, private['id'], [replace('name', 'x')])
    assert images.update(db, admin, private['id'], [replace('name', 'x')])['name'] == 'x'


def test_get_with_internal_adds_the_location_and_the_lease(db, alice):
    image = new_image(db, alice)
    assert images.get(db, alice, image['id']) == image
    internal = images.get(db, alice, image['id'], internal=True)
    # The location comes with its store (contract 1.9).
    assert set(internal) == CONTRACT_KEYS | INTERNAL_KEYS | {'store_id', 'stores'}
    assert internal['location'] is None and internal['upload_expires_at'] is None
    assert internal['store_id'] is None and internal['stores'] == []


def test_property_names_are_case_sensitive(db, alice):
    image = new_image(db, alice, properties={'Foo': '1'})
    updated = images.update(db, alice, image['id'], [add('foo', '2')])
    assert updated['properties'] == {'Foo': '1', 'foo': '2'}


# --- delete -------------------------------------------------------------------------------

def test_delete_returns_the_image_as_it_was_and_soft_deletes(db, alice, admin):
    image = new_image(db, alice, properties={'k': 'v'})
    before = images.delete(db, alice, image['id'])
    # With its location, so the api can remove the data.
    assert before == dict(image, location=None, store_id=None, stores=[], locations=[])
    with pytest.raises(exceptions.ImageNotFound):
        images.delete(db, admin, image['id'])


def test_delete_protected_image_is_forbidden(db, alice, admin):
    image = new_image(db, alice, protected=True)
    with pytest.raises(exceptions.Forbidden) as raised:
        images.delete(db, admin, image['id'])
    assert str(raised.value) == 'Image %s is protected and cannot be deleted.' % image['id']
    images.update(db, alice, image['id'], [replace('protected', False)])
    images.delete(db, alice, image['id'])


def test_delete_by_another_project(db, alice, bob):
    public = new_image(db, alice, visibility='public')
    private = new_image(db, alice, visibility='private')
    with pytest.raises(exceptions.Forbidden):
        images.delete(db, bob, public['id'])
    with pytest.raises(exceptions.ImageNotFound):
        images.delete(db, bob, private['id'])
    assert images.get(db, alice, public['id'])['status'] == 'queued'
