"""The metadata definitions catalog on the real daemons: the REST API on every database
backend (routes, status codes, JSON shapes, upstream's default policy: changes admin-only,
a private namespace of another project invisible), and python-glanceclient's md-* commands
as an operator types them (SQLite, through the identity proxy: ``PROJECT+admin`` is an
admin of PROJECT)."""

import json
import os
import re
import subprocess
import uuid

import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi
from tests.functional.identity_proxy import IdentityProxy

NS = '/v2/metadefs/namespaces'


def new_name(prefix='Test'):
    return f'{prefix}::{uuid.uuid4().hex[:10]}'


def new_project():
    return f'project-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def admin(glance_service):
    return ImagesApi(glance_service.base_url, new_project(), roles='admin,member,reader')


@pytest.fixture
def member(glance_service):
    return ImagesApi(glance_service.base_url, new_project())


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def test_rest_namespace_lifecycle_with_contents(admin, member):
    name = new_name()
    created = ok(admin.request('POST', NS, json={
        'namespace': name, 'display_name': 'Disk', 'description': 'tempest-like',
        'visibility': 'public', 'protected': True,
        'resource_type_associations': [{'name': 'OS::Glance::Image', 'prefix': 'hw_'}],
        'properties': {'disk_bus': {'title': 'Disk Bus', 'type': 'string',
                                    'enum': ['virtio', 'scsi']}},
        'objects': [{'name': 'Serial', 'properties': {
            'ports': {'title': 'Ports', 'type': 'integer', 'minimum': 0}}}],
        'tags': [{'name': 'fast'}]}), 201)
    assert created['self'] == f'{NS}/{name}' and created['owner'] == admin.project_id
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', created['created_at'])

    # A member of another project reads a public namespace, lists it, changes nothing.
    shown = ok(member.request('GET', f'{NS}/{name}'))
    assert shown['properties']['disk_bus']['enum'] == ['virtio', 'scsi']
    assert shown['objects'][0]['self'] == f'{NS}/{name}/objects/Serial'
    assert [t['name'] for t in shown['tags']] == ['fast']
    image_view = ok(member.request('GET', f'{NS}/{name}',
                                   params={'resource_type': 'OS::Glance::Image'}))
    assert list(image_view['properties']) == ['hw_disk_bus']
    listed = ok(member.request('GET', NS, params={'resource_types': 'OS::Glance::Image',
                                                  'limit': 1000}))
    assert name in [n['namespace'] for n in listed['namespaces']]
    assert member.request('PUT', f'{NS}/{name}', json={'namespace': name}).status_code == 403
    assert member.request('POST', f'{NS}/{name}/tags/x').status_code == 403

    # Protected: neither it nor anything in it can be deleted.
    base = f'{NS}/{name}'
    for path in ('', '/properties', '/properties/disk_bus', '/objects/Serial', '/tags/fast',
                 '/resource_types/OS::Glance::Image'):
        assert admin.request('DELETE', base + path).status_code == 403, path
    ok(admin.request('PUT', base, json={'namespace': name, 'visibility': 'public',
                                        'protected': False}))

    # Properties, objects and tags, one by one.
    ok(admin.request('POST', base + '/properties', json={
        'name': 'vif', 'title': 'VIF', 'type': 'string'}), 201)
    assert admin.request('POST', base + '/properties', json={
        'name': 'vif', 'title': 'VIF', 'type': 'string'}).status_code == 409
    assert ok(admin.request('PUT', base + '/properties/vif', json={
        'name': 'vif_model', 'title': 'VIF', 'type': 'string'}))['name'] == 'vif_model'
    assert set(ok(admin.request('GET', base + '/properties'))['properties']) == {
        'disk_bus', 'vif_model'}
    ok(admin.request('DELETE', base + '/properties/vif_model'), 204)
    assert admin.request('GET', base + '/properties/vif_model').status_code == 404

    ok(admin.request('POST', base + '/objects', json={'name': 'Watchdog'}), 201)
    assert ok(admin.request('PUT', base + '/objects/Watchdog',
                            json={'name': 'Dog'}))['name'] == 'Dog'
    ok(admin.request('DELETE', base + '/objects/Dog'), 204)

    tags = ok(admin.request('POST', base + '/tags', json={'tags': [{'name': 'a'},
                                                                  {'name': 'b'}]}), 201)
    assert [t['name'] for t in tags['tags']] == ['a', 'b']
    ok(admin.request('POST', base + '/tags', json={'tags': [{'name': 'c'}]},
                     headers={'X-Openstack-Append': 'True'}), 201)
    assert [t['name'] for t in ok(admin.request('GET', base + '/tags'))['tags']] == [
        'a', 'b', 'c']
    assert ok(admin.request('PUT', base + '/tags/c', json={'name': 'd'}))['name'] == 'd'
    ok(admin.request('DELETE', base + '/tags/d'), 204)

    # Resource type associations.
    made = ok(admin.request('POST', base + '/resource_types', json={
        'name': 'OS::Cinder::Volume', 'prefix': 'hw_', 'properties_target': 'image'}), 201)
    assert made['properties_target'] == 'image'
    assert admin.request('POST', base + '/resource_types',
                         json={'name': 'OS::Cinder::Volume'}).status_code == 409
    ok(admin.request('DELETE', base + '/resource_types/OS::Cinder::Volume'), 204)
    names = [a['name'] for a in ok(admin.request('GET', base + '/resource_types'))
             ['resource_type_associations']]
    assert names == ['OS::Glance::Image']

    # Unprotected and private: the member's project no longer sees it; then it goes.
    updated = ok(admin.request('PUT', base, json={'namespace': name, 'visibility': 'private',
                                                  'protected': False}))
    assert updated['visibility'] == 'private' and updated['protected'] is False
    assert member.request('GET', base).status_code == 404
    assert member.request('GET', base + '/tags').status_code == 404
    assert name not in [n['namespace'] for n in
                        ok(member.request('GET', NS, params={'limit': 1000}))['namespaces']]
    ok(admin.request('DELETE', base + '/tags'), 204)
    ok(admin.request('DELETE', base), 204)
    assert admin.request('GET', base).status_code == 404


def test_rest_members_cannot_create_and_names_are_unique(admin, member):
    assert member.request('POST', NS, json={'namespace': new_name()}).status_code == 403
    name = new_name()
    ok(admin.request('POST', NS, json={'namespace': name}), 201)
    assert admin.request('POST', NS, json={'namespace': name}).status_code == 409
    assert admin.request('POST', NS, json={'namespace': new_name(),
                                           'visibility': 'shared'}).status_code == 400
    assert admin.request('POST', NS, json={'namespace': new_name(),
                                           'created_at': 'x'}).status_code == 403
    ok(admin.request('DELETE', f'{NS}/{name}'), 204)


def test_rest_resource_types_and_schemas(member):
    names = [rt['name'] for rt in
             ok(member.request('GET', '/v2/metadefs/resource_types'))['resource_types']]
    assert {'OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor'} <= set(names)
    for document, title in [('namespace', 'namespace'), ('namespaces', 'namespaces'),
                            ('property', 'property'), ('properties', 'properties'),
                            ('object', 'object'), ('objects', 'objects'),
                            ('resource_type', 'resource_type_association'),
                            ('resource_types', 'resource_type_associations'),
                            ('tag', 'tag'), ('tags', 'tags')]:
        assert ok(member.request('GET', '/v2/schemas/metadefs/' + document))['name'] == title


def test_rest_namespace_list_pages(admin):
    prefix = new_name('Page')
    for n in range(3):
        ok(admin.request('POST', NS, json={'namespace': f'{prefix}{n}'}), 201)
    page = ok(admin.request('GET', NS, params={'limit': 2, 'sort_key': 'namespace',
                                               'sort_dir': 'desc',
                                               'marker': f'{prefix}2'}))
    assert [n['namespace'] for n in page['namespaces']] == [f'{prefix}1', f'{prefix}0']
    for n in range(3):
        ok(admin.request('DELETE', f'{NS}/{prefix}{n}'), 204)


# -- the glance CLI -----------------------------------------------------------------------------

def _close_stdin():
    os.close(0)


class GlanceCli:
    def __init__(self, base_url, token, home):
        self.argv = [daemons.console_script('glance'), '--os-image-url', base_url,
                     '--os-auth-token', token]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        self.env['HOME'] = str(home)

    def run(self, *args, check=True):
        result = subprocess.run([*self.argv, *args], env=self.env, capture_output=True,
                                text=True, timeout=60, preexec_fn=_close_stdin)
        if check:
            assert result.returncode == 0, (f'glance {" ".join(args)} exited '
                                            f'{result.returncode}:\n{result.stdout}\n'
                                            f'{result.stderr}')
        return result

    def rows(self, *args):
        lines = [line[1:-1] for line in self.run(*args).stdout.splitlines()
                 if line.startswith('|') and line.endswith('|')]
        header, *body = [[c.strip() for c in line.split('|')] for line in lines]
        return [dict(zip(header, cells, strict=True)) for cells in body]

    def table(self, *args):
        found, key = {}, None
        for row in self.rows(*args):
            if row['Property']:
                key = row['Property']
                found[key] = row['Value']
            elif key is not None:
                found[key] += row['Value']
        return found


@pytest.fixture
def proxy(sqlite_service):
    with IdentityProxy(sqlite_service.base_url) as running:
        yield running


def test_glance_cli_md_commands(proxy, tmp_path):
    project = new_project()
    admin = GlanceCli(proxy.base_url, project + '+admin', tmp_path / 'admin')
    member = GlanceCli(proxy.base_url, new_project(), tmp_path / 'member')
    name = new_name('Cli')

    created = admin.table('md-namespace-create', name, '--display-name', 'CLI',
                          '--description', 'made by the CLI', '--visibility', 'public')
    assert created['namespace'] == name and created['owner'] == project
    assert name in [r['namespace'] for r in member.rows('md-namespace-list')]
    assert member.table('md-namespace-show', name)['display_name'] == 'CLI'
    denied = member.run('md-namespace-create', new_name('Cli'), check=False)
    assert denied.returncode != 0
    assert 'not authorized to complete add_metadef_namespace' in denied.stderr

    admin.run('md-resource-type-associate', name, '--name', 'OS::Glance::Image',
              '--prefix', 'hw_')
    assert [r['name'] for r in admin.rows('md-namespace-resource-type-list', name)] == [
        'OS::Glance::Image']
    assert 'OS::Glance::Image' in [r['name'] for r in admin.rows('md-resource-type-list')]
    assert name in [r['namespace'] for r in
                    admin.rows('md-namespace-list', '--resource-types', 'OS::Glance::Image')]

    prop = admin.table('md-property-create', name, '--name', 'disk_bus', '--title',
                       'Disk Bus', '--type', 'string',
                       '--schema', json.dumps({'enum': ['virtio', 'sata']}))
    assert prop['name'] == 'disk_bus'
    assert admin.table('md-property-show', name, 'disk_bus')['title'] == 'Disk Bus'
    admin.run('md-property-update', name, 'disk_bus', '--title', 'Bus')
    assert [r['name'] for r in admin.rows('md-property-list', name)] == ['disk_bus']
    shown = admin.table('md-namespace-show', name, '--resource-type', 'OS::Glance::Image')
    assert 'hw_disk_bus' in shown['properties']

    obj = admin.table('md-object-create', name, '--name', 'Serial', '--schema', json.dumps(
        {'description': 'ports', 'properties': {'ports': {'title': 'Ports',
                                                          'type': 'integer'}}}))
    assert obj['name'] == 'Serial'
    assert admin.table('md-object-show', name, 'Serial')['description'] == 'ports'
    assert admin.table('md-object-property-show', name, 'Serial', 'ports')['title'] == 'Ports'
    admin.run('md-object-update', name, 'Serial', '--name', 'Console')
    assert [r['name'] for r in admin.rows('md-object-list', name)] == ['Console']

    # Without --append the namespace's tags are replaced. (glanceclient 4.13's --append
    # fails in the client itself: it sends the header's value as a bool, which its own
    # header encoding refuses; the REST test above covers X-Openstack-Append.)
    admin.run('md-tag-create', name, '--name', 'zero')
    admin.run('md-tag-create-multiple', name, '--names', 'two,three', '--delim', ',')
    admin.run('md-tag-create', name, '--name', 'one')
    assert sorted(r['name'] for r in admin.rows('md-tag-list', name)) == [
        'one', 'three', 'two']
    admin.run('md-tag-update', name, 'one', '--name', 'uno')
    assert admin.table('md-tag-show', name, 'uno')['name'] == 'uno'
    admin.run('md-tag-delete', name, 'uno')
    admin.run('md-namespace-tags-delete', name)
    assert admin.rows('md-tag-list', name) == []

    admin.run('md-namespace-update', name, '--visibility', 'private')
    gone = member.run('md-namespace-show', name, check=False)
    assert gone.returncode != 0 and 'not found' in gone.stderr.lower()

    admin.run('md-object-delete', name, 'Console')
    admin.run('md-property-delete', name, 'disk_bus')
    admin.run('md-namespace-objects-delete', name)
    admin.run('md-namespace-properties-delete', name)
    admin.run('md-resource-type-deassociate', name, 'OS::Glance::Image')
    admin.run('md-namespace-delete', name)
    assert name not in [r['namespace'] for r in admin.rows('md-namespace-list')]
