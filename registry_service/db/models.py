"""The image tables, as typed SQLAlchemy 2.x models.

The migrations in ``migrations/versions`` build the same schema; a test compares the two.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from registry_service.db.types import UTCDateTime

# Deterministic constraint names, so a later migration can drop or alter them by name on
# every backend.
NAMING_CONVENTION = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

# Binary collation on MySQL/MariaDB: names, tags and property keys compare case-sensitively
# there as on PostgreSQL and SQLite, so 'Foo' and 'foo' are two properties everywhere.
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
                    'mysql_collate': 'utf8mb4_bin'}


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Image(Base):
    __tablename__ = 'images'
    __table_args__ = (
        # The default listing: non-deleted rows in created_at order, id as tie-breaker.
        sa.Index(None, 'deleted', 'created_at', 'id'),
        sa.Index(None, 'owner'),
        sa.Index(None, 'status'),
        sa.Index(None, 'visibility'),
        sa.Index(None, 'name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    visibility: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    os_hidden: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    os_hash_algo: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    os_hash_value: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    virtual_size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    container_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    disk_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    min_ram: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    min_disk: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    # Internal: when an upload in progress (status saving) may be presumed dead.
    upload_expires_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    # Internal: the upload in progress - its own token (renew, finish and abort naming
    # another one are refused) and the api worker receiving it (release_uploads).
    upload_token: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    upload_holder: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))


class ImageProperty(Base):
    __tablename__ = 'image_properties'
    __table_args__ = (
        sa.UniqueConstraint('image_id', 'name'),
        # Property filters look rows up by name; the value is not indexed because values may
        # be long text, beyond what a PostgreSQL btree entry or a MySQL key can hold.
        sa.Index(None, 'name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    value: orm.Mapped[str] = orm.mapped_column(sa.Text)


class ImageTag(Base):
    __tablename__ = 'image_tags'
    __table_args__ = (
        sa.UniqueConstraint('image_id', 'value'),
        sa.Index(None, 'value'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    value: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class ImageMember(Base):
    """A project a ``shared`` image is shared with, and whether it took the offer."""

    __tablename__ = 'image_members'
    __table_args__ = (
        sa.UniqueConstraint('image_id', 'member'),
        # A member's listing looks up "images shared with me in this status".
        sa.Index(None, 'member', 'status'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    # The project id of the member.
    member: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class ImageDataDeletion(Base):
    """Image data still to be removed from a store: a pending_delete image's, waiting for
    glance-scrubber, or what an immediate delete could not remove (retried by it)."""

    __tablename__ = 'image_data_deletions'
    __table_args__ = (
        sa.Index(None, 'image_id'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    # The store URI of the data.
    location: orm.Mapped[str] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    # A scrubber took the row until then; NULL or passed: free to take.
    claimed_until: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    # Failed removals so far, and the last one's reason: the record says the data is
    # still there and why.
    attempts: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)



class ImageLocation(Base):
    """Where an image's data lives: its URL in a store, the store's id (a backend of
    [DEFAULT] enabled_backends, or the driver in a single-store setup; NULL for locations
    recorded before store ids), its status and metadata. Never shown to users."""

    __tablename__ = 'image_locations'
    __table_args__ = (
        sa.Index(None, 'image_id'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    url: orm.Mapped[str] = orm.mapped_column(sa.Text)
    store_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # active, pending_delete (glance-scrubber will remove the data) or deleted.
    status: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    # JSON text of the store's metadata about the data, or NULL.
    meta_data: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)


class CachedImage(Base):
    """A copy of an image in one glance-api node's image cache (centralized_db records)."""

    __tablename__ = 'cached_images'
    __table_args__ = (
        sa.UniqueConstraint('node_reference', 'image_id'),
        sa.Index(None, 'image_id'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # The node's worker_self_reference_url.
    node_reference: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'))
    size: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    hits: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    # Seconds since the epoch, as the cache API shows them.
    last_accessed: orm.Mapped[float] = orm.mapped_column(sa.Double)
    last_modified: orm.Mapped[float] = orm.mapped_column(sa.Double)

class Task(Base):
    """An asynchronous task of glance-api (the tasks API, image import): its input, result
    and message beside it (upstream's task_info), and the lease of the api worker running
    it (registry_service/tasks.py)."""

    __tablename__ = 'tasks'
    __table_args__ = (
        # The default listing: non-deleted rows in created_at order, id as tie-breaker.
        sa.Index(None, 'deleted', 'created_at', 'id'),
        sa.Index(None, 'owner'),
        sa.Index(None, 'status'),
        sa.Index(None, 'image_id'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    type: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    # pending, processing, success or failure.
    status: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    owner: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    # JSON text of the task's input and result objects.
    input: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    result: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    message: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # Not a foreign key: a task outlives the image it made or failed to make.
    image_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    # Internal: the api worker running the task and when it may be presumed dead.
    holder: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    lease_expires_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    # A finished task is hidden (deleted) once this passes ([task] task_time_to_live).
    expires_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    deleted: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    deleted_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)


# -- the metadata definitions catalog (metadefs) ----------------------------------------------

class MetadefNamespace(Base):
    """A namespace of the catalog: its properties, objects and tags hang off it."""

    __tablename__ = 'metadef_namespaces'
    __table_args__ = (
        sa.UniqueConstraint('namespace'),
        sa.Index(None, 'owner'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    namespace: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    display_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    visibility: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    owner: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class MetadefProperty(Base):
    """A property definition: its JSON schema (title, type, enum ...) as JSON text."""

    __tablename__ = 'metadef_properties'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    json_schema: orm.Mapped[str] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class MetadefObject(Base):
    """An object definition: a named group of properties, some of them required."""

    __tablename__ = 'metadef_objects'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # JSON text: the list of required property names, and the properties' schemas.
    required: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    json_schema: orm.Mapped[str] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class MetadefTag(Base):
    __tablename__ = 'metadef_tags'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class MetadefResourceType(Base):
    """A kind of resource namespaces apply to (OS::Glance::Image ...); the protected ones
    came with the schema and stay."""

    __tablename__ = 'metadef_resource_types'
    __table_args__ = (
        sa.UniqueConstraint('name'),
        MYSQL_TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class MetadefNamespaceResourceType(Base):
    """A namespace applies to a resource type, its properties prefixed with ``prefix``."""

    __tablename__ = 'metadef_namespace_resource_types'
    __table_args__ = (
        sa.Index(None, 'namespace_id'),
        MYSQL_TABLE_ARGS,
    )

    resource_type_id: orm.Mapped[int] = orm.mapped_column(
        # Both keys named here: the naming convention's names pass MySQL's 64 characters.
        sa.Integer, sa.ForeignKey('metadef_resource_types.id',
                                  name='fk_metadef_ns_rt_resource_type'),
        primary_key=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE',
                                  name='fk_metadef_ns_rt_namespace'),
        primary_key=True)
    prefix: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    properties_target: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
