"""Schema migrations of the image database, callable from code (glance-manage, tests, dev mode).

Alembic finds its scripts next to this package; no alembic.ini in the working directory is
read or needed.
"""

import contextlib
import os

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from registry_service.db import urls

SCRIPT_LOCATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'migrations')


def _config(connection=None):
    config = Config()
    config.set_main_option('script_location', SCRIPT_LOCATION)
    config.attributes['connection'] = connection
    return config


@contextlib.contextmanager
def _connection(url):
    engine = sa.create_engine(urls.resolve(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
            connection.commit()
    finally:
        engine.dispose()


def upgrade(url, revision='head'):
    with _connection(url) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(url, revision):
    with _connection(url) as connection:
        command.downgrade(_config(connection), revision)


def current(url):
    """The revision the database is at, or None for an empty (never migrated) database."""
    with _connection(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head():
    return ScriptDirectory.from_config(_config()).get_current_head()


def pending(url):
    """Revisions between the database's current one and head, oldest first."""
    script = ScriptDirectory.from_config(_config())
    now = current(url)
    revisions = script.iterate_revisions('heads', now)
    return [r.revision for r in reversed(list(revisions))]
