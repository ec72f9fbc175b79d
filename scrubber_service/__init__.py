"""glance-scrubber: removes the data of deleted images from the stores, through the registry."""

import common.library_warnings  # noqa: F401  (before anything imports oslo.messaging)
