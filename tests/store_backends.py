"""Session fixtures for the real storage back ends (tools/backends/ does the work).

Use them from a conftest.py::

    from tests.store_backends import swift_tempauth  # noqa: F401  (the fixture)

Each starts its server(s) the first time a test asks for it, on free 127.0.0.1 ports in a
session temporary directory, and stops them at the end of the session. The value is the
running server object; its ``info`` dict holds the endpoint and the credentials:

- ``swift_tempauth``: a Swift with tempauth: ``auth_url`` (auth v1), ``user``, ``key``,
  ``storage_url``, ``proxy_url``;
- ``swift_keystone``: a Swift behind the session's Keystone (authtoken + keystoneauth):
  ``auth_url`` (Keystone v3), ``user``/``key`` of a project member, ``project``,
  ``project_id``, domains, ``storage_url``; the object-store endpoint is in Keystone's
  catalog;
- ``s3_server``: moto in server mode: ``endpoint_url``, ``access_key``, ``secret_key``,
  ``region``;
- ``http_server``: a static file server with Range support: ``url``; ``add_file(name,
  data)`` publishes a file.
"""

import pytest

from tests.keystone_fixture import keystone  # noqa: F401  (swift_keystone needs it)
from tools.backends import http_server as http_backend
from tools.backends import s3_server as s3_backend
from tools.backends import swift_server as swift_backend


def _running(server):
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def swift_tempauth(tmp_path_factory):
    yield from _running(swift_backend.SwiftServer(tmp_path_factory.mktemp('swift-tempauth')))


@pytest.fixture(scope='session')
def swift_keystone(tmp_path_factory, keystone):  # noqa: F811 (the imported fixture)
    server = swift_backend.SwiftServer(tmp_path_factory.mktemp('swift-keystone'),
                                       keystone=keystone.info)
    for running in _running(server):
        swift_backend.register_in_keystone(running.info, keystone.info)
        yield running


@pytest.fixture(scope='session')
def s3_server(tmp_path_factory):
    yield from _running(s3_backend.S3Server(tmp_path_factory.mktemp('s3')))


@pytest.fixture(scope='session')
def http_server(tmp_path_factory):
    yield from _running(http_backend.HttpServer(tmp_path_factory.mktemp('http')))
