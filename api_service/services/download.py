"""GET /v2/images/{id}/file: find the image's data and open it for streaming."""

import dataclasses

from api_service import exceptions as api_exceptions
from common import exceptions
from common import states


@dataclasses.dataclass
class ImageData:
    image: dict
    file: object = None   # None: the image has no data (answer 204)
    size: int = 0


def open_data(ctx, registry, stores, image_id):
    image = registry.image_get(ctx, image_id=image_id)
    if image['status'] == states.DEACTIVATED and not ctx.is_admin:
        raise exceptions.Forbidden('The requested image has been deactivated. Image data '
                                   'download is forbidden.')
    location = image.get('location')
    if not location:
        return ImageData(image)
    f, actual = stores.for_uri(location).open(location)
    expected = image.get('size')
    if expected is not None and actual != expected:
        # Sending either length would break the promise of Content-Length or of the
        # checksum; refuse and let the operator look.
        f.close()
        raise api_exceptions.StoredSizeMismatch(image_id=image_id, actual=actual,
                                                expected=expected)
    return ImageData(image, f, actual)
