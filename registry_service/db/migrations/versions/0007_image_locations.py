"""The image_locations table: where an image's data lives, one row per location, with the
store (backend id) that holds it, its status and its metadata; it takes the place of the
images.location column.

The upgrade moves every image's location into the table: ``active`` for a live image,
``pending_delete`` for one whose data waits for glance-scrubber, ``deleted`` (and deleted)
for a deleted image; the store id stays NULL (glance-api finds the store by the URL). The
downgrade puts each image's newest location back into images.location and drops the table
(store ids and metadata are lost; glance-manage's downgrade guard names the table).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Spelled out here for the same reason as in 0001: this revision builds the schema of its
# own time, whatever the models become.
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'image_locations',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('url', sa.Text, nullable=False),
        sa.Column('store_id', sa.String(255), nullable=True),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('meta_data', sa.Text, nullable=True),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('deleted_at', UTCDateTime, nullable=True),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_image_locations'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_image_locations_image_id_images'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_image_locations_image_id', 'image_locations', ['image_id'])
    op.execute(
        "INSERT INTO image_locations (image_id, url, store_id, status, meta_data, "
        "created_at, updated_at, deleted_at, deleted) "
        "SELECT id, location, NULL, "
        "CASE WHEN status = 'pending_delete' THEN 'pending_delete' "
        "WHEN deleted THEN 'deleted' ELSE 'active' END, NULL, "
        "created_at, updated_at, deleted_at, deleted "
        "FROM images WHERE location IS NOT NULL")
    op.drop_column('images', 'location')


def downgrade():
    op.add_column('images', sa.Column('location', sa.Text, nullable=True))
    op.execute(
        "UPDATE images SET location = (SELECT l.url FROM image_locations l "
        "WHERE l.image_id = images.id ORDER BY l.deleted, l.id DESC LIMIT 1)")
    op.drop_table('image_locations')
