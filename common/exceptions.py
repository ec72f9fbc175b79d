"""Every error that crosses the RPC boundary.

oslo.messaging rebuilds a remote exception as ``cls(*args, **kwargs)`` when its module is in
``allowed_remote_exmods``; each class here therefore takes the formatted message as its only
positional argument and keeps its details in ``self.kwargs``, so the api catches the same class
the registry raised. The HTTP status of each class lives in ``api_service/http/errors.py`` only.
"""


class GlimpseError(Exception):
    msg_fmt = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                message = self.msg_fmt
        self.msg = message
        super().__init__(message)

    def __str__(self):
        return self.msg


class NotFound(GlimpseError):
    msg_fmt = 'The resource could not be found.'


class ImageNotFound(NotFound):
    msg_fmt = 'No image found with ID %(image_id)s'


class Forbidden(GlimpseError):
    msg_fmt = 'You are not authorized to complete this action.'


class ReadOnlyProperty(Forbidden):
    msg_fmt = "Attribute '%(name)s' is read-only."


class ReservedProperty(Forbidden):
    msg_fmt = "Attribute '%(name)s' is reserved."


class Conflict(GlimpseError):
    msg_fmt = 'The request could not be completed due to a conflict.'


class Duplicate(Conflict):
    msg_fmt = 'An object with the same identifier already exists.'


class InvalidStatusTransition(Conflict):
    msg_fmt = 'Image status transition from %(current)s to %(target)s is not allowed'


class ImageActionNotAllowed(InvalidStatusTransition):
    """deactivate / reactivate of an image in a status the action cannot start from.

    A status transition refused like any other, but upstream answers it with 403, not 409.
    """
    msg_fmt = "Not allowed to %(action)s image in status '%(current)s'"


class UploadSuperseded(Conflict):
    """renew, finish or abort of an upload the image no longer belongs to.

    Its lease passed (or its api worker was reported dead) and the image was handed back:
    it is queued again, or a newer upload holds it. The stale upload must publish nothing.
    """
    msg_fmt = ('The upload of image %(image_id)s is no longer current: its lease passed '
               'and the image was handed back.')


class Invalid(GlimpseError):
    msg_fmt = 'Data supplied was not valid.'


class InvalidSortKey(Invalid):
    msg_fmt = 'Sort key supplied is invalid: %(key)s'


class InvalidSortDir(Invalid):
    msg_fmt = 'Sort direction supplied is invalid: %(direction)s'


class InvalidFilter(Invalid):
    msg_fmt = 'Invalid filter value: %(value)s'


class MarkerNotFound(Invalid):
    msg_fmt = 'marker %(marker)s could not be found.'


class QuotaExceeded(GlimpseError):
    msg_fmt = 'The request exceeds a quota.'


class RegistryUnavailable(GlimpseError):
    msg_fmt = 'The image registry did not answer in time; try again later.'


class MessageBusUnavailable(RegistryUnavailable):
    """The api could not reach the message bus to ask the registry (RabbitMQ is down)."""
    msg_fmt = 'The message bus to the image registry is not reachable; try again later.'


class DatabaseUnavailable(GlimpseError):
    msg_fmt = 'The image database is not reachable; try again later.'
