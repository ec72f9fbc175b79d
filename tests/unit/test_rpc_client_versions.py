"""RegistryClient works out each version question once: the version_cap does not change
while the client lives, so can_send_version and prepare run once per version, whatever the
number of calls, and the answers stay those of the cap."""

from oslo_config import cfg

from common import context
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport

CTX = context.RequestContext(project_id='p', roles=['member'], is_admin=False)


class RecordingRPCClient:
    """Stands in for oslo.messaging's RPCClient held at ``cap``; records what it is asked."""

    def __init__(self, cap):
        self.cap = cap
        self.asked = []
        self.prepared = []
        self.sent = []

    def can_send_version(self, version):
        self.asked.append(version)
        return tuple(map(int, version.split('.'))) <= tuple(map(int, self.cap.split('.')))

    def prepare(self, version):
        self.prepared.append(version)
        return PreparedClient(self, version)


class PreparedClient:
    def __init__(self, parent, version):
        self.parent, self.version = parent, version

    def call(self, ctxt, method, **kwargs):
        self.parent.sent.append((self.version, method, sorted(kwargs)))
        return {'ok': True}


def _client(cap):
    conf = cfg.ConfigOpts()
    rpc_transport.register_messaging_opts(conf)
    rpc_transport.common_config.register_opts(conf)
    conf([], project='glance')
    transport = rpc_transport.get_transport(conf, url='kombu+memory:////')
    made = rpc_client.RegistryClient(conf, transport=transport)
    made._client = RecordingRPCClient(cap)
    return made, transport


def test_each_version_is_asked_about_and_prepared_once():
    made, transport = _client('1.14')
    try:
        for _ in range(3):
            made.image_get(CTX, image_id='x')
            made.ping(CTX)
        recording = made._client
        assert sorted(recording.asked) == ['1.4']
        assert sorted(recording.prepared) == ['1.0', '1.4']
        assert recording.sent[:2] == [('1.4', 'image_get', ['image_id', 'internal']),
                                      ('1.0', 'ping', [])]
    finally:
        transport.cleanup()


def test_a_capped_client_keeps_leaving_out_what_the_cap_refuses():
    made, transport = _client('1.3')
    try:
        for _ in range(2):
            made.image_get(CTX, image_id='x')
            made.image_create(CTX, values={}, properties={}, tags=[], quotas={'q': 1})
        assert made._client.sent == [('1.0', 'image_get', ['image_id']),
                                     ('1.1', 'image_create',
                                      ['properties', 'quotas', 'tags', 'values'])] * 2
    finally:
        transport.cleanup()
