"""The metadata definitions catalog through the api, against the real registry over the
in-memory transport (the FakeRegistry does not fake metadefs): routes, status codes, JSON
shapes and upstream's default policy (changes admin-only, a private namespace of another
project invisible)."""

import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB

pytestmark = pytest.mark.real_registry

NS = '/v2/metadefs/namespaces'
ALICE_ADMIN = {'X-User-Id': 'alice', 'X-Project-Id': 'project-a', 'X-Roles': 'admin,reader'}


def create(client, name='OS::Test::One', headers=ADMIN, **body):
    response = client.post(NS, json=dict({'namespace': name}, **body), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_resource_types_come_seeded(client):
    names = [rt['name'] for rt in
             client.get('/v2/metadefs/resource_types', headers=ALICE).get_json()
             ['resource_types']]
    assert 'OS::Glance::Image' in names and 'OS::Nova::Flavor' in names


def test_namespace_create_show_update_delete(client):
    created = create(client, visibility='public', description='d', display_name='One',
                     protected=True,
                     resource_type_associations=[{'name': 'OS::Glance::Image',
                                                  'prefix': 'hw_'}],
                     properties={'cpu': {'title': 'CPU', 'type': 'integer', 'minimum': 1}},
                     objects=[{'name': 'Obj', 'properties': {'x': {'title': 'X',
                                                                  'type': 'string'}}}],
                     tags=[{'name': 't1'}])
    assert created['self'] == NS + '/OS::Test::One'
    assert created['schema'] == '/v2/schemas/metadefs/namespace'
    assert created['owner'] == 'admin-project' and created['protected'] is True
    assert created['created_at'].endswith('Z') and len(created['created_at']) == 20
    shown = client.get(NS + '/OS::Test::One', headers=ALICE).get_json()
    assert shown['properties'] == {'cpu': {'title': 'CPU', 'type': 'integer', 'minimum': 1}}
    assert shown['objects'][0]['name'] == 'Obj'
    assert [t['name'] for t in shown['tags']] == ['t1']
    assert shown['resource_type_associations'][0]['prefix'] == 'hw_'
    prefixed = client.get(NS + '/OS::Test::One?resource_type=OS::Glance::Image',
                          headers=ALICE).get_json()
    assert list(prefixed['properties']) == ['hw_cpu']
    assert client.get(NS + '/OS::Test::One/properties/hw_cpu?resource_type=OS::Glance::Image',
                      headers=ALICE).get_json()['name'] == 'cpu'
    assert client.delete(NS + '/OS::Test::One', headers=ADMIN).status_code == 403
    assert client.delete(NS + '/OS::Test::One/tags', headers=ADMIN).status_code == 403
    for one in ('/properties/cpu', '/objects/Obj', '/tags/t1',
                '/resource_types/OS::Glance::Image'):
        assert client.delete(NS + '/OS::Test::One' + one, headers=ADMIN).status_code == 403
    updated = client.put(NS + '/OS::Test::One', json={'namespace': 'OS::Test::One',
                                                      'visibility': 'private'},
                         headers=ADMIN)
    assert updated.status_code == 200
    assert updated.get_json()['protected'] is False
    # Private now, and admin-project's: alice's project no longer sees it.
    assert client.get(NS + '/OS::Test::One', headers=ALICE).status_code == 404
    assert client.delete(NS + '/OS::Test::One', headers=ADMIN).status_code == 204
    assert client.get(NS + '/OS::Test::One', headers=ADMIN).status_code == 404


def test_members_cannot_change_the_catalog_by_default(client):
    assert client.post(NS, json={'namespace': 'x'}, headers=ALICE).status_code == 403
    create(client, visibility='public')
    for method, url, body in [
            ('put', NS + '/OS::Test::One', {'namespace': 'OS::Test::One'}),
            ('delete', NS + '/OS::Test::One', None),
            ('post', NS + '/OS::Test::One/properties', {'name': 'p', 'title': 'P',
                                                        'type': 'string'}),
            ('post', NS + '/OS::Test::One/objects', {'name': 'o'}),
            ('post', NS + '/OS::Test::One/tags/t', None),
            ('post', NS + '/OS::Test::One/resource_types', {'name': 'OS::Nova::Flavor'})]:
        response = getattr(client, method)(url, json=body, headers=ALICE)
        assert response.status_code == 403, (method, url)


def test_private_namespace_of_another_project_is_404(client):
    create(client, name='Private::A', headers=ALICE_ADMIN)
    assert client.get(NS + '/Private::A', headers=ALICE).status_code == 200
    assert client.get(NS + '/Private::A', headers=BOB).status_code == 404
    assert client.get(NS + '/Private::A/properties', headers=BOB).status_code == 404
    names = [n['namespace'] for n in client.get(NS, headers=BOB).get_json()['namespaces']]
    assert 'Private::A' not in names
    names = [n['namespace'] for n in client.get(NS, headers=ALICE).get_json()['namespaces']]
    assert 'Private::A' in names


def test_properties_objects_tags(client):
    create(client)
    base = NS + '/OS::Test::One'
    prop = client.post(base + '/properties', json={'name': 'p', 'title': 'P', 'type': 'string',
                                                   'enum': ['a', 'b']}, headers=ADMIN)
    assert prop.status_code == 201
    assert prop.get_json() == {'name': 'p', 'title': 'P', 'type': 'string', 'enum': ['a', 'b']}
    assert client.post(base + '/properties', json={'name': 'p', 'title': 'P',
                                                   'type': 'string'},
                       headers=ADMIN).status_code == 409
    assert client.post(base + '/properties', json={'name': 'q', 'type': 'string'},
                       headers=ADMIN).status_code == 400
    renamed = client.put(base + '/properties/p', json={'name': 'p2', 'title': 'P2',
                                                      'type': 'string'}, headers=ADMIN)
    assert renamed.get_json()['name'] == 'p2'
    listing = client.get(base + '/properties', headers=ADMIN).get_json()
    assert listing['properties'] == {'p2': {'title': 'P2', 'type': 'string'}}
    assert client.delete(base + '/properties/p2', headers=ADMIN).status_code == 204
    assert client.get(base + '/properties/p2', headers=ADMIN).status_code == 404

    obj = client.post(base + '/objects', json={'name': 'o', 'required': ['x'], 'properties': {
        'x': {'title': 'X', 'type': 'integer'}}}, headers=ADMIN)
    assert obj.status_code == 201
    assert obj.get_json()['self'] == base + '/objects/o'
    assert client.put(base + '/objects/o', json={'name': 'o2'},
                      headers=ADMIN).get_json()['name'] == 'o2'
    assert [o['name'] for o in client.get(base + '/objects', headers=ADMIN).get_json()
            ['objects']] == ['o2']
    assert client.delete(base + '/objects', headers=ADMIN).status_code == 204
    assert client.get(base + '/objects/o2', headers=ADMIN).status_code == 404

    tags = client.post(base + '/tags', json={'tags': [{'name': 'a'}, {'name': 'b'}]},
                       headers=ADMIN)
    assert tags.status_code == 201 and [t['name'] for t in tags.get_json()['tags']] == ['a', 'b']
    client.post(base + '/tags', json={'tags': [{'name': 'c'}]},
                headers=dict(ADMIN, **{'X-Openstack-Append': 'True'}))
    names = [t['name'] for t in client.get(base + '/tags', headers=ADMIN).get_json()['tags']]
    assert names == ['a', 'b', 'c']
    client.post(base + '/tags', json={'tags': [{'name': 'd'}]}, headers=ADMIN)
    names = [t['name'] for t in client.get(base + '/tags', headers=ADMIN).get_json()['tags']]
    assert names == ['d']
    assert client.post(base + '/tags/e', headers=ADMIN).status_code == 201
    assert client.post(base + '/tags/e', headers=ADMIN).status_code == 409
    assert client.put(base + '/tags/e', json={'name': 'f'},
                      headers=ADMIN).get_json()['name'] == 'f'
    assert client.get(base + '/tags/f', headers=ADMIN).status_code == 200
    assert client.delete(base + '/tags/f', headers=ADMIN).status_code == 204
    assert client.delete(base + '/tags/f', headers=ADMIN).status_code == 404


def test_resource_type_associations(client):
    create(client)
    base = NS + '/OS::Test::One/resource_types'
    made = client.post(base, json={'name': 'OS::Cinder::Volume', 'prefix': 'hw_',
                                   'properties_target': 'image'}, headers=ADMIN)
    assert made.status_code == 201
    assert made.get_json()['properties_target'] == 'image'
    assert client.post(base, json={'name': 'OS::Cinder::Volume'},
                       headers=ADMIN).status_code == 409
    listed = client.get(base, headers=ADMIN).get_json()['resource_type_associations']
    assert [a['name'] for a in listed] == ['OS::Cinder::Volume']
    filtered = client.get(NS + '?resource_types=OS::Cinder::Volume', headers=ADMIN).get_json()
    assert [n['namespace'] for n in filtered['namespaces']] == ['OS::Test::One']
    assert client.delete(base + '/OS::Cinder::Volume', headers=ADMIN).status_code == 204
    assert client.delete(base + '/OS::Cinder::Volume', headers=ADMIN).status_code == 404


def test_namespace_list_pages_and_sorts(client):
    for n in range(3):
        create(client, name='NS%d' % n, visibility='public')
    page = client.get(NS + '?limit=2&sort_key=namespace&sort_dir=asc', headers=ADMIN).get_json()
    assert [n['namespace'] for n in page['namespaces']] == ['NS0', 'NS1']
    assert 'marker=NS1' in page['next']
    rest = client.get(page['next'], headers=ADMIN).get_json()
    assert [n['namespace'] for n in rest['namespaces']] == ['NS2']
    assert client.get(NS + '?sort_dir=up', headers=ADMIN).status_code == 400
    assert client.get(NS + '?visibility=shared', headers=ADMIN).status_code == 400
    assert client.get(NS + '?limit=-1', headers=ADMIN).status_code == 400
    assert client.get(NS + '?marker=nope', headers=ADMIN).status_code == 404


def test_read_only_attributes_are_403(client):
    response = client.post(NS, json={'namespace': 'x', 'self': '/x'}, headers=ADMIN)
    assert response.status_code == 403


@pytest.mark.parametrize('name', ['namespace', 'namespaces', 'property', 'properties',
                                  'object', 'objects', 'resource_type', 'resource_types',
                                  'tag', 'tags'])
def test_schemas(client, name):
    expected = {'resource_type': 'resource_type_association',
                'resource_types': 'resource_type_associations'}.get(name, name)
    response = client.get('/v2/schemas/metadefs/' + name, headers=ALICE)
    assert response.status_code == 200 and response.get_json()['name'] == expected


def test_changes_send_upstreams_metadef_notifications(conf, registry):
    from api_service.wsgi import app as app_module
    from common import notifications
    from tests.unit.test_notifications import Recorder

    recorder = Recorder()
    notifier = notifications.Notifier(recorder)
    client = app_module.create_app(conf, registry=registry, notifier=notifier).test_client()
    try:
        create(client, name='Notes', visibility='public')
        base = NS + '/Notes'
        client.post(base + '/properties', json={'name': 'p', 'title': 'P', 'type': 'string'},
                    headers=ADMIN)
        client.put(base + '/properties/p', json={'name': 'q', 'title': 'P', 'type': 'string'},
                   headers=ADMIN)
        client.post(base + '/tags/t', headers=ADMIN)
        client.delete(base + '/tags', headers=ADMIN)
        client.post(base + '/resource_types', json={'name': 'OS::Nova::Flavor'}, headers=ADMIN)
        client.put(base, json={'namespace': 'Notes2'}, headers=ADMIN)
        client.delete(NS + '/Notes2', headers=ADMIN)
        assert notifier.flush(5)
    finally:
        notifier.close()
    sent = [(event_type, payload) for _, event_type, payload in recorder.sent]
    assert [event_type for event_type, _ in sent] == [
        'metadef_namespace.create', 'metadef_property.create', 'metadef_property.update',
        'metadef_tag.create', 'metadef_namespace.delete_tags', 'metadef_resource_type.create',
        'metadef_namespace.update', 'metadef_namespace.delete']
    payloads = dict(sent)
    assert payloads['metadef_property.update']['name'] == 'q'
    assert payloads['metadef_property.update']['name_old'] == 'p'
    assert payloads['metadef_property.update']['namespace'] == 'Notes'
    assert payloads['metadef_namespace.update']['namespace_old'] == 'Notes'
    assert payloads['metadef_namespace.update']['namespace'] == 'Notes2'
    assert payloads['metadef_namespace.delete']['deleted'] is True
    assert payloads['metadef_resource_type.create']['name'] == 'OS::Nova::Flavor'


def test_a_registry_held_below_rpc_1_7_answers_503(tmp_path):
    from api_service.wsgi import app as app_module
    from common.rpc import client as rpc_client
    from common.rpc import transport as rpc_transport
    from tests.unit.api.conftest import MEMORY_URL
    from tests.unit.api.conftest import make_conf

    conf = make_conf(tmp_path, registry__version_cap='1.6')
    transport = rpc_transport.get_transport(conf, url=MEMORY_URL)
    registry = rpc_client.RegistryClient(conf, transport=transport)
    try:
        client = app_module.create_app(conf, registry=registry).test_client()
        response = client.get(NS, headers=ALICE)
        assert response.status_code == 503
        assert 'version_cap' in response.get_json()['error']['message']
    finally:
        registry.close()
