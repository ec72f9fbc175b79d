"""oslo.policy in the views: upstream's defaults, a policy file's overrides, and is_admin.

Runs under noauth against the in-memory registry (tests/unit/api/conftest.py), which
applies the registry's ownership rules, so each answer is the policy and the registry
together, as in production.
"""

import json

import pytest
from oslo_policy import opts as policy_opts

from api_service.wsgi import app as app_module
from api_service.wsgi.middleware import context as context_middleware
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
OCTET = {'Content-Type': 'application/octet-stream'}
READER_A = {'X-User-Id': 'rita', 'X-Project-Id': 'project-a', 'X-Roles': 'reader'}
MEMBER_B = {'X-User-Id': 'bob', 'X-Project-Id': 'project-b', 'X-Roles': 'member'}


def patch(client, image_id, ops, headers):
    return client.patch('/v2/images/%s' % image_id, data=json.dumps(ops),
                        headers={**headers, **PATCH})


def replace(name, value):
    return [{'op': 'replace', 'path': '/' + name, 'value': value}]


@pytest.fixture
def uploaded(client, create_image):
    image = create_image(disk_format='raw', container_format='bare')
    response = client.put('/v2/images/%s/file' % image['id'], data=b'policy bytes',
                          headers={**ALICE, **OCTET})
    assert response.status_code == 204
    return image['id']


def app_with_policy(conf, registry, tmp_path, rules):
    """Another app on the same registry, whose [oslo_policy] policy_file holds RULES."""
    path = tmp_path / 'policy.yaml'
    path.write_text(json.dumps(rules))
    policy_opts.set_defaults(conf)
    conf.set_override('policy_file', str(path), group='oslo_policy')
    return app_module.create_app(conf, registry=registry).test_client()


# -- upstream's defaults ---------------------------------------------------------------------

def test_reader_lists_and_shows_but_cannot_create_update_or_delete(client, create_image):
    image_id = create_image()['id']
    listed = client.get('/v2/images', headers=READER_A)
    assert listed.status_code == 200
    assert [i['id'] for i in listed.get_json()['images']] == [image_id]
    assert client.get('/v2/images/%s' % image_id, headers=READER_A).status_code == 200
    created = client.post('/v2/images', json={'name': 'no'}, headers=READER_A)
    assert created.status_code == 403
    assert 'add_image' in created.get_json()['error']['message']
    updated = patch(client, image_id, replace('name', 'renamed'), READER_A)
    assert updated.status_code == 403
    assert 'modify_image' in updated.get_json()['error']['message']
    assert client.delete('/v2/images/%s' % image_id, headers=READER_A).status_code == 403
    assert client.get('/v2/images/%s' % image_id, headers=ALICE).get_json()['name'] == \
        'test-image'


def test_reader_downloads_but_cannot_upload(client, uploaded, create_image):
    # Glimpse's download_image default lets project readers download (upstream: members).
    assert client.get('/v2/images/%s/file' % uploaded, headers=READER_A).status_code == 200
    queued = create_image()['id']
    response = client.put('/v2/images/%s/file' % queued, data=b'x',
                          headers={**READER_A, **OCTET})
    assert response.status_code == 403
    assert 'upload_image' in response.get_json()['error']['message']


def test_member_of_another_project_gets_404_not_403(client, create_image):
    image_id = create_image()['id']
    assert client.get('/v2/images/%s' % image_id, headers=MEMBER_B).status_code == 404
    assert patch(client, image_id, replace('name', 'x'), MEMBER_B).status_code == 404
    assert client.delete('/v2/images/%s' % image_id, headers=MEMBER_B).status_code == 404
    assert client.post('/v2/images/%s/actions/deactivate' % image_id,
                       headers=MEMBER_B).status_code == 404


def test_publicize_image_is_admin_only(client, create_image):
    refused = client.post('/v2/images', json={'visibility': 'public'}, headers=ALICE)
    assert refused.status_code == 403
    assert refused.get_json()['error']['message'] == (
        'You are not authorized to complete publicize_image action.')
    image_id = create_image()['id']
    assert patch(client, image_id, replace('visibility', 'public'), ALICE).status_code == 403
    assert patch(client, image_id, replace('visibility', 'public'), ADMIN).status_code == 200
    assert client.post('/v2/images', json={'visibility': 'public'},
                       headers=ADMIN).status_code == 201


def test_member_may_communitize_its_own_image(client, create_image):
    image_id = create_image()['id']
    response = patch(client, image_id, replace('visibility', 'community'), ALICE)
    assert response.status_code == 200
    assert response.get_json()['visibility'] == 'community'


def test_member_cannot_create_an_image_for_another_project(client):
    response = client.post('/v2/images', json={'owner': 'project-b'}, headers=ALICE)
    assert response.status_code == 403
    assert "owned by 'project-b'" in response.get_json()['error']['message']
    assert client.post('/v2/images', json={'owner': 'project-b'},
                       headers=ADMIN).get_json()['owner'] == 'project-b'


def test_modify_member_is_for_the_member_not_the_owner(client, create_image):
    image_id = create_image(visibility='shared')['id']
    url = '/v2/images/%s/members' % image_id
    assert client.post(url, json={'member': 'project-b'}, headers=ALICE).status_code == 200
    by_owner = client.put(url + '/project-b', json={'status': 'accepted'}, headers=ALICE)
    assert by_owner.status_code == 403
    assert 'modify_member' in by_owner.get_json()['error']['message']
    by_member = client.put(url + '/project-b', json={'status': 'accepted'}, headers=MEMBER_B)
    assert by_member.status_code == 200
    # Accepted, the member now sees the image and may list (only) itself.
    assert client.get('/v2/images/%s' % image_id, headers=MEMBER_B).status_code == 200
    assert [m['member_id'] for m in client.get(url, headers=MEMBER_B).get_json()['members']] \
        == ['project-b']


def test_reader_cannot_tag_an_image(client, create_image):
    image_id = create_image()['id']
    assert client.put('/v2/images/%s/tags/t1' % image_id,
                      headers=READER_A).status_code == 403
    assert client.put('/v2/images/%s/tags/t1' % image_id, headers=ALICE).status_code == 204


# -- the policy file --------------------------------------------------------------------------

def test_policy_file_lets_a_member_publicize(conf, tmp_path, registry):
    client = app_with_policy(conf, registry, tmp_path, {'publicize_image': 'role:member'})
    response = client.post('/v2/images', json={'visibility': 'public'}, headers=ALICE)
    assert response.status_code == 201
    assert response.get_json()['visibility'] == 'public'


def test_policy_file_restores_upstreams_member_only_download(conf, tmp_path, registry,
                                                             uploaded):
    client = app_with_policy(conf, registry, tmp_path, {
        'download_image': 'rule:context_is_admin or (role:member and '
                          'project_id:%(project_id)s)'})
    response = client.get('/v2/images/%s/file' % uploaded, headers=READER_A)
    assert response.status_code == 403
    assert 'download_image' in response.get_json()['error']['message']


def test_policy_file_can_forbid_what_the_registry_allows(conf, tmp_path, registry):
    client = app_with_policy(conf, registry, tmp_path, {'get_images': '!'})
    response = client.get('/v2/images', headers=ADMIN)
    assert response.status_code == 403
    assert 'get_images' in response.get_json()['error']['message']


def test_context_is_admin_decides_is_admin(conf, tmp_path, registry, create_image):
    image_id = create_image()['id']
    client = app_with_policy(conf, registry, tmp_path, {'context_is_admin': 'role:cloud-admin'})
    # role:admin is no longer an admin: project-b's admin cannot see project-a's image ...
    plain_admin = {'X-Project-Id': 'project-b', 'X-Roles': 'admin'}
    assert client.get('/v2/images/%s' % image_id, headers=plain_admin).status_code == 404
    # ... while the new admin role sees everything.
    cloud_admin = {'X-Project-Id': 'project-b', 'X-Roles': 'cloud-admin,reader'}
    assert client.get('/v2/images/%s' % image_id, headers=cloud_admin).status_code == 200


# -- the noauth context -----------------------------------------------------------------------

def _ctx(headers):
    environ = {'HTTP_' + k.upper().replace('-', '_'): v for k, v in headers.items()}
    return context_middleware.noauth_context(environ, 'req-1')


def test_noauth_caller_without_roles_is_a_member_and_reader():
    assert _ctx({'X-Project-Id': 'p'}).roles == ['member', 'reader']
    assert _ctx({}).project_id == context_middleware.DEFAULT_PROJECT_ID


def test_noauth_roles_are_lowercased_and_get_keystones_implied_roles():
    assert _ctx({'X-Project-Id': 'p', 'X-Roles': 'Admin'}).roles == ['admin', 'member',
                                                                    'reader']
    assert _ctx({'X-Project-Id': 'p', 'X-Roles': 'MEMBER'}).roles == ['member', 'reader']
    assert _ctx({'X-Project-Id': 'p', 'X-Roles': 'reader'}).roles == ['reader']


def test_service_catalog_header_reaches_the_context():
    catalog = [{'type': 'image', 'endpoints': [{'url': 'http://x'}]}]
    ctx = _ctx({'X-Project-Id': 'p', 'X-Service-Catalog': json.dumps(catalog)})
    assert ctx.service_catalog == catalog
    assert _ctx({'X-Project-Id': 'p', 'X-Service-Catalog': 'not json'}).service_catalog == []


# -- acting in one registry call -------------------------------------------------------------

def _policy_and_context(tmp_path, roles, rules=None, is_admin=False):
    from oslo_config import cfg

    from api_service import policy as policy_module
    from common import context as common_context
    conf = cfg.ConfigOpts()
    conf([], project='glance')
    policy_opts.set_defaults(conf)
    if rules is not None:
        path = tmp_path / 'policy.yaml'
        path.write_text(json.dumps(rules))
        conf.set_override('policy_file', str(path), group='oslo_policy')
    ctx = common_context.RequestContext(user_id='u', project_id='p', roles=roles,
                                        is_admin=is_admin)
    return policy_module, policy_module.Policy(conf), ctx


def test_member_needs_no_image_read_to_modify_or_delete_its_own_images(tmp_path):
    policy, pol, ctx = _policy_and_context(tmp_path, ['member', 'reader'])
    assert policy.decided_for_own_images(pol, ctx, 'id', ['get_image', 'modify_image'])
    assert policy.decided_for_own_images(pol, ctx, 'id', ['get_image', 'delete_image'])


def test_reader_admin_and_publicizing_take_the_full_check(tmp_path):
    policy, pol, reader = _policy_and_context(tmp_path, ['reader'])
    assert not policy.decided_for_own_images(pol, reader, 'id', ['get_image', 'modify_image'])
    policy, pol, admin = _policy_and_context(tmp_path, ['admin'], is_admin=True)
    assert not policy.decided_for_own_images(pol, admin, 'id', ['get_image', 'modify_image'])
    policy, pol, member = _policy_and_context(tmp_path, ['member'])
    rules = policy.update_rules([{'op': 'replace', 'path': 'visibility', 'value': 'public'}])
    assert 'publicize_image' in rules
    assert not policy.decided_for_own_images(pol, member, 'id', rules)


def test_a_rule_that_looks_at_the_image_takes_the_full_check(tmp_path):
    policy, pol, ctx = _policy_and_context(
        tmp_path, ['member'], rules={'modify_image': "'private':%(visibility)s"})
    assert not policy.decided_for_own_images(pol, ctx, 'id', ['get_image', 'modify_image'])


def test_an_edited_policy_file_takes_effect_within_the_reload_interval(tmp_path, monkeypatch):
    policy, pol, ctx = _policy_and_context(tmp_path, ['member'], rules={'delete_image': ''})
    target = {'id': 'i', 'project_id': 'p', 'owner': 'p', 'visibility': 'private',
              'member_id': None}
    assert pol.allowed(ctx, 'delete_image', target)
    (tmp_path / 'policy.yaml').write_text(json.dumps({'delete_image': '!'}))
    monkeypatch.setattr(policy, 'RELOAD_CHECK_SECONDS', 0.0)
    pol.enforcer._next_check = 0.0
    assert not pol.allowed(ctx, 'delete_image', target)


def test_owner_patch_and_delete_make_one_registry_call_and_others_still_get_403(
        client, create_image, registry, monkeypatch):
    reads = []
    original = type(registry).image_get

    def counting_image_get(self, ctxt, **kwargs):
        reads.append(kwargs['image_id'])
        return original(self, ctxt, **kwargs)

    monkeypatch.setattr(type(registry), 'image_get', counting_image_get)
    image_id = create_image(visibility='shared')['id']
    assert patch(client, image_id, replace('name', 'fast'), ALICE).status_code == 200
    assert reads == []
    # Another project's member may not change it: the registry's answer, as before.
    assert patch(client, image_id, replace('name', 'no'), MEMBER_B).status_code == 404
    # A reader's rules need the full check, which reads the image first.
    assert patch(client, image_id, replace('name', 'no'), READER_A).status_code == 403
    assert reads == [image_id]
    assert client.delete('/v2/images/%s' % image_id, headers=ALICE).status_code == 204
    assert reads == [image_id]


# -- rule evaluation -------------------------------------------------------------------------

def test_the_check_evaluator_replaces_oslo_policys_once_an_enforcer_exists(tmp_path):
    from oslo_policy import _checks

    policy, _pol, _ctx = _policy_and_context(tmp_path, ['member'])
    assert _checks._check is policy._evaluate_check
    policy.install_check_evaluator()
    assert _checks._check is policy._evaluate_check


def test_the_check_evaluator_passes_the_rule_name_only_to_checks_that_take_it(tmp_path):
    from oslo_policy import _checks

    policy, _pol, _ctx = _policy_and_context(tmp_path, ['member'])
    seen = []

    class NewStyle(_checks.Check):
        def __call__(self, target, creds, enforcer, current_rule=None):
            seen.append(('new', current_rule))
            return True

    class Legacy(_checks.Check):
        def __call__(self, target, creds, enforcer):
            seen.append(('legacy',))
            return False

    for _ in range(2):
        assert policy._evaluate_check(NewStyle('k', 'm'), {}, {}, None, 'rule-a') is True
        assert policy._evaluate_check(Legacy('k', 'm'), {}, {}, None, 'rule-a') is False
    own = Legacy('k', 'm')
    own.__call__ = lambda target, creds, enforcer, current_rule: seen.append(('own',))
    policy._evaluate_check(own, {}, {}, None, 'rule-a')
    assert seen == [('new', 'rule-a'), ('legacy',)] * 2 + [('legacy',)]


def test_rules_decide_alike_through_the_check_evaluator(tmp_path, monkeypatch):
    from oslo_policy import _checks

    policy, pol, ctx = _policy_and_context(tmp_path, ['member', 'reader'])
    targets = [{'id': 'i', 'project_id': project, 'owner': project, 'visibility': visibility,
                'member_id': member}
               for project in ('p', 'q') for visibility in ('public', 'private', 'shared')
               for member in (None, 'p')]
    rules = ['get_image', 'modify_image', 'delete_image', 'publicize_image', 'add_image',
             'get_images', 'context_is_admin', 'communitize_image', 'download_image']
    ours = [pol.allowed(ctx, rule, target) for rule in rules for target in targets]
    monkeypatch.setattr(_checks, '_check', _original_check_of_oslo_policy())
    assert ours == [pol.allowed(ctx, rule, target) for rule in rules for target in targets]
    assert any(ours) and not all(ours)


def _original_check_of_oslo_policy():
    import importlib

    from oslo_policy import _checks
    fresh = importlib.util.spec_from_file_location('_pristine_checks', _checks.__file__)
    module = importlib.util.module_from_spec(fresh)
    fresh.loader.exec_module(module)
    return module._check


def test_generic_checks_remember_whether_their_left_side_is_a_literal(tmp_path):
    import ast

    from oslo_policy import _checks

    policy, _pol, _ctx = _policy_and_context(tmp_path, ['member'])
    assert isinstance(_checks.ast, policy._LiteralEvalOnce)
    assert _checks.ast.Name is ast.Name
    for _ in range(2):
        assert _checks.ast.literal_eval("'public'") == 'public'
        assert _checks.ast.literal_eval('True') is True
        with pytest.raises(ValueError) as raised:
            _checks.ast.literal_eval('project_id')
        assert 'malformed node or string' in str(raised.value)
        with pytest.raises(SyntaxError):
            _checks.ast.literal_eval("'unterminated")
    generic = _checks.GenericCheck("'public'", '%(visibility)s')
    assert generic({'visibility': 'public'}, {}, None)
    assert not generic({'visibility': 'private'}, {}, None)
    assert _checks.GenericCheck('project_id', '%(owner)s')({'owner': 'p'}, {'project_id': 'p'},
                                                           None)


def test_checks_with_the_creds_made_once_decide_as_with_the_context(tmp_path):
    _policy, pol, ctx = _policy_and_context(tmp_path, ['member', 'reader'])
    creds = pol.creds(ctx)
    assert creds == dict(pol.enforcer._map_context_attributes_into_creds(ctx))
    for project in ('p', 'q'):
        target = {'id': 'i', 'project_id': project, 'owner': project, 'visibility': 'private',
                  'member_id': None}
        for rule in ('get_image', 'modify_image', 'publicize_image'):
            assert (pol.allowed(ctx, rule, target, creds=creds)
                    == pol.allowed(ctx, rule, target))
    assert pol.creds(ctx) == creds


def test_the_default_image_rules_do_not_read_the_visibility_but_a_file_can_make_them(tmp_path):
    policy, pol, _ctx = _policy_and_context(tmp_path, ['member'])
    for rule in ('get_image', 'modify_image', 'delete_image'):
        # get_image lets a reader see any image shown as public, community or shared.
        assert policy.reads_visibility(pol, rule) is (rule == 'get_image')
    # A rule nobody defined is oslo.policy's default rule ('': anyone), as in enforce.
    assert not policy.reads_visibility(pol, 'no_such_rule')
    policy, pol, _ctx = _policy_and_context(tmp_path, ['member'], rules={
        'modify_image': "'private':%(visibility)s", 'delete_image': 'rule:indirect',
        'indirect': "role:member and 'private':%(visibility)s",
        'loop_a': 'rule:loop_b', 'loop_b': 'rule:loop_a',
        'percent': 'project_id:%s', 'http': 'http://example.invalid/check'})
    for rule in ('modify_image', 'delete_image', 'loop_a', 'percent', 'http'):
        assert policy.reads_visibility(pol, rule), rule


def test_own_images_are_decided_alike_whether_or_not_the_visibility_is_probed(tmp_path,
                                                                              monkeypatch):
    files = [None, {'modify_image': "'private':%(visibility)s"},
             {'delete_image': "role:member and not 'public':%(visibility)s"},
             {'get_image': 'role:member'}, {'modify_image': '!'}]
    for number, rules in enumerate(files):
        directory = tmp_path / str(number)
        directory.mkdir()
        for roles in (['member'], ['reader'], ['member', 'reader']):
            policy, pol, ctx = _policy_and_context(directory, roles, rules=rules)
            asked = [policy.decided_for_own_images(pol, ctx, 'i', list(pair))
                     for pair in (('get_image', 'modify_image'), ('get_image', 'delete_image'))]
            with monkeypatch.context() as patched:
                patched.setattr(policy, 'reads_visibility', lambda pol, rule: True)
                assert asked == [
                    policy.decided_for_own_images(pol, ctx, 'i', list(pair))
                    for pair in (('get_image', 'modify_image'), ('get_image', 'delete_image'))]
