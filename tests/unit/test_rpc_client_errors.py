"""RegistryClient turns the transport's errors into common.exceptions, so the api answers 503
with a message of its own, never with the AMQP library's ("Connection refused")."""

import sys
import time

import kombu.exceptions
import oslo_messaging
import pytest
from oslo_config import cfg

from common import context
from common import exceptions
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport

CTX = context.RequestContext(project_id='p', roles=['member'], is_admin=False)


def _conf(rpc_timeout=5):
    conf = cfg.ConfigOpts()
    rpc_transport.register_messaging_opts(conf)
    rpc_transport.common_config.register_opts(conf)
    conf([], project='glance')
    conf.set_override('rpc_timeout', rpc_timeout, group='registry')
    return conf


class RaisingRPCClient:
    """Stands in for oslo.messaging's RPCClient: every call raises ``exc``."""

    def __init__(self, exc):
        self.exc = exc

    def can_send_version(self, version):
        return True

    def prepare(self, **kwargs):
        return self

    def call(self, ctxt, method, **kwargs):
        raise self.exc


@pytest.fixture
def client_raising():
    transport = rpc_transport.get_transport(_conf(), url='kombu+memory:////')
    made = rpc_client.RegistryClient(_conf(), transport=transport)

    def make(exc):
        made._client = RaisingRPCClient(exc)
        return made

    yield make
    transport.cleanup()


@pytest.mark.parametrize('exc', [
    kombu.exceptions.OperationalError('[Errno 111] Connection refused'),
    oslo_messaging.MessageDeliveryFailure('Unable to connect to AMQP server on 127.0.0.1'),
])
def test_an_unreachable_broker_is_message_bus_unavailable(client_raising, exc):
    with pytest.raises(exceptions.MessageBusUnavailable) as raised:
        client_raising(exc).image_get(CTX, image_id='x')
    assert raised.value.__cause__ is exc
    assert 'refused' not in str(raised.value) and 'AMQP' not in str(raised.value)
    assert 'message bus' in str(raised.value)


def test_no_answer_in_time_is_registry_unavailable(client_raising):
    with pytest.raises(exceptions.RegistryUnavailable) as raised:
        client_raising(oslo_messaging.MessagingTimeout('no reply')).image_get(CTX, image_id='x')
    assert type(raised.value) is exceptions.RegistryUnavailable


@pytest.mark.parametrize('exc', [
    exceptions.ImageNotFound(image_id='x'),
    oslo_messaging.RemoteError('ValueError', 'a registry bug'),
    ValueError('an api bug'),
])
def test_anything_else_passes_unchanged(client_raising, exc):
    with pytest.raises(type(exc)) as raised:
        client_raising(exc).image_get(CTX, image_id='x')
    assert raised.value is exc


def test_kombus_error_is_known_without_common_importing_kombu(monkeypatch):
    assert rpc_client.broker_connection_errors() == (kombu.exceptions.OperationalError,)
    # Without kombu loaded (no rabbit driver) there is nothing of it to catch.
    monkeypatch.delitem(sys.modules, 'kombu.exceptions')
    assert rpc_client.broker_connection_errors() == ()


def test_a_broker_nobody_listens_on_is_message_bus_unavailable_within_rpc_timeout():
    conf = _conf(rpc_timeout=1)
    # Port 1 of the loopback: connections are refused at once.
    transport = rpc_transport.get_transport(conf, url='rabbit://guest:guest@127.0.0.1:1//')
    registry = rpc_client.RegistryClient(conf, transport=transport)
    started = time.monotonic()
    try:
        with pytest.raises(exceptions.MessageBusUnavailable):
            registry.ping(CTX)
        assert time.monotonic() - started < 10
    finally:
        rpc_transport.close_transport(transport, timeout=1)
