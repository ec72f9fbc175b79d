"""The request context, and the serializer that carries it on every RPC call."""

import oslo_messaging
from oslo_context import context as oslo_context


class RequestContext(oslo_context.RequestContext):
    """Who is asking: user, project, roles, request id; built once at the API edge.

    ``is_admin`` is False unless the caller says otherwise: glance-api sets it from the
    policy's context_is_admin rule (api_service/wsgi/middleware/context.py), and the
    registry takes it as the api sent it. A role named admin alone makes nobody an admin.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault('is_admin', False)
        super().__init__(**kwargs)

    @property
    def owner(self):
        return self.project_id


# The keys RequestContext.from_dict reads, each with the value it assumes when the key is
# absent. The context travels with every RPC message, and oslo.messaging packs, unpacks and
# deep-copies each of its keys on both sides (about a third of the registry's CPU for a
# ping with the whole to_dict()): a key holding its default stays off the wire, as do the
# duplicate 'project' and the derived 'user_identity'. The registry acts on the identity,
# never on the token, so 'auth_token' is not sent either.
WIRE_DEFAULTS = {
    'user': None, 'project_id': None, 'domain': None, 'user_domain': None,
    'project_domain': None, 'system_scope': None, 'is_admin': False, 'read_only': False,
    'show_deleted': False, 'request_id': None, 'global_request_id': None,
    'resource_uuid': None, 'roles': None, 'is_admin_project': True,
}


def wire_dict(context):
    """``context.to_dict()`` less what from_dict rebuilds without it (WIRE_DEFAULTS)."""
    return {key: value for key, value in context.to_dict().items()
            if key in WIRE_DEFAULTS and value != WIRE_DEFAULTS[key]
            and not (key == 'roles' and not value)}


class ContextSerializer(oslo_messaging.NoOpSerializer):
    """Puts the context on the wire as a plain dict and rebuilds it on the other side."""

    def serialize_context(self, context):
        return wire_dict(context)

    def deserialize_context(self, context):
        return RequestContext.from_dict(context)
