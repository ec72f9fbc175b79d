"""The real storage back ends (tests/store_backends.py), for the stores' functional tests."""

from tests.store_backends import http_server  # noqa: F401  (session fixtures)
from tests.store_backends import keystone  # noqa: F401
from tests.store_backends import s3_server  # noqa: F401
from tests.store_backends import swift_keystone  # noqa: F401
from tests.store_backends import swift_tempauth  # noqa: F401
