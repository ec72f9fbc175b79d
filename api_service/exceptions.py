"""Every error of glance-api's own (data path, stores, request parsing, startup).

None of them crosses the RPC boundary; those live in common.exceptions. Each HTTP error
subclasses the common.exceptions class with the same meaning, so the one table in
api_service/http/errors.py maps them without a row of their own unless the status differs.
"""

from common import exceptions


class BadRequest(exceptions.Invalid):
    msg_fmt = 'The request is not valid.'


class ClientDisconnected(BadRequest):
    msg_fmt = 'The client stopped sending data before the upload was complete.'


class MalformedChunkedBody(BadRequest):
    """The chunk framing of a request body is broken or cut short (socket_body.py)."""
    msg_fmt = 'The chunked request body is malformed.'


class ImageSizeLimitExceeded(exceptions.QuotaExceeded):
    msg_fmt = 'The image is larger than the allowed size of %(cap)d bytes.'


class StorageFull(exceptions.QuotaExceeded):
    msg_fmt = 'There is not enough disk space in the image store.'


class StorageWriteDenied(exceptions.GlimpseError):
    msg_fmt = 'The image store refused the write; try again later.'


class StoreDataNotFound(exceptions.NotFound):
    msg_fmt = 'Image data not found at %(uri)s.'


class UnknownStoreScheme(exceptions.GlimpseError):
    msg_fmt = 'No store handles the location scheme %(scheme)s.'


class UnknownStore(exceptions.GlimpseError):
    msg_fmt = 'No store %(store)s is configured (its data cannot be reached).'


class StoreReadOnly(StorageWriteDenied):
    msg_fmt = ('The image store %(store)s takes no new data (it is read-only); ask the '
               'operator to check its configuration.')


class StoreUnavailable(exceptions.GlimpseError):
    msg_fmt = 'The image store %(store)s cannot be used now: %(reason)s.'


class StoreCapabilityMissing(exceptions.GlimpseError):
    msg_fmt = 'The image store %(store)s cannot %(what)s.'


class StoreUnreachable(exceptions.GlimpseError):
    """The location's server cannot be reached or gives no usable answer (http store)."""
    msg_fmt = 'The image data at %(uri)s cannot be read: %(reason)s.'


class ImageGone(exceptions.GlimpseError):
    msg_fmt = ('Image %(image_id)s could not be found after upload. The image may have '
               'been deleted during the upload.')


class ImageDeletedDuringUpload(ImageGone):
    msg_fmt = ('Image %(image_id)s was deleted during the upload; the data received was '
               'discarded.')


class LeaseExpired(exceptions.Conflict):
    msg_fmt = ('The upload of image %(image_id)s lost its lease (%(seconds)d s): it could '
               'not be renewed in time, so the image was, or may have been, returned to '
               'queued. The data received was discarded; upload it again.')


class PartialDataRemoved(exceptions.Conflict):
    msg_fmt = ('The data uploaded for image %(image_id)s was removed from the store before '
               'the upload completed (an upload that sends nothing for too long is taken '
               'for abandoned). Nothing was stored; upload it again.')


class InvalidImageData(exceptions.GlimpseError):
    """The uploaded content is unsafe or not its disk_format (format_inspection.py)."""
    msg_fmt = 'Image data is not acceptable: %(reason)s'


class UnsupportedMediaType(exceptions.GlimpseError):
    msg_fmt = 'The request media type %(content_type)s is not supported.'

    def __init__(self, message=None, headers=None, **kwargs):
        super().__init__(message, **kwargs)
        self.headers = headers or {}


class RequestIdTooLong(exceptions.GlimpseError):
    msg_fmt = 'x-openstack-request-id is too long, max size %(max)d.'


class RangeNotSatisfiable(exceptions.GlimpseError):
    """A Range the image data cannot answer; says the image's size in Content-Range."""
    msg_fmt = 'Invalid Range header.'

    def __init__(self, message=None, size=0, **kwargs):
        super().__init__(message, size=size, **kwargs)
        self.headers = {'Content-Range': 'bytes */%d' % size}


# What gunicorn cannot parse, answered by api_service/wsgi/gunicorn_worker.py before any
# WSGI app runs; ``detail`` is gunicorn's own description.

class RequestLineTooLong(exceptions.GlimpseError):
    msg_fmt = 'The request line (method and URL) is too long: %(detail)s.'


class RequestHeadersTooLarge(BadRequest):
    msg_fmt = 'The request headers are too large or too many: %(detail)s.'


class MalformedRequest(BadRequest):
    msg_fmt = 'The request could not be parsed: %(detail)s.'


class TLSError(BadRequest):
    msg_fmt = 'TLS error: %(detail)s.'


class ExpectationFailed(exceptions.GlimpseError):
    msg_fmt = '%(detail)s'


class UnsupportedTransferCoding(exceptions.GlimpseError):
    msg_fmt = '%(detail)s'


class ProxyRequestForbidden(exceptions.Forbidden):
    msg_fmt = 'Request forbidden: %(detail)s.'


class StoredSizeMismatch(exceptions.GlimpseError):
    msg_fmt = ('Stored data of image %(image_id)s has %(actual)d bytes where %(expected)d '
               'were recorded.')


class ConfigurationError(Exception):
    """The configuration cannot work; glance-api must not start. Never an HTTP answer."""
