"""glance-manage db sync/version/downgrade/check against real databases on every backend.

That the models agree with what the migrations build is a unit test
(tests/unit/registry/test_migrations.py): it needs SQLite only."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from registry_service.db import migration
from registry_service.db import models
from tests import db_backends

GLANCE_MANAGE = os.path.join(os.path.dirname(sys.executable), 'glance-manage')
# Every table the models declare: the migrations at head must build exactly these (alembic's
# version table is left out by tables()).
IMAGE_TABLES = set(models.Base.metadata.tables)


def manage(config_file, *args):
    return subprocess.run([GLANCE_MANAGE, '--config-file', str(config_file), *args],
                          capture_output=True, text=True, timeout=120)


def tables(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names()) - {'alembic_version'}
    finally:
        engine.dispose()


@pytest.mark.parametrize('backend', db_backends.BACKENDS)
def test_sync_version_downgrade_and_sync_again(backend, tmp_path):
    head = migration.head()
    with db_backends.temporary_database(backend, tmp_path) as url:
        config_file = tmp_path / 'glance-registry.conf'
        config_file.write_text('[database]\nconnection = %s\n' % url)

        assert manage(config_file, 'db', 'version').stdout.strip() == 'base'
        assert manage(config_file, 'db', 'check').returncode == 1

        synced = manage(config_file, 'db', 'sync')
        assert synced.returncode == 0, synced.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == head
        assert tables(url) == IMAGE_TABLES
        assert manage(config_file, 'db', 'check').returncode == 0

        down = manage(config_file, 'db', 'downgrade', 'base')
        assert down.returncode == 0, down.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == 'base'
        assert tables(url) == set()

        again = manage(config_file, 'db', 'sync')
        assert again.returncode == 0, again.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == head
        assert tables(url) == IMAGE_TABLES


def test_manage_reports_a_bad_connection_and_fails(tmp_path):
    config_file = tmp_path / 'glance-registry.conf'
    config_file.write_text('[database]\nconnection = postgresql+psycopg2://postgres@'
                           '127.0.0.1:1/none\n')
    result = manage(config_file, 'db', 'version')
    assert result.returncode != 0
    assert 'glance-manage:' in result.stderr



def _insert_shared_image_with_member(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    now = sa.func.now()
    try:
        with engine.begin() as connection:
            metadata = sa.MetaData()
            images = sa.Table('images', metadata, autoload_with=connection)
            members = sa.Table('image_members', metadata, autoload_with=connection)
            connection.execute(images.insert().values(
                id='11111111-2222-3333-4444-555555555555', name='shared', status='queued',
                visibility='shared', protected=False, os_hidden=False, owner='owner',
                min_ram=0, min_disk=0, created_at=now, updated_at=now, deleted=False))
            connection.execute(members.insert().values(
                image_id='11111111-2222-3333-4444-555555555555', member='other',
                status='pending', created_at=now, updated_at=now))
    finally:
        engine.dispose()


def _count(url, table):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql('SELECT COUNT(*) FROM %s' % table).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize('backend', db_backends.BACKENDS)
def test_downgrade_that_drops_data_refuses_without_the_flag(backend, tmp_path):
    with db_backends.temporary_database(backend, tmp_path) as url:
        config_file = tmp_path / 'glance-registry.conf'
        config_file.write_text('[database]\nconnection = %s\n' % url)
        assert manage(config_file, 'db', 'sync').returncode == 0
        _insert_shared_image_with_member(url)

        refused = manage(config_file, 'db', 'downgrade', '0001')
        assert refused.returncode == 3, refused.stderr
        assert 'image_members (1 row with data)' in refused.stderr
        assert '--yes-i-know' in refused.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == migration.head()
        assert tables(url) == IMAGE_TABLES
        assert _count(url, 'image_members') == 1

        to_base = manage(config_file, 'db', 'downgrade', 'base')
        assert to_base.returncode == 3
        assert 'images (1 row with data)' in to_base.stderr
        assert tables(url) == IMAGE_TABLES

        done = manage(config_file, 'db', 'downgrade', '0001', '--yes-i-know')
        assert done.returncode == 0, done.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == '0001'
        assert 'image_members' not in tables(url)
        assert _count(url, 'images') == 1


def test_spellings_of_upstream_and_version(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'glance.sqlite')
    config_file = tmp_path / 'glance-registry.conf'
    config_file.write_text('[database]\nconnection = %s\n' % url)
    head = migration.head()

    legacy = manage(config_file, 'db_sync')
    assert legacy.returncode == 0, legacy.stderr
    assert manage(config_file, 'db_version').stdout.strip() == head
    assert manage(config_file, 'db', 'downgrade', 'base').returncode == 0
    upgraded = manage(config_file, 'db', 'upgrade')
    assert upgraded.returncode == 0, upgraded.stderr
    assert manage(config_file, 'db', 'version').stdout.strip() == head

    shown = subprocess.run([GLANCE_MANAGE, '--version'], capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0
    assert shown.stdout.strip() or shown.stderr.strip()


def test_plain_mysql_scheme_of_install_guides(tmp_path):
    # The URL form install guides print: mapped to the installed driver.
    with db_backends.temporary_database('mysql', tmp_path) as url:
        plain = 'mysql://' + url.partition('://')[2]
        config_file = tmp_path / 'glance-registry.conf'
        config_file.write_text('[database]\nconnection = %s\n' % plain)
        synced = manage(config_file, 'db', 'sync')
        assert synced.returncode == 0, synced.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == migration.head()


def _hiding(directory):
    """The environment of a command whose imports see ``directory`` first."""
    path = os.pathsep.join(p for p in (str(directory), os.environ.get('PYTHONPATH')) if p)
    return dict(os.environ, PYTHONPATH=path)


def test_missing_driver_is_named_with_its_extra(tmp_path):
    hidden = tmp_path / 'hidden'
    hidden.mkdir()
    (hidden / 'pymysql.py').write_text('raise ImportError("hidden by the test")\n')
    config_file = tmp_path / 'glance-registry.conf'
    config_file.write_text('[database]\nconnection = mysql://glance@127.0.0.1/glance\n')
    result = subprocess.run([GLANCE_MANAGE, '--config-file', str(config_file), 'db', 'sync'],
                            capture_output=True, text=True, timeout=60,
                            env=_hiding(hidden))
    assert result.returncode != 0
    assert 'mysql://' in result.stderr and 'glimpse[mysql]' in result.stderr


def test_plain_postgresql_scheme_without_psycopg_3(tmp_path):
    # The guides' postgresql:// with only psycopg2 installed (SQLAlchemy 2.1 defaults to
    # psycopg 3): mapped to psycopg2, and said so.
    hidden = tmp_path / 'hidden'
    hidden.mkdir()
    (hidden / 'psycopg.py').write_text('raise ImportError("psycopg 3 hidden by the test")\n')
    with db_backends.temporary_database('postgresql', tmp_path) as url:
        plain = 'postgresql://' + url.partition('://')[2]
        config_file = tmp_path / 'glance-registry.conf'
        config_file.write_text('[database]\nconnection = %s\n' % plain)
        result = subprocess.run([GLANCE_MANAGE, '--config-file', str(config_file), 'db', 'sync'],
                                capture_output=True, text=True, timeout=120,
                                env=_hiding(hidden))
        assert result.returncode == 0, result.stderr
        assert 'postgresql:// uses the installed psycopg2 driver' in result.stderr
        assert manage(config_file, 'db', 'version').stdout.strip() == migration.head()
