"""The registry's own rules for the metadefs catalog, whatever glance-api's policy allows:
who sees a namespace, who may change it, names unique, protected namespaces kept."""

import pytest

from common import exceptions
from registry_service import metadefs


def new(db, ctxt, name, **values):
    return metadefs.create_namespace(db, ctxt, dict(values, namespace=name))


def test_visibility_and_ownership(db, alice, bob, admin):
    new(db, alice, 'A::Private')
    new(db, alice, 'A::Public', visibility='public')
    with pytest.raises(exceptions.NotFound):
        metadefs.get_namespace(db, bob, 'A::Private')
    assert metadefs.get_namespace(db, bob, 'A::Public')['owner'] == 'project-a'
    assert metadefs.get_namespace(db, admin, 'A::Private')['visibility'] == 'private'
    listed = {n['namespace'] for n in metadefs.list_namespaces(db, bob, {})}
    assert listed == {'A::Public'}
    # Bob sees the public one but may not change it; the private one does not exist for him.
    with pytest.raises(exceptions.Forbidden):
        metadefs.update_namespace(db, bob, 'A::Public', {'description': 'x'})
    with pytest.raises(exceptions.Forbidden):
        metadefs.create_item(db, bob, 'A::Public', 'tags', {'name': 't'})
    with pytest.raises(exceptions.NotFound):
        metadefs.delete_namespace(db, bob, 'A::Private')
    # Owner and admin may.
    metadefs.create_item(db, alice, 'A::Public', 'tags', {'name': 't'})
    metadefs.update_namespace(db, admin, 'A::Private', {'description': 'by admin'})
    assert metadefs.get_namespace(db, alice, 'A::Private')['description'] == 'by admin'


def test_owner_of_a_new_namespace(db, alice, admin):
    assert new(db, alice, 'Mine')['owner'] == 'project-a'
    with pytest.raises(exceptions.Forbidden):
        new(db, alice, 'Theirs', owner='project-b')
    assert new(db, admin, 'Given', owner='project-b')['owner'] == 'project-b'
    with pytest.raises(exceptions.Duplicate):
        new(db, admin, 'Mine')


def test_rename_and_duplicates(db, admin):
    new(db, admin, 'One')
    new(db, admin, 'Two')
    with pytest.raises(exceptions.Duplicate):
        metadefs.update_namespace(db, admin, 'One', {'namespace': 'Two'})
    assert metadefs.update_namespace(db, admin, 'One', {'namespace': 'Uno'})['namespace'] == 'Uno'
    metadefs.create_item(db, admin, 'Uno', 'properties', {'name': 'a', 'title': 'A',
                                                          'type': 'string'})
    metadefs.create_item(db, admin, 'Uno', 'properties', {'name': 'b', 'title': 'B',
                                                          'type': 'string'})
    with pytest.raises(exceptions.Duplicate):
        metadefs.update_item(db, admin, 'Uno', 'properties', 'a', {'name': 'b', 'title': 'A',
                                                                   'type': 'string'})
    with pytest.raises(exceptions.NotFound):
        metadefs.delete_item(db, admin, 'Uno', 'properties', 'zzz')


def test_tags_replace_or_append(db, admin):
    new(db, admin, 'Tags')
    metadefs.create_tags(db, admin, 'Tags', [{'name': 'a'}, {'name': 'b'}])
    with pytest.raises(exceptions.Duplicate):
        metadefs.create_tags(db, admin, 'Tags', [{'name': 'c'}, {'name': 'c'}])
    with pytest.raises(exceptions.Duplicate):
        metadefs.create_tags(db, admin, 'Tags', [{'name': 'a'}], append=True)
    metadefs.create_tags(db, admin, 'Tags', [{'name': 'c'}], append=True)
    assert [t['name'] for t in metadefs.get_namespace(db, admin, 'Tags')['tags']] == [
        'a', 'b', 'c']
    metadefs.create_tags(db, admin, 'Tags', [{'name': 'z'}])
    assert [t['name'] for t in metadefs.get_namespace(db, admin, 'Tags')['tags']] == ['z']


def test_protected_namespace_keeps_everything(db, admin):
    new(db, admin, 'Kept', protected=True)
    metadefs.create_item(db, admin, 'Kept', 'objects', {'name': 'o'})
    metadefs.create_association(db, admin, 'Kept', {'name': 'OS::Glance::Image'})
    for call in (lambda: metadefs.delete_namespace(db, admin, 'Kept'),
                 lambda: metadefs.delete_items(db, admin, 'Kept', 'objects'),
                 lambda: metadefs.delete_item(db, admin, 'Kept', 'objects', 'o'),
                 lambda: metadefs.delete_association(db, admin, 'Kept', 'OS::Glance::Image')):
        with pytest.raises(exceptions.Forbidden):
            call()
    metadefs.update_namespace(db, admin, 'Kept', {'protected': False})
    metadefs.delete_namespace(db, admin, 'Kept')


def test_an_association_makes_an_unknown_resource_type_known(db, admin, alice):
    new(db, admin, 'Assoc')
    made = metadefs.create_association(db, admin, 'Assoc', {'name': 'My::Type',
                                                             'prefix': 'my_'})
    assert made['name'] == 'My::Type' and made['prefix'] == 'my_'
    assert 'My::Type' in [rt['name'] for rt in metadefs.list_resource_types(db, alice)]
    with pytest.raises(exceptions.Duplicate):
        metadefs.create_association(db, admin, 'Assoc', {'name': 'My::Type'})
    listed = metadefs.list_namespaces(db, admin, {'resource_types': ['My::Type']})
    assert [n['namespace'] for n in listed] == ['Assoc']


def test_list_sorting_paging_and_bad_arguments(db, admin):
    for name in ('B', 'A', 'C'):
        new(db, admin, name, visibility='public' if name != 'C' else 'private')
    by_name = {'sort_key': 'namespace', 'sort_dir': 'asc'}
    assert [n['namespace'] for n in metadefs.list_namespaces(db, admin, by_name)] == [
        'A', 'B', 'C']
    page = metadefs.list_namespaces(db, admin, dict(by_name, marker='A', limit=1))
    assert [n['namespace'] for n in page] == ['B']
    newest_first = metadefs.list_namespaces(db, admin, {})
    assert [n['namespace'] for n in newest_first] == ['C', 'A', 'B']
    assert [n['namespace'] for n in metadefs.list_namespaces(
        db, admin, {'visibility': 'private'})] == ['C']
    with pytest.raises(exceptions.InvalidSortKey):
        metadefs.list_namespaces(db, admin, {'sort_key': 'password'})
    with pytest.raises(exceptions.InvalidSortDir):
        metadefs.list_namespaces(db, admin, {'sort_dir': 'up'})
    with pytest.raises(exceptions.NotFound):
        metadefs.list_namespaces(db, admin, {'marker': 'nope'})
