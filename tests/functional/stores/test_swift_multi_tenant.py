"""Multi-tenant Swift (swift_store_multi_tenant = True) end to end: glance-api with
auth_strategy = keystone in front of the Keystone-backed Swift (tests/store_backends.py
swift_keystone). Users of two projects upload and download with python-glanceclient and
openstacksdk, as in a real cloud; each image's data sits in the uploading project's own Swift
account, in a container of its own (swift_store_container + "_" + image id) whose ACLs name
swift_store_admin_tenants, the projects the image is shared with, or every project for a
public image; a delete removes the container.
"""

import hashlib
import io
import os

import glanceclient
import openstack.connection
import pytest
import requests
import swiftclient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional import daemons
from tests.keystone_fixture import load_tool

MIB = 1024 * 1024
PREFIX = 'mt'


def password_auth(info, user):
    who = info['users'][user]
    return {'auth_url': info['auth_url'], 'username': who['name'],
            'password': who['password'], 'project_name': who['project'],
            'user_domain_name': info['user_domain_name'],
            'project_domain_name': info['project_domain_name']}


@pytest.fixture(scope='module')
def mt_glance(keystone, swift_keystone, tmp_path_factory):
    daemons.check_rabbitmq()
    workdir = tmp_path_factory.mktemp('glance-swift-mt')
    admin_project = keystone.info['users']['admin']['project_id']
    # Owners may make their images public here, so that the public read ACL is set with
    # the owner's token (an admin's token cannot change ACLs in another project's account).
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text('"publicize_image": "role:member"\n')
    options = {'oslo_policy': {'policy_file': str(policy_file)}, 'glance_store': {
        'stores': 'file,swift', 'default_store': 'swift',
        'swift_store_multi_tenant': 'True', 'swift_store_container': PREFIX,
        'swift_store_admin_tenants': admin_project, 'swift_store_use_trusts': 'False',
        'swift_store_large_object_size': '2', 'swift_store_large_object_chunk_size': '1'}}
    service = daemons.GlanceService(
        workdir / 'service', 'sqlite:///%s' % (workdir / 'glance.sqlite'), name='swift-mt',
        auth=load_tool().authtoken_options(keystone.info), extra_api_options=options)
    service.start()
    keystone.set_image_url(service.base_url)
    try:
        yield service
    finally:
        service.stop()


def account(keystone, swift_keystone, user):
    """A swiftclient Connection to ``user``'s own project account, with their token."""
    who = keystone.info['users'][user]
    token = load_tool().issue_token(keystone.info['auth_url'], who['name'], who['password'],
                                    who['project'])[0]
    storage_url = swift_keystone.info['endpoint_template'] % {'project_id': who['project_id']}
    return swiftclient.Connection(preauthurl=storage_url, preauthtoken=token, retries=0)


def container_of(conn, image_id):
    try:
        headers, listing = conn.get_container(f'{PREFIX}_{image_id}')
    except swiftclient.ClientException as exc:
        if exc.http_status == 404:
            return None, None
        raise
    return headers, sorted(o['name'] for o in listing)


def test_glanceclient_upload_lands_in_the_users_account(keystone, swift_keystone,
                                                        mt_glance):
    info = keystone.info
    session = ks_session.Session(auth=v3.Password(**password_auth(info, 'member-a')))
    client = glanceclient.Client('2', session=session, region_name=info['region'])
    data = os.urandom(3 * MIB + 5)   # above the 2 MiB large object size: 1 MiB segments
    image = client.images.create(name='mt-segments', disk_format='raw',
                                 container_format='bare')
    client.images.upload(image.id, io.BytesIO(data))
    shown = client.images.get(image.id)
    assert shown.status == 'active' and shown.size == len(data)
    assert shown.checksum == hashlib.md5(data).hexdigest()
    assert b''.join(client.images.data(image.id)) == data

    own = account(keystone, swift_keystone, 'member-a')
    headers, names = container_of(own, image.id)
    assert names == [image.id] + [f'{image.id}-{n:05d}' for n in (1, 2, 3, 4)]
    admin_project = info['users']['admin']['project_id']
    assert headers.get('x-container-read') == f'{admin_project}:*'
    assert headers.get('x-container-write') == f'{admin_project}:*'
    # Not in project-b's account, and project-b's user cannot read it through Swift.
    other = account(keystone, swift_keystone, 'member-b')
    assert container_of(other, image.id) == (None, None)

    # A range across segments, with the user's token, straight through the api.
    response = requests.get(f'{mt_glance.base_url}/v2/images/{image.id}/file',
                            headers={'X-Auth-Token': session.get_token(),
                                     'Range': f'bytes={MIB - 3}-{2 * MIB + 2}'}, timeout=30)
    assert response.status_code == 206
    assert response.content == data[MIB - 3:2 * MIB + 3]

    client.images.delete(image.id)
    assert container_of(own, image.id) == (None, None)


def test_openstacksdk_small_image_in_its_own_container(keystone, swift_keystone, mt_glance):
    info = keystone.info
    conn = openstack.connection.Connection(
        auth=password_auth(info, 'member-b'), auth_type='password',
        region_name=info['region'], identity_api_version='3', image_api_version='2')
    try:
        data = os.urandom(300 * 1024 + 1)
        image = conn.image.create_image(
            name='mt-small', data=data, disk_format='raw', container_format='bare',
            allow_duplicates=True, validate_checksum=True)
        assert conn.image.get_image(image.id).status == 'active'
        own = account(keystone, swift_keystone, 'member-b')
        _, names = container_of(own, image.id)
        assert names == [image.id]
        response = conn.image.download_image(image, stream=True)
        try:
            assert b''.join(response.iter_content(chunk_size=64 * 1024)) == data
        finally:
            response.close()
        conn.image.delete_image(image)
        assert container_of(own, image.id) == (None, None)
    finally:
        conn.close()


def test_a_failed_upload_leaves_no_container(keystone, swift_keystone, mt_glance):
    info = keystone.info
    session = ks_session.Session(auth=v3.Password(**password_auth(info, 'member-a')))
    token = session.get_token()
    base = mt_glance.base_url
    created = requests.post(f'{base}/v2/images', json={
        'name': 'mt-cut', 'disk_format': 'raw', 'container_format': 'bare'},
        headers={'X-Auth-Token': token}, timeout=30).json()
    # The announced size does not match the body: 400 once the body ends, after segments
    # went up.
    response = requests.put(f'{base}/v2/images/{created["id"]}/file',
                            data=os.urandom(3 * MIB),
                            headers={'X-Auth-Token': token,
                                     'Content-Type': 'application/octet-stream',
                                     'x-openstack-image-size': str(4 * MIB)}, timeout=60)
    assert response.status_code == 400, response.text
    assert requests.get(f'{base}/v2/images/{created["id"]}', headers={
        'X-Auth-Token': token}, timeout=30).json()['status'] == 'queued'
    own = account(keystone, swift_keystone, 'member-a')
    assert container_of(own, created['id']) == (None, None)


def test_deleting_a_queued_image_removes_a_lost_uploads_segments(keystone, swift_keystone,
                                                                  mt_glance):
    """Segments an upload whose host went down left in the user's account (put here by
    hand) go, with the image's container, when the image is deleted with the user's token."""
    info = keystone.info
    session = ks_session.Session(auth=v3.Password(**password_auth(info, 'member-a')))
    client = glanceclient.Client('2', session=session, region_name=info['region'])
    image = client.images.create(name='mt-lost', disk_format='raw', container_format='bare')
    own = account(keystone, swift_keystone, 'member-a')
    own.put_container(f'{PREFIX}_{image.id}')
    own.put_object(f'{PREFIX}_{image.id}', f'{image.id}-00001', b'x' * 100)
    client.images.delete(image.id)
    assert container_of(own, image.id) == (None, None)


def _client(info, user):
    session = ks_session.Session(auth=v3.Password(**password_auth(info, user)))
    return session, glanceclient.Client('2', session=session, region_name=info['region'])


def _api_download(base_url, session, image_id):
    return requests.get(f'{base_url}/v2/images/{image_id}/file',
                        headers={'X-Auth-Token': session.get_token()}, timeout=30)


def test_a_shared_image_is_readable_by_its_member_project(keystone, swift_keystone,
                                                          mt_glance):
    info = keystone.info
    _, owner = _client(info, 'member-a')
    b_session, member = _client(info, 'member-b')
    b_project = info['users']['member-b']['project_id']
    admin_project = info['users']['admin']['project_id']
    data = os.urandom(2 * MIB + 7)   # segments and a manifest: both must be readable
    image = owner.images.create(name='mt-shared', disk_format='raw', container_format='bare',
                                visibility='shared')
    owner.images.upload(image.id, io.BytesIO(data))
    try:
        # Not shared yet: project-b does not see the image at all.
        assert _api_download(mt_glance.base_url, b_session, image.id).status_code == 404

        owner.image_members.create(image.id, b_project)
        member.image_members.update(image.id, b_project, 'accepted')
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert sorted(headers['x-container-read'].split(',')) == sorted(
            [f'{b_project}:*', f'{admin_project}:*'])
        assert headers['x-container-write'] == f'{admin_project}:*'
        assert b''.join(member.images.data(image.id)) == data

        # Removed from the members: the image and its data are out of reach again, and
        # the container no longer names project-b.
        owner.image_members.delete(image.id, b_project)
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert headers['x-container-read'] == f'{admin_project}:*'
        assert _api_download(mt_glance.base_url, b_session, image.id).status_code == 404
    finally:
        owner.images.delete(image.id)


def test_a_public_image_is_readable_by_every_project(keystone, swift_keystone, mt_glance):
    info = keystone.info
    _, owner = _client(info, 'member-a')
    b_session, other = _client(info, 'member-b')
    admin_project = info['users']['admin']['project_id']
    data = os.urandom(300 * 1024 + 3)
    image = owner.images.create(name='mt-public', disk_format='raw', container_format='bare')
    owner.images.upload(image.id, io.BytesIO(data))
    try:
        assert _api_download(mt_glance.base_url, b_session, image.id).status_code == 404
        owner.images.update(image.id, visibility='public')
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert headers['x-container-read'] == '*:*'
        assert b''.join(other.images.data(image.id)) == data

        # Private again: the read ACL goes back to the admin tenants alone.
        owner.images.update(image.id, visibility='private')
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert headers['x-container-read'] == f'{admin_project}:*'
    finally:
        owner.images.delete(image.id)


def test_an_image_shared_before_its_upload_is_readable_once_active(keystone, swift_keystone,
                                                                   mt_glance):
    """The ACLs are set when the upload makes the image active, as upstream on save."""
    info = keystone.info
    _, owner = _client(info, 'member-a')
    _, member = _client(info, 'member-b')
    b_project = info['users']['member-b']['project_id']
    image = owner.images.create(name='mt-early', disk_format='raw', container_format='bare',
                                visibility='shared')
    try:
        owner.image_members.create(image.id, b_project)
        data = os.urandom(64 * 1024)
        owner.images.upload(image.id, io.BytesIO(data))
        # Pending (not yet accepted) members may already download by id, as upstream.
        assert b''.join(member.images.data(image.id)) == data
    finally:
        owner.images.delete(image.id)


def test_an_acl_swift_does_not_apply_is_a_warning_not_a_failed_request(keystone,
                                                                       swift_keystone,
                                                                       mt_glance):
    """An admin of another project publicizes project-a's image: the image is public (the
    request succeeds, as upstream), but Swift keeps the account owner's ACLs (it drops ACL
    headers from a non-owner), and glance-api says so in its log with the image and store."""
    info = keystone.info
    _, owner = _client(info, 'member-a')
    _, admin = _client(info, 'admin')
    admin_project = info['users']['admin']['project_id']
    image = owner.images.create(name='mt-admin-public', disk_format='raw',
                                container_format='bare')
    owner.images.upload(image.id, io.BytesIO(os.urandom(1000)))
    try:
        assert admin.images.update(image.id, visibility='public').visibility == 'public'
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert headers['x-container-read'] == f'{admin_project}:*'
        log = mt_glance.api.log_text()
        assert (f'Image {image.id}: could not set the read ACLs of its data in store swift'
                in log), log[-3000:]
    finally:
        owner.images.delete(image.id)
