"""The api under Flask's test client, talking to an in-memory registry.

``registry`` is a FakeRegistry (fake_registry.py): RegistryClient's methods over dicts,
keeping to the RPC contract; test_fake_registry_contract.py holds it to the real registry.
A test marked ``real_registry`` gets the REAL registry in this process instead: its RPC
server and the api's RegistryClient share one oslo.messaging ``kombu+memory:////``
transport, and the registry owns a temporary SQLite database migrated to head (for what
happens on the wire: version caps, timeouts). The filesystem store writes into a temporary
directory.
"""

import shutil
import threading
import uuid

import pytest
from oslo_config import cfg

from api_service import config as api_config
from api_service.services import upload_lease
from api_service.wsgi import app as app_module
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport
from registry_service import config as registry_config
from registry_service import server as registry_server
from registry_service.db import migration
from tests.unit.api.fake_registry import FakeRegistry
from tests.unit.fake_clock import FakeClock
from tests.unit.fake_clock import PacedByClock

MEMORY_URL = 'kombu+memory:////'

ADMIN = {'X-User-Id': 'admin-user', 'X-Project-Id': 'admin-project', 'X-Roles': 'admin'}
ALICE = {'X-User-Id': 'alice', 'X-Project-Id': 'project-a', 'X-Roles': 'member,reader'}
BOB = {'X-User-Id': 'bob', 'X-Project-Id': 'project-b', 'X-Roles': 'member'}


def pytest_configure(config):
    config.addinivalue_line('markers', 'real_registry: the api talks to the real registry '
                            'over the in-memory transport, not to the FakeRegistry')


def make_conf(tmp_path, **overrides):
    conf = cfg.ConfigOpts()
    api_config.register_opts(conf)
    registry_config.register_opts(conf)
    conf([], default_config_files=[])
    # A topic per test: the in-memory broker is shared by the whole process.
    conf.set_override('topic', 'glance_registry_%s' % uuid.uuid4().hex, group='registry')
    conf.set_override('connection', 'sqlite:///%s' % (tmp_path / 'registry.sqlite'),
                      group='database')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'),
                      group='glance_store')
    # Import's staging area too, not the default under /tmp.
    conf.set_override('node_staging_uri', 'file://%s' % (tmp_path / 'staging'))
    for name, value in overrides.items():
        group, _, key = name.rpartition('__')
        conf.set_override(key, value, group=group or None)
    return conf


@pytest.fixture
def conf(tmp_path):
    return make_conf(tmp_path)


@pytest.fixture
def datadir(tmp_path):
    return tmp_path / 'images'


@pytest.fixture(scope='session')
def stopped_registries():
    """Retires the registries tests stopped, each in a thread of its own, right away.

    server.wait() idles for the transport's one-second poll, so no test waits for it; but
    each retirement starts at once, so the transports' polling threads do not pile up over
    the session (hundreds of them slowed every later test).
    """
    retiring = []

    def finish(server, transport):
        server.wait()
        server.registry_database.dispose()
        transport.cleanup()

    def retire(server, transport):
        thread = threading.Thread(target=finish, args=(server, transport), daemon=True)
        thread.start()
        retiring.append(thread)

    yield retire
    for thread in retiring:
        thread.join()


@pytest.fixture(scope='session')
def migrated_database(tmp_path_factory):
    """An SQLite file at schema head, made once and copied for each test."""
    path = tmp_path_factory.mktemp('registry-template') / 'registry.sqlite'
    migration.upgrade('sqlite:///%s' % path)
    return path


@pytest.fixture
def registry(request):
    """The FakeRegistry, or for a test marked ``real_registry`` the real one."""
    if request.node.get_closest_marker('real_registry') is not None:
        return request.getfixturevalue('real_registry')
    return FakeRegistry()


@pytest.fixture
def real_registry(conf, tmp_path, migrated_database, stopped_registries):
    """A started registry RPC server and a RegistryClient wired to it."""
    shutil.copyfile(migrated_database, tmp_path / 'registry.sqlite')
    transport = rpc_transport.get_transport(conf, url=MEMORY_URL)
    server = registry_server.make_rpc_server(conf, transport, server_name='unit-test')
    server.start()
    client = rpc_client.RegistryClient(conf, transport=transport)
    yield client
    server.stop()
    stopped_registries(server, transport)


@pytest.fixture
def app(conf, registry):
    return app_module.create_app(conf, registry=registry)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def create_image(client):
    """POST an image as ``headers`` (default ALICE) and return its JSON."""
    def create(headers=ALICE, **body):
        body.setdefault('name', 'test-image')
        response = client.post('/v2/images', json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return create


class ClockedLease(PacedByClock, upload_lease.UploadLease):
    """UploadLease on the fake clock: its renewal thread waits on the clock, not real time."""

    def __init__(self, *args, clock, **kwargs):
        super().__init__(*args, clock=clock, **kwargs)
        self._stopping = clock.event()


@pytest.fixture
def clock(monkeypatch):
    """The fake clock of every UploadLease the api makes in this test."""
    clock = FakeClock()
    monkeypatch.setattr(upload_lease, 'UploadLease',
                        lambda *args, **kwargs: ClockedLease(*args, clock=clock, **kwargs))
    return clock
