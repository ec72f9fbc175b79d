"""glance-api with auth_strategy = keystone, against the real session Keystone.

Every request carries a real token from a password login (tools/keystone.py's users:
member-a / reader-a in project-a, member-b / reader-b in project-b, admin). Keystone's
auth_token validates it; the policy (upstream's defaults, from an operator's policy.yaml)
and the registry's ownership rules decide the rest.
"""

import hashlib
import json
import os
import time

import pytest
import requests

from api_service import policy
from tests.functional import daemons
from tests.keystone_fixture import keystone  # noqa: F401  (the session fixture)
from tests.keystone_fixture import load_tool

TIMEOUT = 30
JSON_PATCH = 'application/openstack-images-v2.1-json-patch'
OCTET = 'application/octet-stream'


@pytest.fixture(scope='module')
def keystone_glance(keystone, tmp_path_factory):  # noqa: F811
    """glance-api (keystone auth, policy.yaml) + one registry on SQLite, in the catalog."""
    daemons.check_rabbitmq()
    workdir = tmp_path_factory.mktemp('keystone-glance')
    policy_file = workdir / 'policy.yaml'
    policy_file.write_text('# upstream defaults\n{}\n')
    service = daemons.GlanceService(
        workdir / 'service', 'sqlite:///%s' % (workdir / 'glance.sqlite'), name='keystone',
        auth=load_tool().authtoken_options(keystone.info),
        extra_api_options={'oslo_policy': {'policy_file': str(policy_file)}})
    service.policy_file = policy_file
    service.start()
    keystone.set_image_url(service.base_url)
    yield service
    service.stop()


class Caller:
    """One Keystone user talking to glance-api with a token from a password login."""

    def __init__(self, info, base_url, user, token=None):
        who = info['users'][user]
        self.user = user
        self.project_id = who['project_id']
        self.base_url = base_url
        self.token = token or load_tool().issue_token(
            info['auth_url'], who['name'], who['password'], who['project'])[0]

    def request(self, method, path, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token is not None:
            headers['X-Auth-Token'] = self.token
        return requests.request(method, self.base_url + path, headers=headers,
                                timeout=TIMEOUT, **kwargs)

    def create(self, **body):
        body.setdefault('disk_format', 'raw')
        body.setdefault('container_format', 'bare')
        return self.request('POST', '/v2/images', json=body)

    def patch(self, image_id, ops):
        return self.request('PATCH', f'/v2/images/{image_id}', data=json.dumps(ops),
                            headers={'Content-Type': JSON_PATCH})

    def upload(self, image_id, data):
        return self.request('PUT', f'/v2/images/{image_id}/file', data=data,
                            headers={'Content-Type': OCTET})

    def download(self, image_id):
        return self.request('GET', f'/v2/images/{image_id}/file')

    def list_ids(self):
        response = self.request('GET', '/v2/images?limit=1000')
        assert response.status_code == 200, response.text
        return [i['id'] for i in response.json()['images']]


@pytest.fixture(scope='module')
def callers(keystone, keystone_glance):  # noqa: F811
    info = keystone.info
    return {user: Caller(info, keystone_glance.base_url, user)
            for user in ('admin', 'member-a', 'reader-a', 'member-b', 'reader-b')}


@pytest.fixture
def image_of_a(callers):
    """An active private image of project-a, uploaded by member-a."""
    data = os.urandom(64 * 1024 + 3)
    member = callers['member-a']
    created = member.create(name='image-of-a', visibility='private')
    assert created.status_code == 201, created.text
    image_id = created.json()['id']
    assert member.upload(image_id, data).status_code == 204
    return image_id, data


def replace(name, value):
    return [{'op': 'replace', 'path': '/' + name, 'value': value}]


def test_member_of_project_a_creates_and_uploads(callers, image_of_a):
    image_id, data = image_of_a
    member = callers['member-a']
    shown = member.request('GET', f'/v2/images/{image_id}').json()
    assert shown['status'] == 'active'
    assert shown['owner'] == member.project_id
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    downloaded = member.download(image_id)
    assert downloaded.status_code == 200
    assert downloaded.content == data


def test_member_of_project_b_cannot_see_project_as_image(callers, image_of_a):
    image_id, _ = image_of_a
    other = callers['member-b']
    assert other.request('GET', f'/v2/images/{image_id}').status_code == 404
    assert other.download(image_id).status_code == 404
    assert other.patch(image_id, replace('name', 'mine')).status_code == 404
    assert other.request('DELETE', f'/v2/images/{image_id}').status_code == 404
    assert image_id not in other.list_ids()
    assert image_id not in callers['reader-b'].list_ids()


def test_reader_lists_and_shows_but_cannot_create_or_update(callers, image_of_a):
    image_id, _ = image_of_a
    reader = callers['reader-a']
    assert image_id in reader.list_ids()
    assert reader.request('GET', f'/v2/images/{image_id}').status_code == 200
    created = reader.create(name='by-a-reader')
    assert created.status_code == 403
    assert 'add_image' in created.json()['error']['message']
    updated = reader.patch(image_id, replace('name', 'renamed'))
    assert updated.status_code == 403
    assert reader.request('DELETE', f'/v2/images/{image_id}').status_code == 403
    assert reader.request('PUT', f'/v2/images/{image_id}/tags/t').status_code == 403
    # Readers download by Glimpse's default (upstream asks for role:member; see
    # test_policy_override_changes_outcomes_without_code_changes for that rule).
    downloaded = reader.download(image_id)
    assert downloaded.status_code == 200
    assert downloaded.content == image_of_a[1]
    assert callers['member-a'].request('GET', f'/v2/images/{image_id}').json()['name'] == \
        'image-of-a'


def test_admin_can_read_and_change_any_projects_image(callers, image_of_a):
    image_id, data = image_of_a
    admin = callers['admin']
    assert image_id in admin.list_ids()
    assert admin.download(image_id).content == data
    response = admin.patch(image_id, replace('name', 'renamed-by-admin'))
    assert response.status_code == 200
    assert response.json()['name'] == 'renamed-by-admin'
    created = admin.create(name='admin-image', owner=callers['member-b'].project_id)
    assert created.status_code == 201
    assert created.json()['owner'] == callers['member-b'].project_id


def test_publicize_image_is_admin_only(callers, image_of_a):
    image_id, _ = image_of_a
    member = callers['member-a']
    refused = member.patch(image_id, replace('visibility', 'public'))
    assert refused.status_code == 403
    assert 'publicize_image' in refused.json()['error']['message']
    assert member.create(name='public-try', visibility='public').status_code == 403
    allowed = callers['admin'].patch(image_id, replace('visibility', 'public'))
    assert allowed.status_code == 200
    assert allowed.json()['visibility'] == 'public'
    # Public now: project-b sees it.
    assert callers['member-b'].request('GET', f'/v2/images/{image_id}').status_code == 200


@pytest.mark.parametrize('token', [None, 'garbage-token', 'gAAAAABnot-a-real-fernet-token'])
def test_missing_or_invalid_token_gets_401(keystone, keystone_glance, token):  # noqa: F811
    caller = Caller(keystone.info, keystone_glance.base_url, 'member-a', token='x')
    caller.token = token
    response = caller.request('GET', '/v2/images')
    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'] == (
        'Keystone uri="%s"' % keystone.info['auth_url'])
    assert response.json()['error']['code'] == 401
    # Identity headers sent with a bad token are not believed either.
    spoofed = caller.request('POST', '/v2/images', json={'name': 'x'}, headers={
        'X-Roles': 'admin', 'X-Project-Id': 'anything', 'X-Identity-Status': 'Confirmed'})
    assert spoofed.status_code == 401


def test_expired_token_gets_401(keystone, keystone_glance):  # noqa: F811
    info = keystone.info
    who = info['users']['member-a']
    token, body = load_tool().issue_token(info['short_auth_url'], who['name'],
                                          who['password'], who['project'])
    time.sleep(info['short_token_seconds'] + 1.5)
    caller = Caller(info, keystone_glance.base_url, 'member-a', token=token)
    response = caller.request('GET', '/v2/images')
    assert response.status_code == 401
    assert 'WWW-Authenticate' in response.headers


def test_versions_and_healthcheck_need_no_token(keystone_glance):
    assert requests.get(keystone_glance.base_url + '/versions', timeout=TIMEOUT) \
        .status_code == 200
    assert requests.get(keystone_glance.base_url + '/', timeout=TIMEOUT).status_code == 300
    health = requests.get(keystone_glance.base_url + '/healthcheck', timeout=TIMEOUT)
    assert (health.status_code, health.text) == (200, 'OK')


def _write_policy(path, rules):
    path.write_text(json.dumps(rules))
    # oslo.policy rereads the file when its mtime changes; make sure it does.
    stamp = time.time() + 2
    os.utime(path, (stamp, stamp))
    # Each api worker looks at the file at most once per RELOAD_CHECK_SECONDS.
    time.sleep(policy.RELOAD_CHECK_SECONDS + 0.5)


def test_policy_override_changes_outcomes_without_code_changes(callers, image_of_a,
                                                                 keystone_glance):
    image_id, data = image_of_a
    member, reader = callers['member-a'], callers['reader-a']
    assert member.patch(image_id, replace('visibility', 'public')).status_code == 403
    assert reader.download(image_id).status_code == 200
    _write_policy(keystone_glance.policy_file, {
        'publicize_image': 'role:member',
        # upstream's default: a reader alone may not download
        'download_image': 'rule:context_is_admin or (role:member and '
                          'project_id:%(project_id)s)',
    })
    try:
        # Each api worker rereads the file within a second: no restart, no code change.
        published = member.patch(image_id, replace('visibility', 'public'))
        assert published.status_code == 200, published.text
        assert published.json()['visibility'] == 'public'
        assert reader.download(image_id).status_code == 403
        assert member.download(image_id).content == data
    finally:
        _write_policy(keystone_glance.policy_file, {})
    assert reader.download(image_id).status_code == 200
