"""The cached_images table: which glance-api node holds a copy of which image in its image
cache (upstream's centralized_db cache driver), with the copy's size, hits and times.

One row per node (its worker_self_reference_url) and image. The api writes it over RPC when
a copy is published, sends hits in batches, and drops rows when copies go; deleting or
deactivating an image drops every node's row for it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'cached_images',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('node_reference', sa.String(255), nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('size', sa.BigInteger, nullable=False),
        sa.Column('hits', sa.Integer, nullable=False),
        # Seconds since the epoch, as the cache API shows them.
        sa.Column('last_accessed', sa.Double, nullable=False),
        sa.Column('last_modified', sa.Double, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_cached_images'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_cached_images_image_id_images'),
        sa.UniqueConstraint('node_reference', 'image_id',
                            name='uq_cached_images_node_reference_image_id'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_cached_images_image_id', 'cached_images', ['image_id'])


def downgrade():
    op.drop_table('cached_images')
