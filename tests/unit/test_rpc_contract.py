"""The registry endpoint and the api's client expose exactly the contract, and a call over a
real (in-memory) oslo.messaging transport keeps exception classes and the context intact."""

import contextlib
import inspect
import logging
import shutil
import threading

import pytest
from oslo_config import cfg

from common import context
from common import exceptions
from common import list_query
from common.rpc import client as rpc_client
from common.rpc import contract
from common.rpc import transport as rpc_transport
from registry_service import config
from registry_service import endpoint
from registry_service import images
from registry_service import server as registry_server
from registry_service.db import migration


def public_methods(cls):
    return {name for name, member in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith('_')}


def keyword_parameters(function):
    return {name: param.default for name, param in inspect.signature(function).parameters.items()
            if param.kind == param.KEYWORD_ONLY}


def test_endpoint_exposes_exactly_the_contract():
    assert public_methods(endpoint.RegistryEndpoint) == set(contract.METHODS)


def test_client_exposes_exactly_the_contract():
    # close() releases the transport; it is not a remote call.
    assert public_methods(rpc_client.RegistryClient) - {'close'} == set(contract.METHODS)


@pytest.mark.parametrize('method', sorted(contract.METHODS))
def test_client_and_endpoint_take_the_same_arguments(method):
    client = keyword_parameters(getattr(rpc_client.RegistryClient, method))
    served = keyword_parameters(getattr(endpoint.RegistryEndpoint, method).__wrapped__)
    # The endpoint also takes the arguments older callers still send.
    retired = {argument for (m, argument) in contract.RETIRED_ARGUMENTS if m == method}
    assert retired <= set(served) and not retired & set(client)
    for argument in retired:
        assert served.pop(argument) is None
    if not retired:
        assert client == served
    else:
        # A new argument that replaces retired ones is optional to the endpoint alone.
        assert set(client) == set(served)
        assert all(served[name] in (default, None) for name, default in client.items())


def test_endpoint_target_matches_the_contract():
    assert endpoint.RegistryEndpoint.target.namespace == contract.NAMESPACE
    assert endpoint.RegistryEndpoint.target.version == contract.VERSION


def make_conf(db_url):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    rpc_transport.register_messaging_opts(conf)
    conf([], project='glance')
    conf.set_override('connection', db_url, group='database')
    return conf


# Registries stopped by the tests, still finishing in threads of their own.
_RETIRING = []


def _retire(server, transport):
    """Finish stopping ``server`` in a thread: server.wait() idles for the transport's
    one-second poll, which no test needs to wait for (joined at the end of the module)."""
    def finish():
        server.wait()
        server.registry_database.dispose()
        transport.cleanup()
    thread = threading.Thread(target=finish, daemon=True)
    thread.start()
    _RETIRING.append(thread)


@pytest.fixture(scope='module', autouse=True)
def _retired_registries():
    yield
    for thread in _RETIRING:
        thread.join()


@contextlib.contextmanager
def registry_over_memory_transport(db_url):
    """A registry RPC server and a RegistryClient in this process, over kombu's memory."""
    conf = make_conf(db_url)
    transport = rpc_transport.get_transport(conf, url='kombu+memory:////')
    server = registry_server.make_rpc_server(conf, transport, server_name='test-registry')
    server.start()
    try:
        yield rpc_client.RegistryClient(conf, transport)
    finally:
        # Stopped: it takes no more calls; the rest of its shutdown needs nobody.
        server.stop()
        _retire(server, transport)


@pytest.fixture(scope='module')
def migrated_template(tmp_path_factory):
    """An SQLite file at schema head, made once and copied for each test."""
    path = tmp_path_factory.mktemp('rpc-template') / 'glance.sqlite'
    migration.upgrade('sqlite:///%s' % path)
    return path


@pytest.fixture
def db_url(tmp_path, migrated_template):
    shutil.copyfile(migrated_template, tmp_path / 'glance.sqlite')
    return 'sqlite:///%s' % (tmp_path / 'glance.sqlite')


@pytest.fixture
def rpc(db_url):
    with registry_over_memory_transport(db_url) as client:
        yield client


def test_round_trip_keeps_exception_class_and_context(rpc, monkeypatch):
    alice = context.RequestContext(project_id='project-a', user_id='u1', roles=['member'],
                                   request_id='req-11111111-2222-3333-4444-555555555555')
    bob = context.RequestContext(project_id='project-b', user_id='u2', roles=['reader'])
    assert rpc.ping(alice) == {'ok': True}
    image = rpc.image_create(alice, values={'owner': 'project-a', 'visibility': 'private'},
                             properties={'k': 'v'}, tags=['t'])
    assert image['status'] == 'queued' and image['properties'] == {'k': 'v'}

    with pytest.raises(exceptions.ImageNotFound) as raised:
        rpc.image_get(bob, image_id=image['id'])
    # str() of a remote exception carries the registry's traceback; .msg is the message.
    assert raised.value.msg == 'No image found with ID %s' % image['id']
    assert raised.value.kwargs == {'image_id': image['id']}
    # The registry checks the query it is sent again.
    with pytest.raises(exceptions.InvalidSortKey):
        rpc._call(alice, 'image_list', query={'sort': [['owner', 'asc']], 'limit': 10})
    with pytest.raises(exceptions.InvalidFilter):
        rpc._call(alice, 'image_list', query={'filters': [
            {'name': 'name', 'op': 'gt', 'value': 'a'}]})

    seen = []
    real_get = images.get

    def spying_get(db, ctxt, image_id, **kwargs):
        seen.append(ctxt)
        return real_get(db, ctxt, image_id, **kwargs)

    monkeypatch.setattr(images, 'get', spying_get)
    assert rpc.image_get(alice, image_id=image['id']) == image
    (arrived,) = seen
    assert isinstance(arrived, context.RequestContext)
    assert (arrived.project_id, arrived.user_id, arrived.roles, arrived.request_id,
            arrived.is_admin) == ('project-a', 'u1', ['member'], alice.request_id, False)


def test_database_loss_arrives_as_database_unavailable():
    # Nothing listens on port 1: the driver fails to connect, as with a stopped server.
    ctxt = context.RequestContext(project_id='p', roles=['member'])
    with registry_over_memory_transport('postgresql+psycopg2://postgres@127.0.0.1:1/x') as rpc:
        with pytest.raises(exceptions.DatabaseUnavailable):
            rpc.ping(ctxt)
        with pytest.raises(exceptions.DatabaseUnavailable):
            rpc.image_get(ctxt, image_id='00000000-0000-0000-0000-000000000000')


def test_refusals_are_not_logged_as_server_errors(rpc, caplog):
    ctxt = context.RequestContext(project_id='p', roles=['member'])
    with pytest.raises(exceptions.ImageNotFound):
        rpc.image_get(ctxt, image_id='00000000-0000-0000-0000-000000000000')
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_image_list_query_and_its_form_before_1_4_list_alike(rpc, tmp_path):
    alice = context.RequestContext(project_id='project-a', user_id='u1', roles=['member'])
    for name, fmt in (('a', 'raw'), ('b', 'qcow2'), ('c,d', 'raw')):
        rpc.image_create(alice, values={'owner': 'project-a', 'name': name,
                                        'disk_format': fmt}, properties={'k': name}, tags=[])
    legacy = {'filters': {'name': 'in:a,"c,d"', 'disk_format': 'raw',
                          'created_at': 'gte:2000-01-01T00:00:00Z', 'member_status': 'all'},
              'marker': None, 'limit': 10, 'sort_keys': ['name'], 'sort_dirs': ['asc']}
    query = list_query.ListQuery.from_legacy(**legacy)
    current = [i['name'] for i in rpc.image_list(alice, query=query)]
    assert current == ['a', 'c,d']
    # An api before 1.4 sends the retired arguments; this registry still reads them.
    assert [i['name'] for i in rpc._call(alice, 'image_list', **legacy)] == current
    # An api held back below 1.4 sends the same query in that form.
    capped_conf = make_conf('sqlite:///%s' % (tmp_path / 'unused.sqlite'))
    capped_conf.set_override('version_cap', '1.3', group='registry')
    old_api = rpc_client.RegistryClient(capped_conf, rpc._transport)
    sent = []
    real_call = old_api._call

    def recording_call(ctxt, method, **kwargs):
        sent.append(sorted(kwargs))
        return real_call(ctxt, method, **kwargs)

    old_api._call = recording_call
    assert [i['name'] for i in old_api.image_list(alice, query=query)] == current
    assert sent == [['filters', 'limit', 'marker', 'sort_dirs', 'sort_keys']]
    # And image_get then carries the location, as a 1.3 registry's always did.
    image = old_api.image_list(alice, query=query)[0]
    assert old_api.image_get(alice, image_id=image['id'])['location'] is None
    assert 'location' not in rpc.image_get(alice, image_id=image['id'])
    assert rpc.image_get(alice, image_id=image['id'], internal=True)['location'] is None


def test_every_retired_argument_belongs_to_a_contract_method():
    for method, argument in contract.RETIRED_ARGUMENTS:
        assert argument in keyword_parameters(
            getattr(endpoint.RegistryEndpoint, method).__wrapped__)
        assert argument not in keyword_parameters(getattr(rpc_client.RegistryClient, method))


def test_every_optional_argument_belongs_to_a_contract_method():
    for method, argument in contract.OPTIONAL_ARGUMENTS:
        assert argument in keyword_parameters(getattr(rpc_client.RegistryClient, method))
        assert (contract.version_tuple(contract.OPTIONAL_ARGUMENTS[method, argument])
                > contract.version_tuple(contract.METHODS[method]))


def test_version_cap_sends_each_call_at_the_version_it_needs(db_url):
    import oslo_messaging

    alice = context.RequestContext(project_id='project-a', user_id='u1', roles=['member'])
    with registry_over_memory_transport(db_url) as current:
        capped_conf = make_conf(db_url)
        capped_conf.set_override('version_cap', '1.0', group='registry')
        old_api = rpc_client.RegistryClient(capped_conf, current._transport)
        sent = []
        real_prepare = old_api._client.prepare

        def recording_prepare(**kwargs):
            sent.append(kwargs.get('version'))
            return real_prepare(**kwargs)

        old_api._client.prepare = recording_prepare
        # A 1.0 method with a 1.1 argument goes out as 1.0, the argument left out: a 1.0
        # registry would refuse an unknown keyword.
        image = old_api.image_create(alice, values={'owner': 'project-a'}, properties={},
                                     tags=[], quotas={'image_tag_quota': 0})
        assert image['status'] == 'queued'
        # can_send_version() prepares a context too; the last one prepared is the call's.
        assert sent[-1] == '1.0'
        # A method the capped registry does not have is refused on the api side.
        with pytest.raises(oslo_messaging.RPCVersionCapError):
            old_api.deactivate(alice, image_id=image['id'])
        # Uncapped, the same argument travels and the registry enforces it.
        with pytest.raises(exceptions.QuotaExceeded):
            current.image_create(alice, values={'owner': 'project-a'}, properties={},
                                 tags=['t'], quotas={'image_tag_quota': 0})


def test_renew_upload_travels_at_1_3_and_a_lower_cap_refuses_it(db_url):
    import oslo_messaging

    alice = context.RequestContext(project_id='project-a', user_id='u1', roles=['member'])
    with registry_over_memory_transport(db_url) as current:
        image = current.image_create(alice, values={'owner': 'project-a', 'disk_format': 'raw',
                                                    'container_format': 'bare'},
                                     properties={}, tags=[])
        began = current.begin_upload(alice, image_id=image['id'], lease_seconds=60)
        renewed = current.renew_upload(alice, image_id=image['id'], lease_seconds=600)
        assert renewed['status'] == 'saving'
        assert renewed['upload_expires_at'] > began['upload_expires_at']
        current.abort_upload(alice, image_id=image['id'])
        with pytest.raises(exceptions.InvalidStatusTransition):
            current.renew_upload(alice, image_id=image['id'], lease_seconds=60)

        capped_conf = make_conf(db_url)
        capped_conf.set_override('version_cap', '1.2', group='registry')
        old_api = rpc_client.RegistryClient(capped_conf, current._transport)
        with pytest.raises(oslo_messaging.RPCVersionCapError):
            old_api.renew_upload(alice, image_id=image['id'], lease_seconds=60)
