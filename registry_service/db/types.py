"""Column types shared by the models and the migrations."""

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql


class UTCDateTime(sa.TypeDecorator):
    """A naive UTC datetime with microseconds on every backend.

    Values are stored without a zone (all of them are UTC); aware values are converted on the
    way in. MySQL/MariaDB need DATETIME(6) or they drop the microseconds, and the listing
    sorts and pages on created_at, so equal-second rows must keep their order.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ('mysql', 'mariadb'):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
