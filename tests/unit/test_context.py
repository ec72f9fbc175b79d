"""common.context.RequestContext: nobody is an admin unless whoever builds the context says so."""

import pytest

from common import context


@pytest.mark.parametrize('roles', [['admin'], ['Admin', 'member'], [], None])
def test_a_context_built_without_is_admin_is_not_admin_whatever_its_roles(roles):
    assert context.RequestContext(project_id='p', roles=roles).is_admin is False


def test_is_admin_is_what_the_builder_says():
    assert context.RequestContext(project_id='p', roles=['member'], is_admin=True).is_admin
    assert not context.RequestContext(project_id='p', roles=['admin'], is_admin=False).is_admin


@pytest.mark.parametrize('is_admin', [True, False])
def test_is_admin_survives_the_rpc_serializer(is_admin):
    serializer = context.ContextSerializer()
    sent = context.RequestContext(project_id='p', roles=['admin'], is_admin=is_admin)
    arrived = serializer.deserialize_context(serializer.serialize_context(sent))
    assert isinstance(arrived, context.RequestContext)
    assert arrived.is_admin is is_admin


def test_a_serialized_context_without_is_admin_arrives_as_no_admin():
    arrived = context.ContextSerializer().deserialize_context(
        {'project_id': 'p', 'roles': ['admin']})
    assert arrived.is_admin is False


def _identity(ctx):
    return {name: getattr(ctx, name) for name in (
        'user_id', 'project_id', 'domain_id', 'user_domain_id', 'project_domain_id',
        'system_scope', 'is_admin', 'read_only', 'show_deleted', 'request_id',
        'global_request_id', 'resource_uuid', 'roles', 'is_admin_project', 'owner')}


@pytest.mark.parametrize('values', [
    {'project_id': 'p', 'user_id': 'u', 'roles': ['member', 'reader']},
    {'project_id': None, 'user_id': None, 'roles': []},
    {'project_id': 'p', 'user_id': 'u', 'domain_id': 'd', 'user_domain_id': 'ud',
     'project_domain_id': 'pd', 'is_admin': True, 'read_only': True, 'show_deleted': True,
     'global_request_id': 'req-global', 'resource_uuid': 'r', 'roles': ['admin'],
     'is_admin_project': False, 'system_scope': 'all'},
])
def test_the_context_arrives_as_it_was_sent_without_its_defaults_on_the_wire(values):
    serializer = context.ContextSerializer()
    sent = context.RequestContext(auth_token='secret-token', **values)
    wire = serializer.serialize_context(sent)
    arrived = serializer.deserialize_context(wire)
    assert _identity(arrived) == _identity(sent)
    # The same line prefix in the registry's log.
    assert arrived.to_dict()['user_identity'] == sent.to_dict()['user_identity']
    assert 'auth_token' not in wire and 'user_identity' not in wire and 'project' not in wire
    assert all(value != context.WIRE_DEFAULTS[key] for key, value in wire.items())
