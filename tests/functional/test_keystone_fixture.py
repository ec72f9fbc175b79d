"""The session Keystone (tests/keystone_fixture.py) gives the identities the auth tests need.

Talks to it the way glance-api and the clients will: keystoneauth1 password logins, and
keystone's token validation API as keystonemiddleware calls it.
"""

import time

import pytest
import requests
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.keystone_fixture import PLACEHOLDER_IMAGE_URL
from tests.keystone_fixture import keystone  # noqa: F401  (the session fixture)


def login(info, user, auth_url=None):
    """keystoneauth1's password plugin for USER, scoped to the user's project."""
    who = info['users'][user]
    auth = v3.Password(auth_url=auth_url or info['auth_url'], username=who['name'],
                       password=who['password'], project_name=who['project'],
                       user_domain_name=info['user_domain_name'],
                       project_domain_name=info['project_domain_name'])
    sess = ks_session.Session(auth=auth)
    return sess, auth.get_access(sess)


def validate(info, subject_token):
    """Keystone's answer to a validation, as the glance service user asks for it."""
    sess, _ = login(info, 'glance')
    return requests.get(f'{info["auth_url"]}/auth/tokens', timeout=10, headers={
        'X-Auth-Token': sess.get_token(), 'X-Subject-Token': subject_token})


def test_member_of_project_a_gets_a_project_a_token_with_member_role(keystone):  # noqa: F811
    info = keystone.info
    _, access = login(info, 'member-a')
    assert access.project_id == info['projects']['project-a']
    assert access.project_name == 'project-a'
    assert access.user_id == info['users']['member-a']['id']
    # member implies reader in keystone's default role hierarchy.
    assert 'member' in access.role_names
    assert 'admin' not in access.role_names


def test_reader_gets_the_reader_role_only(keystone):  # noqa: F811
    _, access = login(keystone.info, 'reader-b')
    assert access.role_names == ['reader']
    assert access.project_id == keystone.info['projects']['project-b']


def test_glance_service_user_is_admin_of_the_service_project(keystone):  # noqa: F811
    _, access = login(keystone.info, 'glance')
    assert access.project_name == 'service'
    assert {'admin', 'service'} <= set(access.role_names)


def test_catalog_lists_the_image_endpoint_on_every_interface(keystone):  # noqa: F811
    _, access = login(keystone.info, 'member-a')
    for interface in ('public', 'internal', 'admin'):
        url = access.service_catalog.url_for(service_type='image', interface=interface,
                                             region_name=keystone.info['region'])
        assert url == PLACEHOLDER_IMAGE_URL


def test_set_image_url_moves_the_endpoint(keystone):  # noqa: F811
    moved = 'http://127.0.0.1:1/moved'
    keystone.set_image_url(moved)
    try:
        _, access = login(keystone.info, 'reader-a')
        assert access.service_catalog.url_for(service_type='image') == moved
    finally:
        keystone.set_image_url(PLACEHOLDER_IMAGE_URL)


def test_wrong_password_is_refused(keystone):  # noqa: F811
    auth = v3.Password(auth_url=keystone.info['auth_url'], username='member-a',
                       password='not-the-password', project_name='project-a',
                       user_domain_name='Default', project_domain_name='Default')
    with pytest.raises(ks_exceptions.Unauthorized):
        auth.get_access(ks_session.Session(auth=auth))


def test_a_real_token_validates_and_a_garbage_one_does_not(keystone):  # noqa: F811
    sess, _ = login(keystone.info, 'member-a')
    good = validate(keystone.info, sess.get_token())
    assert good.status_code == 200
    assert good.json()['token']['project']['name'] == 'project-a'
    assert validate(keystone.info, 'gAAAAAgarbage-token').status_code == 404


def test_short_lived_token_is_valid_then_expired(keystone):  # noqa: F811
    """How auth tests get an expired token: the short-token server, then a short wait."""
    info = keystone.info
    sess, access = login(info, 'member-a', auth_url=info['short_auth_url'])
    token = sess.get_token()
    lifetime = (access.expires - access.issued).total_seconds()
    assert lifetime <= info['short_token_seconds']
    # The main server accepts it while it lives: same fernet keys, same database.
    assert validate(info, token).status_code == 200
    time.sleep(info['short_token_seconds'] + 1)
    assert validate(info, token).status_code == 404
