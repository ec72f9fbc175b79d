"""Registry query tests run on SQLite through the real migrations.

Set GLIMPSE_REGISTRY_TEST_BACKEND=postgresql (or mysql) to run the same tests on a fresh
database of that server per test (slower; the servers of tests/db_backends.py must run).
"""

import os
import shutil

import pytest
from oslo_config import cfg

from common import context
from registry_service import config
from registry_service.db import migration
from registry_service.db import session as db_session
from tests import db_backends


@pytest.fixture(scope='session')
def migrated_template(tmp_path_factory):
    # Migrate once; each test gets a copy of the file (much faster than migrating again).
    path = tmp_path_factory.mktemp('template') / 'glance.sqlite'
    migration.upgrade('sqlite:///%s' % path)
    return path


@pytest.fixture
def db_url(migrated_template, tmp_path):
    backend = os.environ.get('GLIMPSE_REGISTRY_TEST_BACKEND', 'sqlite')
    if backend != 'sqlite':
        with db_backends.temporary_database(backend, tmp_path) as url:
            migration.upgrade(url)
            yield url
        return
    path = tmp_path / 'glance.sqlite'
    shutil.copyfile(migrated_template, path)
    yield 'sqlite:///%s' % path


@pytest.fixture
def conf(db_url):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], project='glance')
    conf.set_override('connection', db_url, group='database')
    return conf


@pytest.fixture
def db(conf):
    database = db_session.Database.from_conf(conf)
    yield database
    database.dispose()


def make_context(project, *roles, request_id=None):
    # is_admin as glance-api's default context_is_admin rule (role:admin) decides it.
    kwargs = {'project_id': project, 'user_id': 'user-' + str(project),
              'roles': list(roles) or ['member'], 'is_admin': 'admin' in roles}
    if request_id:
        kwargs['request_id'] = request_id
    return context.RequestContext(**kwargs)


@pytest.fixture
def alice():
    return make_context('project-a')


@pytest.fixture
def bob():
    return make_context('project-b')


@pytest.fixture
def admin():
    return make_context('project-admin', 'admin', 'member')
