"""Image locations on the real daemons (issue 11), driven as users drive them: the glance CLI
(location-add / location-update / location-delete, the legacy PATCH; add-location, the 2.17
POST /locations) and openstacksdk (add_image_location, image_locations).

The api runs two stores, fast:file and web:http (the loopback HTTP server of
tests/store_backends.py), with show_multiple_locations and show_image_direct_url on. An image
given an http location goes active without an upload, names the web store in ``stores``
and downloads the server's bytes (glanceclient checks them against the checksum).
"""

import hashlib
import json
import time

import openstack.connection
import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from tests.functional import daemons
from tests.functional.test_glanceclient_cli import GlanceCli
from tests.store_backends import http_server  # noqa: F401  (the session fixture)

DATA = bytes(range(256)) * 2048 + b'located'
MD5 = hashlib.md5(DATA).hexdigest()
SHA512 = hashlib.sha512(DATA).hexdigest()
# The glance CLI sends no roles (an ordinary member under noauth): removing a location is
# the admin's by default, opened to members in this service's policy file.
POLICY = {'delete_image_location': 'role:member'}
PROJECT = 'locations-project'
MEMBER = daemons.project_headers(PROJECT)
SERVICE = daemons.project_headers(PROJECT, roles='member,reader,service')
ADMIN = daemons.project_headers('admin-project', roles='admin')


@pytest.fixture(scope='module')
def service(tmp_path_factory, http_server):  # noqa: F811
    workdir = tmp_path_factory.mktemp('locations')
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text(json.dumps(POLICY))
    options = {
        'DEFAULT': {'enabled_backends': 'fast:file, web:http',
                    'show_multiple_locations': 'true', 'show_image_direct_url': 'true'},
        'glance_store': {'default_backend': 'fast'},
        'fast': {'filesystem_store_datadir': str(workdir / 'fast')},
        'oslo_policy': {'policy_file': str(policy_file)},
    }
    with daemons.private_service(workdir, extra_api_options=options) as running:
        yield running


@pytest.fixture(scope='module')
def located(http_server):  # noqa: F811
    """The URL of DATA on the HTTP server."""
    return http_server.add_file('locations/disk.raw', DATA)


@pytest.fixture
def cli(service, tmp_path):
    return GlanceCli(service, tmp_path)


def _create(cli):
    return cli.table('image-create', '--name', 'by-location', '--disk-format', 'raw',
                     '--container-format', 'bare')


def _show(service, image_id, headers=ADMIN):
    return requests.get(f'{service.base_url}/v2/images/{image_id}', headers=headers,
                        timeout=30).json()


def _wait_for(service, image_id, status, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        image = _show(service, image_id)
        if image['status'] == status or time.monotonic() > deadline:
            return image
        time.sleep(0.2)


def test_location_add_update_delete_with_the_glance_cli(cli, service, located, tmp_path):
    image = _create(cli)
    assert image['status'] == 'queued' and image['locations'] == '[]'
    cli.run('location-add', '--url', located, '--metadata', '{"foo": "bar"}',
            '--checksum', MD5, '--hash-algo', 'sha512', '--hash-value', SHA512, image['id'])
    shown = _show(service, image['id'])
    assert shown['status'] == 'active' and shown['size'] == len(DATA)
    assert (shown['checksum'], shown['os_hash_value']) == (MD5, SHA512)
    assert shown['stores'] == 'web' and shown['direct_url'] == located
    assert shown['locations'] == [{'url': located, 'metadata': {'foo': 'bar', 'store': 'web'}}]
    out = tmp_path / 'out.raw'
    cli.run('image-download', '--file', str(out), image['id'])
    assert out.read_bytes() == DATA

    second = located + '?copy=2'
    cli.run('location-add', '--url', second, '--metadata', '{}', image['id'])
    cli.run('location-update', '--url', second, '--metadata', '{"speed": "88mph"}',
            image['id'])
    shown = _show(service, image['id'])
    assert [loc['url'] for loc in shown['locations']] == [located, second]
    assert shown['locations'][1]['metadata'] == {'speed': '88mph', 'store': 'web'}

    cli.run('location-delete', '--url', located, image['id'])
    shown = _show(service, image['id'])
    assert [loc['url'] for loc in shown['locations']] == [second]
    assert shown['direct_url'] == second and shown['status'] == 'active'
    # The last location stays (403).
    last = cli.run('location-delete', '--url', second, image['id'], check=False)
    assert last.returncode != 0 and 'Cannot remove last location' in last.stderr


def test_a_location_glimpse_cannot_use_is_400(cli, service, http_server):  # noqa: F811
    image = _create(cli)
    posted_to = requests.post(f'{service.base_url}/v2/images', headers=SERVICE, timeout=30,
                              json={'disk_format': 'raw', 'container_format': 'bare'}).json()
    for url in ('gopher://info.cern.ch/', f'{http_server.url}/locations/never-there',
                'file:///etc/passwd'):
        refused = cli.run('location-add', '--url', url, image['id'], check=False)
        assert refused.returncode != 0 and 'Invalid location' in refused.stderr, url
        posted = requests.post(f'{service.base_url}/v2/images/{posted_to["id"]}/locations',
                               json={'url': url}, headers=SERVICE, timeout=30)
        assert posted.status_code == 400, (url, posted.text)
    for image_id in (image['id'], posted_to['id']):
        shown = _show(service, image_id)
        assert shown['status'] == 'queued' and shown['locations'] == []


def test_add_location_2_17_with_the_glance_cli_checks_the_hash(cli, service, located):
    image = _create(cli)
    cli.run('add-location', '--url', located, '--validation-data',
            json.dumps({'os_hash_algo': 'sha512', 'os_hash_value': SHA512}), image['id'])
    shown = _wait_for(service, image['id'], 'active')
    assert shown['status'] == 'active', shown
    assert (shown['checksum'], shown['os_hash_value'], shown['size']) == \
        (MD5, SHA512, len(DATA))
    assert shown['stores'] == 'web'

    # A hash the data does not have: the image is queued again without hashes and its
    # location_import task failed (the http location stays, as upstream's does).
    wrong = _create(cli)
    cli.run('add-location', '--url', located, '--validation-data',
            json.dumps({'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 32}), wrong['id'])
    deadline = time.monotonic() + 30
    while True:
        tasks = requests.get(f'{service.base_url}/v2/images/{wrong["id"]}/tasks',
                             headers=ADMIN, timeout=30).json()['tasks']
        if tasks and tasks[0]['status'] != 'processing':
            break
        assert time.monotonic() < deadline, tasks
        time.sleep(0.2)
    assert [(t['type'], t['status']) for t in tasks] == [('location_import', 'failure')]
    shown = _show(service, wrong['id'])
    assert shown['status'] == 'queued' and shown['os_hash_value'] is None
    assert shown['checksum'] is None and shown['stores'] == 'web'


def _service_connection(service):
    session = ks_session.Session(auth=token_endpoint.Token(service.base_url, 'x'),
                                 additional_headers=SERVICE)
    return openstack.connection.Connection(session=session,
                                           image_endpoint_override=service.base_url,
                                           image_api_version='2')


def test_openstacksdk_adds_and_lists_locations(service, located):
    conn = _service_connection(service)
    image = conn.image.create_image(name='sdk-location', disk_format='raw',
                                    container_format='bare')
    conn.image.add_image_location(image, located)
    shown = _wait_for(service, image.id, 'active')
    assert shown['status'] == 'active'
    # Without validation data the hashes come once the data was read.
    deadline = time.monotonic() + 30
    while shown['os_hash_value'] is None:
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
        shown = _show(service, image.id)
    assert (shown['checksum'], shown['os_hash_value']) == (MD5, SHA512)
    assert [loc.url for loc in conn.image.image_locations(image)] == [located]
    # The list is the service's: an ordinary member is refused.
    assert requests.get(f'{service.base_url}/v2/images/{image.id}/locations',
                        headers=MEMBER, timeout=30).status_code == 403
