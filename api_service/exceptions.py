"""Errors raised only inside glance-api (data path, request parsing); never sent over RPC.

Each subclasses the common.exceptions class with the same meaning, so the one table in
api_service/http/errors.py maps them without a row of their own unless the status differs.
"""

from common import exceptions


class BadRequest(exceptions.Invalid):
    msg_fmt = 'The request is not valid.'


class ClientDisconnected(BadRequest):
    msg_fmt = 'The client stopped sending data before the upload was complete.'


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


class ImageGone(exceptions.GlimpseError):
    msg_fmt = ('Image %(image_id)s could not be found after upload. The image may have '
               'been deleted during the upload.')


class UnsupportedMediaType(exceptions.GlimpseError):
    msg_fmt = 'The request media type %(content_type)s is not supported.'

    def __init__(self, message=None, headers=None, **kwargs):
        super().__init__(message, **kwargs)
        self.headers = headers or {}


class RequestIdTooLong(exceptions.GlimpseError):
    msg_fmt = 'x-openstack-request-id is too long, max size %(max)d.'


class StoredSizeMismatch(exceptions.GlimpseError):
    msg_fmt = ('Stored data of image %(image_id)s has %(actual)d bytes where %(expected)d '
               'were recorded.')
