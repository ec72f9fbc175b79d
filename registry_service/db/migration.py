"""Schema migrations of the image database, callable from code (glance-manage, tests, dev mode).

Alembic finds its scripts next to this package; no alembic.ini in the working directory is
read or needed.
"""

import contextlib
import logging
import os
import tempfile

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


def _layout(connection):
    inspector = sa.inspect(connection)
    return {table: {column['name'] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names() if table != 'alembic_version'}


def dropped_by_downgrade(url, revision):
    """What downgrading the database at ``url`` to ``revision`` would drop, as
    {table: None (the whole table) or [columns]}.

    Found by running the same migrations on a scratch SQLite database, from the revision
    ``url`` is at down to ``revision``: the real database is only read.
    """
    now = current(url)
    if now is None:
        return {}
    # alembic's progress lines about the scratch database would read as if the real one
    # were being migrated.
    alembic_log = logging.getLogger('alembic')
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        return _dropped_between(now, revision)
    finally:
        alembic_log.setLevel(level)


def _dropped_between(now, revision):
    with tempfile.TemporaryDirectory(prefix='glimpse-downgrade-') as scratch:
        scratch_url = 'sqlite:///%s' % os.path.join(scratch, 'schema.sqlite')
        with _connection(scratch_url) as connection:
            command.upgrade(_config(connection), now)
            before = _layout(connection)
            command.downgrade(_config(connection), revision)
            after = _layout(connection)
    dropped = {}
    for table, columns in before.items():
        if table not in after:
            dropped[table] = None
        elif columns - after[table]:
            dropped[table] = sorted(columns - after[table])
    return dropped


# Rows a migration put there itself, which a downgrade loses nothing by dropping: the
# protected resource types 0005 seeds (an operator's own ones are not protected).
_SEEDED_ROWS = {'metadef_resource_types': lambda table: table.c.protected.is_(True)}


def rows_at_risk(url, dropped):
    """{table: rows holding data that ``dropped`` (from dropped_by_downgrade) would lose},
    tables with no such rows left out (and the rows a migration seeded not counted)."""
    at_risk = {}
    with _connection(url) as connection:
        metadata = sa.MetaData()
        for table_name, columns in sorted(dropped.items()):
            table = sa.Table(table_name, metadata, autoload_with=connection)
            query = sa.select(sa.func.count()).select_from(table)
            if columns is not None:
                query = query.where(sa.or_(*[table.c[c].is_not(None) for c in columns]))
            elif table_name in _SEEDED_ROWS:
                query = query.where(sa.not_(_SEEDED_ROWS[table_name](table)))
            count = connection.execute(query).scalar_one()
            if count:
                at_risk[table_name] = count
    return at_risk
