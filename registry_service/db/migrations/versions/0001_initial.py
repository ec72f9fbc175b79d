"""The image tables: images, image_properties, image_tags.

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# Spelled out rather than imported from models: a revision must keep building the schema it
# was written for, whatever the models become later.
# UTC, naive, with microseconds (MySQL/MariaDB would drop them from a plain DATETIME).
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'images',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255)),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('visibility', sa.String(20), nullable=False),
        sa.Column('protected', sa.Boolean, nullable=False),
        sa.Column('os_hidden', sa.Boolean, nullable=False),
        sa.Column('checksum', sa.String(32)),
        sa.Column('os_hash_algo', sa.String(64)),
        sa.Column('os_hash_value', sa.String(128)),
        sa.Column('owner', sa.String(255)),
        sa.Column('size', sa.BigInteger),
        sa.Column('virtual_size', sa.BigInteger),
        sa.Column('container_format', sa.String(32)),
        sa.Column('disk_format', sa.String(32)),
        sa.Column('min_ram', sa.Integer, nullable=False),
        sa.Column('min_disk', sa.Integer, nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('deleted_at', UTCDateTime),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('location', sa.Text),
        sa.Column('upload_expires_at', UTCDateTime),
        sa.PrimaryKeyConstraint('id', name='pk_images'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_images_deleted_created_at_id', 'images',
                    ['deleted', 'created_at', 'id'])
    op.create_index('ix_images_owner', 'images', ['owner'])
    op.create_index('ix_images_status', 'images', ['status'])
    op.create_index('ix_images_visibility', 'images', ['visibility'])
    op.create_index('ix_images_name', 'images', ['name'])

    op.create_table(
        'image_properties',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('value', sa.Text, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_image_properties'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_image_properties_image_id_images'),
        sa.UniqueConstraint('image_id', 'name', name='uq_image_properties_image_id_name'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_image_properties_name', 'image_properties', ['name'])

    op.create_table(
        'image_tags',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('value', sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_image_tags'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_image_tags_image_id_images'),
        sa.UniqueConstraint('image_id', 'value', name='uq_image_tags_image_id_value'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_image_tags_value', 'image_tags', ['value'])


def downgrade():
    op.drop_table('image_tags')
    op.drop_table('image_properties')
    op.drop_table('images')
