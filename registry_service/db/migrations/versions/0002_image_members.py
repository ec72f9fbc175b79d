"""The image_members table: the projects a shared image is shared with.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Spelled out here for the same reason as in 0001: this revision builds the schema of its
# own time, whatever the models become.
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'image_members',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('member', sa.String(255), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_image_members'),
        sa.ForeignKeyConstraint(['image_id'], ['images.id'], ondelete='CASCADE',
                                name='fk_image_members_image_id_images'),
        sa.UniqueConstraint('image_id', 'member', name='uq_image_members_image_id_member'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_image_members_member_status', 'image_members', ['member', 'status'])


def downgrade():
    op.drop_table('image_members')
