"""The request context, and the serializer that carries it on every RPC call."""

import oslo_messaging
from oslo_context import context as oslo_context


class RequestContext(oslo_context.RequestContext):
    """Who is asking: user, project, roles, request id; built once at the API edge."""

    def __init__(self, **kwargs):
        kwargs.setdefault('is_admin', 'admin' in [r.lower() for r in kwargs.get('roles') or []])
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
