"""Schemathesis hooks for the Images API v2 (loaded through SCHEMATHESIS_HOOKS).

PATCH bodies use the JSON-patch media types of the Images API, which schemathesis cannot
know are JSON; they are serialized as JSON (``application/json``'s serializer).
"""

import schemathesis

JSON_PATCH_MEDIA_TYPES = ('application/openstack-images-v2.1-json-patch',
                          'application/openstack-images-v2.0-json-patch')

for media_type in JSON_PATCH_MEDIA_TYPES:
    schemathesis.serializer.alias(media_type, 'application/json')
