"""The metadata definitions catalog (metadefs): namespaces with their properties, objects
and tags, the resource types namespaces apply to, and which namespace applies to which.

The resource types every deployment knows (images, volumes, flavors, host aggregates and
servers) come with the tables, protected, as upstream Glance seeds them, so a catalog can
be associated with them before anything is loaded.

Revision ID: 0005
Revises: 0004
"""

import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Spelled out here for the same reason as in 0001: this revision builds the schema of its
# own time, whatever the models become.
UTCDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}

SEEDED_RESOURCE_TYPES = ('OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor',
                         'OS::Nova::Aggregate', 'OS::Nova::Server')


def _times():
    return [sa.Column('created_at', UTCDateTime, nullable=False),
            sa.Column('updated_at', UTCDateTime, nullable=False)]


def _namespace_child(table):
    op.create_table(
        table,
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('namespace_id', sa.Integer, nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        *([sa.Column('description', sa.Text, nullable=True),
           sa.Column('required', sa.Text, nullable=True)] if table == 'metadef_objects'
          else []),
        *([sa.Column('json_schema', sa.Text, nullable=False)] if table != 'metadef_tags'
          else []),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_%s' % table),
        sa.ForeignKeyConstraint(['namespace_id'], ['metadef_namespaces.id'],
                                ondelete='CASCADE',
                                name='fk_%s_namespace_id_metadef_namespaces' % table),
        sa.UniqueConstraint('namespace_id', 'name', name='uq_%s_namespace_id_name' % table),
        **MYSQL_TABLE_ARGS,
    )


def upgrade():
    op.create_table(
        'metadef_namespaces',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('namespace', sa.String(80), nullable=False),
        sa.Column('display_name', sa.String(80), nullable=True),
        sa.Column('description', sa.Text, nullable=True),
        sa.Column('visibility', sa.String(32), nullable=False),
        sa.Column('protected', sa.Boolean, nullable=False),
        sa.Column('owner', sa.String(255), nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_metadef_namespaces'),
        sa.UniqueConstraint('namespace', name='uq_metadef_namespaces_namespace'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_metadef_namespaces_owner', 'metadef_namespaces', ['owner'])
    for table in ('metadef_properties', 'metadef_objects', 'metadef_tags'):
        _namespace_child(table)
    resource_types = op.create_table(
        'metadef_resource_types',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('protected', sa.Boolean, nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint('id', name='pk_metadef_resource_types'),
        sa.UniqueConstraint('name', name='uq_metadef_resource_types_name'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_table(
        'metadef_namespace_resource_types',
        sa.Column('resource_type_id', sa.Integer, nullable=False),
        sa.Column('namespace_id', sa.Integer, nullable=False),
        sa.Column('prefix', sa.String(80), nullable=True),
        sa.Column('properties_target', sa.String(80), nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint('resource_type_id', 'namespace_id',
                                name='pk_metadef_namespace_resource_types'),
        sa.ForeignKeyConstraint(
            ['resource_type_id'], ['metadef_resource_types.id'],
            name='fk_metadef_ns_rt_resource_type'),
        sa.ForeignKeyConstraint(
            ['namespace_id'], ['metadef_namespaces.id'], ondelete='CASCADE',
            name='fk_metadef_ns_rt_namespace'),
        **MYSQL_TABLE_ARGS,
    )
    op.create_index('ix_metadef_namespace_resource_types_namespace_id',
                    'metadef_namespace_resource_types', ['namespace_id'])
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    op.bulk_insert(resource_types, [
        {'name': name, 'protected': True, 'created_at': now, 'updated_at': now}
        for name in SEEDED_RESOURCE_TYPES])


def downgrade():
    # The catalog goes with its tables; glance-manage db export_metadefs saves it first.
    op.drop_table('metadef_namespace_resource_types')
    op.drop_table('metadef_resource_types')
    op.drop_table('metadef_tags')
    op.drop_table('metadef_objects')
    op.drop_table('metadef_properties')
    op.drop_table('metadef_namespaces')
