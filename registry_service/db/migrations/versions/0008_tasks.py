"""The tasks table: glance-api's asynchronous tasks (the tasks API, image import).

One row per task with its input, result and message (upstream keeps those three in a
task_info table beside tasks; here they live in the one row, read and written with it), the
image it works on, and the lease of the glance-api worker running it (``holder``,
``lease_expires_at``), which glance-registry's sweep uses to fail a task whose worker died.
The downgrade drops the table (its tasks are lost; glance-manage's downgrade guard names
the table).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Spelled out here for the same reason as in 0001: this revision builds the schema of its
# own time, whatever the models become.
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'tasks',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('type', sa.String(30), nullable=False),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('owner', sa.String(255), nullable=False),
        sa.Column('input', sa.Text, nullable=True),
        sa.Column('result', sa.Text, nullable=True),
        sa.Column('message', sa.Text, nullable=True),
        sa.Column('image_id', sa.String(36), nullable=True),
        sa.Column('request_id', sa.String(64), nullable=True),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('holder', sa.String(255), nullable=True),
        sa.Column('lease_expires_at', UTCDateTime, nullable=True),
        sa.Column('expires_at', UTCDateTime, nullable=True),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_tasks'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_tasks_deleted_created_at_id', 'tasks', ['deleted', 'created_at', 'id'])
    op.create_index('ix_tasks_owner', 'tasks', ['owner'])
    op.create_index('ix_tasks_status', 'tasks', ['status'])
    op.create_index('ix_tasks_image_id', 'tasks', ['image_id'])


def downgrade():
    op.drop_table('tasks')
