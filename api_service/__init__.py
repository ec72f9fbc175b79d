"""glance-api: the Images API v2 over HTTP."""

import common.library_warnings  # noqa: F401  (before anything imports oslo.messaging)
