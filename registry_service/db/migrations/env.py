"""Alembic environment: runs the revisions on the connection that migration.py hands over."""

from alembic import context

from registry_service.db import models

config = context.config
target_metadata = models.Base.metadata


def run_migrations_online():
    # registry_service.db.migration always passes an open connection; there is no ini file
    # and no URL to read here.
    connection = config.attributes['connection']
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit('Offline (--sql) migrations are not supported; use glance-manage db sync.')
run_migrations_online()
