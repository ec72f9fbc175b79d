"""PATCH over real HTTP: the JSON-patch media type, add/replace/remove and the 403 rules."""

from tests.functional.http_api import JSON_PATCH
from tests.functional.one_database import database_independent


def test_patch_applies_add_replace_remove_in_order(images):
    image = images.create_ok(name='before', os_distro='cirros', hw_rng='yes')

    resp = images.patch(image['id'], [
        {'op': 'replace', 'path': '/name', 'value': 'after'},
        {'op': 'add', 'path': '/os_version', 'value': '0.6'},
        {'op': 'replace', 'path': '/os_distro', 'value': 'ubuntu'},
        {'op': 'remove', 'path': '/hw_rng'},
        {'op': 'replace', 'path': '/min_ram', 'value': 512},
        {'op': 'add', 'path': '/tags', 'value': ['x', 'y']},
    ])

    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert patched['name'] == 'after'
    assert patched['os_version'] == '0.6'
    assert patched['os_distro'] == 'ubuntu'
    assert 'hw_rng' not in patched
    assert patched['min_ram'] == 512
    assert sorted(patched['tags']) == ['x', 'y']
    assert images.show(image['id']).json() == patched


@database_independent
def test_patch_with_another_media_type_is_415_with_accept_patch(images):
    image = images.create_ok(name='x')

    resp = images.patch(image['id'], [{'op': 'replace', 'path': '/name', 'value': 'y'}],
                        content_type='application/json')

    assert resp.status_code == 415
    assert JSON_PATCH in resp.headers['Accept-Patch']
    assert images.show(image['id']).json()['name'] == 'x'


@database_independent
def test_patch_of_read_only_attributes_is_403(images):
    image = images.create_ok(name='x')

    for op in ({'op': 'replace', 'path': '/status', 'value': 'active'},
               {'op': 'add', 'path': '/checksum', 'value': '0' * 32},
               {'op': 'replace', 'path': '/id', 'value': image['id']},
               {'op': 'replace', 'path': '/size', 'value': 1}):
        resp = images.patch(image['id'], [op])
        assert resp.status_code == 403, (op, resp.status_code, resp.text)
    assert images.show(image['id']).json()['status'] == 'queued'


@database_independent
def test_patch_of_reserved_attributes_is_403(images):
    image = images.create_ok(name='x')

    for op in ({'op': 'add', 'path': '/os_glance_import_task', 'value': 'x'},
               {'op': 'add', 'path': '/location', 'value': 'file:///etc/passwd'},
               {'op': 'add', 'path': '/deleted', 'value': 'true'}):
        resp = images.patch(image['id'], [op])
        assert resp.status_code == 403, (op, resp.status_code, resp.text)


def test_patch_removing_a_missing_property_is_409_and_changes_nothing(images):
    image = images.create_ok(name='x')

    resp = images.patch(image['id'], [
        {'op': 'replace', 'path': '/name', 'value': 'y'},
        {'op': 'remove', 'path': '/not_there'},
    ])

    assert resp.status_code == 409
    assert images.show(image['id']).json()['name'] == 'x'


def test_patch_of_an_unknown_image_is_404(images):
    resp = images.patch('00000000-0000-0000-0000-000000000000',
                        [{'op': 'replace', 'path': '/name', 'value': 'y'}])

    assert resp.status_code == 404
