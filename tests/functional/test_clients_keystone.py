"""python-glanceclient (library and CLI) and openstacksdk log in to Keystone with a username
and password, find glance-api in the service catalog, and use it.

No endpoint override and no bare token: the clients do what they do in a real cloud.
"""

import hashlib
import io
import os
import subprocess

import glanceclient
import openstack.connection
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional import daemons
from tests.functional.test_keystone_auth import keystone_glance  # noqa: F401  (fixture)
from tests.keystone_fixture import keystone  # noqa: F401  (the session fixture)

CLI_TIMEOUT = 120


def password_auth(info, user):
    who = info['users'][user]
    return {'auth_url': info['auth_url'], 'username': who['name'],
            'password': who['password'], 'project_name': who['project'],
            'user_domain_name': info['user_domain_name'],
            'project_domain_name': info['project_domain_name']}


def test_glanceclient_library_with_a_keystone_session(keystone, keystone_glance):  # noqa: F811
    info = keystone.info
    session = ks_session.Session(auth=v3.Password(**password_auth(info, 'member-a')))
    # The endpoint comes from the token's catalog, as in a real cloud.
    assert session.get_endpoint(service_type='image', interface='public') == \
        keystone_glance.base_url
    client = glanceclient.Client('2', session=session, region_name=info['region'])
    data = os.urandom(300 * 1024 + 7)

    image = client.images.create(name='glanceclient-keystone', disk_format='raw',
                                 container_format='bare', visibility='private')
    client.images.upload(image.id, io.BytesIO(data))

    shown = client.images.get(image.id)
    assert shown.status == 'active'
    assert shown.owner == info['users']['member-a']['project_id']
    assert shown.checksum == hashlib.md5(data).hexdigest()
    assert image.id in [i.id for i in client.images.list()]
    assert b''.join(client.images.data(image.id)) == data

    # The same library as a project-b member: the private image does not exist for it.
    other = glanceclient.Client('2', session=ks_session.Session(
        auth=v3.Password(**password_auth(info, 'member-b'))), region_name=info['region'])
    assert image.id not in [i.id for i in other.images.list()]
    client.images.delete(image.id)


def test_openstacksdk_with_username_and_password(keystone, keystone_glance):  # noqa: F811
    info = keystone.info
    conn = openstack.connection.Connection(
        auth=password_auth(info, 'member-b'), auth_type='password',
        region_name=info['region'], identity_api_version='3', image_api_version='2')
    try:
        data = os.urandom(1024 * 1024 + 11)
        image = conn.image.create_image(
            name='sdk-keystone', data=data, disk_format='raw', container_format='bare',
            visibility='private', allow_duplicates=True, validate_checksum=True)
        fetched = conn.image.get_image(image.id)
        assert fetched.status == 'active'
        assert fetched.owner == info['users']['member-b']['project_id']
        assert fetched.size == len(data)
        assert image.id in [i.id for i in conn.image.images()]
        response = conn.image.download_image(image, stream=True)
        try:
            received = b''.join(response.iter_content(chunk_size=256 * 1024))
        finally:
            response.close()
        assert hashlib.sha512(received).hexdigest() == fetched.hash_value
        assert received == data
        conn.image.delete_image(image)
        assert conn.image.find_image(image.id) is None
    finally:
        conn.close()


def _close_stdin():
    os.close(0)


def test_glance_cli_with_os_auth_options(keystone, keystone_glance, tmp_path):  # noqa: F811
    info = keystone.info
    auth = password_auth(info, 'member-a')
    argv = [daemons.console_script('glance'), '--os-auth-url', auth['auth_url'],
            '--os-username', auth['username'], '--os-password', auth['password'],
            '--os-project-name', auth['project_name'],
            '--os-user-domain-name', auth['user_domain_name'],
            '--os-project-domain-name', auth['project_domain_name'],
            '--os-region-name', info['region'], '--os-image-api-version', '2']
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['HOME'] = str(tmp_path)

    def glance(*args):
        result = subprocess.run([*argv, *args], env=env, capture_output=True, text=True,
                                timeout=CLI_TIMEOUT, preexec_fn=_close_stdin)
        assert result.returncode == 0, f'glance {args}:\n{result.stdout}\n{result.stderr}'
        return result.stdout

    data = os.urandom(200 * 1024 + 1)
    source = tmp_path / 'source.raw'
    source.write_bytes(data)
    created = glance('image-create', '--name', 'cli-keystone', '--disk-format', 'raw',
                     '--container-format', 'bare', '--file', str(source))
    image_id = next(line.split('|')[2].strip() for line in created.splitlines()
                    if line.startswith('| id '))
    assert image_id in glance('image-list')
    target = tmp_path / 'downloaded.raw'
    glance('image-download', '--file', str(target), image_id)
    assert target.read_bytes() == data
    glance('image-delete', image_id)


@pytest.fixture(autouse=True)
def _catalog_points_at_this_modules_service(keystone, keystone_glance):  # noqa: F811
    # The catalog is session-wide; another module may have moved it to its own service.
    keystone.set_image_url(keystone_glance.base_url)
