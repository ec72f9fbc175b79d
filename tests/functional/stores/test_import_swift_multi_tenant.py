"""glance-direct import into a multi-tenant Swift store (issue 12): glance-api with
auth_strategy = keystone in front of the Keystone-backed Swift; the import's work writes
with the caller's token, so the data lands in the importing project's own account."""

import os
import time

import openstack.connection
import pytest

from tests.functional import daemons
from tests.functional.stores.test_swift_multi_tenant import PREFIX
from tests.functional.stores.test_swift_multi_tenant import account
from tests.functional.stores.test_swift_multi_tenant import container_of
from tests.functional.stores.test_swift_multi_tenant import password_auth
from tests.keystone_fixture import load_tool


@pytest.fixture(scope='module')
def mt_import_glance(keystone, swift_keystone, tmp_path_factory):
    daemons.check_rabbitmq()
    workdir = tmp_path_factory.mktemp('glance-swift-mt-import')
    options = {
        'DEFAULT': {'node_staging_uri': 'file://%s' % (workdir / 'staging')},
        'glance_store': {'stores': 'file,swift', 'default_store': 'swift',
                         'swift_store_multi_tenant': 'True',
                         'swift_store_container': PREFIX,
                         'swift_store_use_trusts': 'False'}}
    service = daemons.GlanceService(
        workdir / 'service', 'sqlite:///%s' % (workdir / 'glance.sqlite'),
        name='swift-mt-import', auth=load_tool().authtoken_options(keystone.info),
        extra_api_options=options)
    service.start()
    keystone.set_image_url(service.base_url)
    try:
        yield service
    finally:
        service.stop()


def test_glance_direct_import_lands_in_the_users_account(keystone, swift_keystone,
                                                         mt_import_glance):
    info = keystone.info
    conn = openstack.connection.Connection(
        auth=password_auth(info, 'member-a'), auth_type='password',
        region_name=info['region'], identity_api_version='3', image_api_version='2')
    try:
        data = os.urandom(256 * 1024 + 3)
        image = conn.image.create_image(name='mt-import', disk_format='raw',
                                        container_format='bare', allow_duplicates=True)
        image.data = data
        conn.image.stage_image(image)
        conn.image.import_image(image, method='glance-direct')
        deadline = time.monotonic() + 60
        while conn.image.get_image(image.id).status != 'active':
            assert time.monotonic() < deadline, conn.image.get_image(image.id)
            time.sleep(0.3)
        _, names = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert names == [image.id]
        response = conn.image.download_image(image, stream=True)
        try:
            assert b''.join(response.iter_content(chunk_size=64 * 1024)) == data
        finally:
            response.close()
        conn.image.delete_image(image)
    finally:
        conn.close()


def test_an_import_makes_a_shared_images_data_readable_by_its_members(keystone,
                                                                      swift_keystone,
                                                                      mt_import_glance):
    """The read ACLs are set when the import makes the image active (as upstream): a project
    the image was shared with before it had data downloads it."""
    info = keystone.info
    owner = openstack.connection.Connection(
        auth=password_auth(info, 'member-a'), auth_type='password',
        region_name=info['region'], identity_api_version='3', image_api_version='2')
    member = openstack.connection.Connection(
        auth=password_auth(info, 'member-b'), auth_type='password',
        region_name=info['region'], identity_api_version='3', image_api_version='2')
    b_project = info['users']['member-b']['project_id']
    try:
        image = owner.image.create_image(name='mt-import-shared', disk_format='raw',
                                         container_format='bare', visibility='shared',
                                         allow_duplicates=True)
        owner.image.add_member(image, member_id=b_project)
        data = os.urandom(100 * 1024 + 1)
        image.data = data
        owner.image.stage_image(image)
        owner.image.import_image(image, method='glance-direct')
        deadline = time.monotonic() + 60
        while owner.image.get_image(image.id).status != 'active':
            assert time.monotonic() < deadline, owner.image.get_image(image.id)
            time.sleep(0.3)
        headers, _ = container_of(account(keystone, swift_keystone, 'member-a'), image.id)
        assert headers['x-container-read'] == f'{b_project}:*'
        response = member.image.download_image(image.id, stream=True)
        try:
            assert b''.join(response.iter_content(chunk_size=64 * 1024)) == data
        finally:
            response.close()
        owner.image.delete_image(image)
    finally:
        owner.close()
        member.close()
