"""glance-registry and glance-manage: the image database behind an RPC topic."""

import common.library_warnings  # noqa: F401  (before anything imports oslo.messaging)
