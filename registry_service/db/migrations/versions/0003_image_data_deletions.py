"""The image_data_deletions table: image data still to be removed from its store.

One row per location whose data outlives its image: the data of a ``pending_delete`` image
(delayed delete), waiting for glance-scrubber, and the data an immediate delete could not
remove (a store that was down), which glance-scrubber retries. A scrubber claims a row
(``claimed_until``) before deleting, so two scrubbers never take the same one.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Spelled out here for the same reason as in 0001: this revision builds the schema of its
# own time, whatever the models become.
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'image_data_deletions',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('location', sa.Text, nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('claimed_until', UTCDateTime, nullable=True),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('last_error', sa.Text, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_image_data_deletions'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_image_data_deletions_image_id_images'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_image_data_deletions_image_id', 'image_data_deletions', ['image_id'])


def downgrade():
    op.drop_table('image_data_deletions')
