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
