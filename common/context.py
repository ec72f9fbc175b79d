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


class ContextSerializer(oslo_messaging.NoOpSerializer):
    """Puts the context on the wire as a plain dict and rebuilds it on the other side."""

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return RequestContext.from_dict(context)
