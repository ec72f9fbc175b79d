"""The models agree with what the migrations build (SQLite; the functional tier runs the
migrations themselves on every backend)."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from registry_service.db import models


def test_models_and_migrations_agree(migrated_template):
    # migrated_template: a database the real migrations brought to head.
    engine = sa.create_engine('sqlite:///%s' % migrated_template, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={'compare_type': True})
            assert compare_metadata(context, models.Base.metadata) == []
    finally:
        engine.dispose()
