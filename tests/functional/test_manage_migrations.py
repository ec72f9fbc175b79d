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

