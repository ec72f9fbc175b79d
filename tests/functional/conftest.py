"""Fixtures of the functional tier: real daemons on each database backend, started once.

``glance_service`` is parametrized over the backends, so every test that asks for it runs on
SQLite, PostgreSQL and MariaDB. The daemons for a backend start the first time a test needs
them and stop at the end of the session; when a test fails, the part of the daemons' logs
written during that test is attached to its report.
"""

import concurrent.futures
import contextlib
import uuid

import pytest

from tests import db_backends
from tests.functional import daemons
from tests.functional.http_api import ImagesApi


class ServicePool:
    """At most one running GlanceService per backend, shared by the whole session."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._stack = contextlib.ExitStack()
        self._services = {}
        self._failures = {}

    def get(self, kind):
        if kind in self._failures:
            # Starting a backend is slow; fail its other tests fast with the first reason.
            raise self._failures[kind]
        if kind not in self._services:
            try:
                self._services[kind] = self._start(kind)
            except Exception as exc:
                self._failures[kind] = exc
                raise
        return self._services[kind]

    def _start(self, kind):
        daemons.check_rabbitmq()
        workdir = self._tmp.mktemp(f'glance-{kind}')
        url = self._stack.enter_context(db_backends.temporary_database(kind, str(workdir)))
        service = daemons.GlanceService(workdir / 'service', url, name=kind)
        service.start()
        return service

    def close(self):
        # Stop the backends' daemons side by side, then drop their databases.
        with concurrent.futures.ThreadPoolExecutor() as pool:
            list(pool.map(lambda service: service.stop(), self._services.values()))
        self._stack.close()


@pytest.fixture(scope='session')
def service_pool(tmp_path_factory):
    pool = ServicePool(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture(scope='session', params=db_backends.BACKENDS, ids=list(db_backends.BACKENDS))
def glance_service(request, service_pool):
    """glance-api + one glance-registry on the parametrized database backend."""
    return service_pool.get(request.param)


@pytest.fixture(scope='session')
def sqlite_service(service_pool):
    """The SQLite service alone, for client tests that need not run on every backend."""
    return service_pool.get('sqlite')


@pytest.fixture
def project_id():
    """A fresh project per test, so listings see only what the test created."""
    return f'project-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def images(glance_service, project_id):
    """The images API of the parametrized service, as a fresh project."""
    api = ImagesApi(glance_service.base_url, project_id)
    yield api
    api.session.close()


# -- attach daemon logs to failing tests ----------------------------------------------------

def _services_of(item):
    funcargs = getattr(item, 'funcargs', {})
    return [v for v in funcargs.values() if isinstance(v, daemons.GlanceService)]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marks = item.__dict__.setdefault('daemon_log_marks', {})
    if report.when == 'setup' and report.passed:
        for service in _services_of(item):
            marks[service] = service.log_marks()
    if report.failed:
        for service in _services_of(item):
            report.sections.append(
                (f'glance daemon logs ({service.name}, {report.when})',
                 service.logs_since(marks.get(service))))
