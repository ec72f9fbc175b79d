"""Notifications of what happens to images: oslo.messaging's Notifier, sent from a thread of
its own so that no request ever waits for the message bus.

Event types and payloads follow upstream Glance (glance/notifier.py), since consumers read
them field by field: ceilometer's image.size meter (image.upload, image.update,
image.delete: payload id, owner, size), its image.download and image.serve meters
(image.send: bytes_sent, image_id, receiver_user_id, receiver_tenant_id, owner_id), and
audit tools. The events:

- image.create, image.update, image.delete: an image record made, changed (PATCH, a tag,
  deactivate/reactivate, each step of an upload) or deleted;
- image.prepare (data about to flow), image.upload (stored), image.activate (now active);
  a failed upload sends an ERROR-level image.upload whose payload is the reason, as text;
- image.send: a download ended; ERROR level when fewer bytes went out than were due;
- image.member.create, image.member.update, image.member.delete;
- task.*: task_payload() is upstream's task payload, for when tasks exist;
- metadef_namespace.create/update/delete (and delete_properties, delete_objects,
  delete_tags), metadef_property.*, metadef_object.*, metadef_tag.* (create, update,
  delete) and metadef_resource_type.create/delete: the metadata definitions catalog,
  with metadef_payload().

Where they go: ``[oslo_messaging_notifications] driver`` (messagingv2 for RabbitMQ; none or
noop sends nothing), ``transport_url`` (default: ``[DEFAULT] transport_url``), ``topics``
(the routing keys are ``<topic>.info`` and ``<topic>.error``) and ``retry``. The exchange is
``[DEFAULT] control_exchange`` when set, else upstream's ``glance``, the one ceilometer binds
(common/rpc/transport.py:get_notification_transport). ``default_publisher_id`` names the
sender and ``disabled_notifications`` silences events by type (image.create) or group
(image, image.member, task).

Sending never blocks or fails the caller: events wait in a bounded queue (QUEUE_SIZE) for
the sender thread. While the broker is away the thread waits on it (as ``retry`` says) and
the queue fills; past QUEUE_SIZE new events are dropped, with a warning in the log.
"""

import collections
import datetime
import logging
import threading
import time

import oslo_messaging
from oslo_config import cfg

from common import states
from common.rpc import transport as rpc_transport

LOG = logging.getLogger(__name__)

notifier_opts = [
    cfg.StrOpt('default_publisher_id', default='image.localhost',
               help='The publisher_id of every notification this service sends, usually '
                    '"image." followed by the host name (image.host1). Related: '
                    '[oslo_messaging_notifications] driver.'),
    cfg.ListOpt('disabled_notifications', default=[],
                help='Notifications not to send: event types (image.create, image.send) '
                     'or groups, which silence every event type they start '
                     '(image, image.member, task). Related: '
                     '[oslo_messaging_notifications] driver.'),
]

# Events waiting for the sender thread, per process; past it new ones are dropped.
QUEUE_SIZE = 1000
# How long a stopping process lets waiting events go out before it gives up on them.
CLOSE_TIMEOUT_SECONDS = 2
# At most one "dropped" warning per this many seconds (with the count since the last one).
DROP_WARNING_INTERVAL = 60

INFO = 'info'
ERROR = 'error'

# The drivers that send nothing: no transport, no thread.
_SILENT_DRIVERS = ('', 'noop')


def register_opts(conf):
    conf.register_opts(notifier_opts)


def list_opts():
    return [('DEFAULT', notifier_opts)]


def isotime(value=None):
    """Upstream's notification time format, '2026-12-04T22:18:14Z'; None stays None.

    ``value`` is an ISO-8601 string (the registry's dicts) or a datetime; no argument is
    now."""
    if value is None:
        value = datetime.datetime.now(datetime.UTC)
    elif isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


def _time(value):
    return None if value is None else isotime(value)


# -- payloads, as upstream's format_*_notification -----------------------------------------

def image_payload(image):
    """An image dict of the RPC contract -> upstream's image payload.

    Never the location (it may hold credentials) nor any other internal key."""
    visibility = image.get('visibility')
    return {
        'id': image['id'],
        'name': image.get('name'),
        'status': image.get('status'),
        'created_at': _time(image.get('created_at')),
        'updated_at': _time(image.get('updated_at')),
        'min_disk': image.get('min_disk'),
        'min_ram': image.get('min_ram'),
        'protected': image.get('protected'),
        'checksum': image.get('checksum'),
        'owner': image.get('owner'),
        'disk_format': image.get('disk_format'),
        'container_format': image.get('container_format'),
        'size': image.get('size'),
        'virtual_size': image.get('virtual_size'),
        'is_public': visibility == 'public',
        'visibility': visibility,
        'properties': dict(image.get('properties') or {}),
        'tags': list(image.get('tags') or []),
        'deleted': False,
        'deleted_at': None,
    }


def _import_fields(image):
    """The import state upstream adds to image.prepare and image.upload (lists of stores)."""
    properties = image.get('properties') or {}

    def stores(name):
        value = properties.get(name)
        return value.split(',') if value else []

    return {'os_glance_importing_to_stores': stores('os_glance_importing_to_stores'),
            'os_glance_failed_import': stores('os_glance_failed_import')}


def deleted_image_payload(image, status=states.DELETED):
    """image.delete's payload: the image as it was, with the status it went to."""
    payload = image_payload(image)
    payload.update(status=status, deleted=True,
                   deleted_at=_time(image.get('deleted_at')) or isotime())
    return payload


def member_payload(member, deleted=False):
    """A member dict of the RPC contract -> upstream's image member payload."""
    return {
        'image_id': member['image_id'],
        'member_id': member['member_id'],
        'status': member.get('status'),
        'created_at': _time(member.get('created_at')),
        'updated_at': _time(member.get('updated_at')),
        'deleted': deleted,
        'deleted_at': isotime() if deleted else None,
    }


def task_payload(task):
    """Upstream's task payload; never the task's input, which may hold secrets."""
    return {
        'id': task['id'],
        'type': task.get('type'),
        'status': task.get('status'),
        'result': None,
        'owner': task.get('owner'),
        'message': None,
        'expires_at': _time(task.get('expires_at')),
        'created_at': _time(task.get('created_at')),
        'updated_at': _time(task.get('updated_at')),
        'deleted': False,
        'deleted_at': None,
    }


def image_send_payload(image, bytes_sent, ctxt, destination_ip=None):
    return {
        'bytes_sent': bytes_sent,
        'image_id': image['id'],
        'owner_id': image.get('owner'),
        'receiver_tenant_id': getattr(ctxt, 'project_id', None),
        'receiver_user_id': getattr(ctxt, 'user_id', None),
        'destination_ip': destination_ip,
    }


# -- the notifier ----------------------------------------------------------------------------

def metadef_payload(event_type, item, **extra):
    """upstream's metadef payloads: the definition's fields with its ``namespace``, the
    old name (``namespace_old``, ``name_old``) on an update, ``deleted`` on a delete."""
    payload = {key: value for key, value in item.items()
               if key not in ('properties', 'objects', 'tags', 'resource_type_associations')
               or event_type.startswith('metadef_object')}
    if event_type.startswith('metadef_property'):
        payload = dict(item)
    payload.update(extra)
    if event_type.endswith('.delete'):
        payload.update(deleted=True, deleted_at=isotime())
    return payload


class Notifier:
    """Sends notifications from one background thread; never blocks nor raises.

    ``oslo_notifier`` None: a notifier that sends nothing (no driver configured).
    """

    def __init__(self, oslo_notifier=None, disabled=(), transport=None,
                 queue_size=QUEUE_SIZE):
        self._notifier = oslo_notifier
        self._disabled = tuple(d.strip() for d in disabled if d and d.strip())
        self._transport = transport
        self._queue_size = queue_size
        self._pending = collections.deque()
        self._busy = False
        self._closing = False
        self._cond = threading.Condition()
        self._thread = None
        self._dropped = 0
        self._last_drop_warning = None

    @property
    def sending(self):
        """Whether a driver is configured (events may go out)."""
        return self._notifier is not None

    def enabled(self, event_type):
        if self._notifier is None:
            return False
        return not any(event_type == d or event_type.startswith(d + '.')
                       for d in self._disabled)

    # -- what callers use ----------------------------------------------------------------

    def image(self, event_type, image):
        """image.create, image.update, image.activate ... with the image's payload."""
        self._emit(INFO, event_type, image_payload, image)

    def image_deleted(self, image, status=states.DELETED):
        self._emit(INFO, 'image.delete', deleted_image_payload, image, status)

    def upload_began(self, image):
        """The image went to saving: image.update, then image.prepare."""
        self.image('image.update', image)
        self._emit(INFO, 'image.prepare',
                   lambda i: dict(image_payload(i), **_import_fields(i)), image)

    def upload_finished(self, image):
        """The data is stored and the image active: image.upload, image.activate and
        image.update, as upstream sends them."""
        self._emit(INFO, 'image.upload',
                   lambda i: dict(image_payload(i), **_import_fields(i)), image)
        self.image('image.activate', image)
        self.image('image.update', image)

    def import_store_began(self, image):
        """An import (or copy) is about to write the data into one store: image.prepare
        with the import's progress, as upstream's import flow sends it."""
        self._emit(INFO, 'image.prepare',
                   lambda i: dict(image_payload(i), **_import_fields(i)), image)

    def import_store_finished(self, image):
        """The data is in one more store: image.upload with the import's progress."""
        self._emit(INFO, 'image.upload',
                   lambda i: dict(image_payload(i), **_import_fields(i)), image)

    def upload_failed(self, image_id, reason):
        self._emit(ERROR, 'image.upload',
                   lambda: 'Image %s: its data could not be stored: %s' % (image_id, reason))

    def image_sent(self, image, bytes_sent, bytes_due, ctxt, destination_ip=None):
        """A download ended; ERROR level when it sent fewer bytes than were due."""
        self._emit(INFO if bytes_sent == bytes_due else ERROR, 'image.send',
                   image_send_payload, image, bytes_sent, ctxt, destination_ip)

    def member(self, event_type, member):
        """image.member.create and image.member.update."""
        self._emit(INFO, event_type, member_payload, member)

    def member_deleted(self, member):
        self._emit(INFO, 'image.member.delete', member_payload, member, True)

    def task(self, event_type, task):
        self._emit(INFO, event_type, task_payload, task)

    def metadef(self, event_type, item, **extra):
        """metadef_namespace.create, metadef_tag.delete ...: ``item`` is the registry's dict
        of the definition; ``extra`` adds namespace, namespace_old, name_old."""
        self._emit(INFO, event_type, lambda: metadef_payload(event_type, item, **extra))

    # -- the queue and its thread --------------------------------------------------------

    def _emit(self, priority, event_type, build, *args):
        if not self.enabled(event_type):
            return
        try:
            payload = build(*args)
        except Exception:
            LOG.exception('Could not build the %s notification; it is not sent.', event_type)
            return
        with self._cond:
            if self._closing:
                return
            if len(self._pending) >= self._queue_size:
                self._note_drop(event_type)
                return
            self._pending.append((priority, event_type, payload))
            if self._thread is None:
                # Started at the first event: after any fork, in the process that sends.
                self._thread = threading.Thread(target=self._run, name='notifications',
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _note_drop(self, event_type):
        # Called with the lock held.
        self._dropped += 1
        now = time.monotonic()
        if (self._last_drop_warning is None
                or now - self._last_drop_warning >= DROP_WARNING_INTERVAL):
            self._last_drop_warning = now
            LOG.warning('Notification %s lost: %d notifications are waiting to be sent (is '
                        'the message bus for notifications reachable?); %d lost so far.',
                        event_type, len(self._pending), self._dropped)

    def _run(self):
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                priority, event_type, payload = self._pending.popleft()
                self._busy = True
            try:
                # Upstream sends an empty context: the request's would carry its token.
                getattr(self._notifier, priority)({}, event_type, payload)
            except Exception:
                LOG.exception('Could not send the %s notification; it is lost.', event_type)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def flush(self, timeout=None):
        """Wait until every event so far went out (or failed); False if ``timeout`` passed
        first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout=CLOSE_TIMEOUT_SECONDS):
        """Send what waits, for up to ``timeout`` seconds, then release the transport."""
        started = time.monotonic()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            with self._cond:
                left = len(self._pending) + (1 if self._busy else 0)
            if left:
                LOG.warning('%d notifications could not be sent before exit (is the message '
                            'bus for notifications reachable?); they are lost.', left)
        if self._transport is not None:
            rpc_transport.close_transport(
                self._transport, max(timeout - (time.monotonic() - started), 0.1))


class UploadEvents:
    """The notifications of one upload: ``began(image)`` once the image is saving, then
    ``finished(image)`` or ``failed(exc)``; a failure before the image was saving (refused
    at once, not found, wrong status) sends nothing, as upstream."""

    def __init__(self, notifier, image_id):
        self._notifier = notifier
        self._image_id = image_id
        self._began = False

    def began(self, image):
        self._began = True
        self._notifier.upload_began(image)

    def finished(self, image):
        self._notifier.upload_finished(image)

    def failed(self, exc):
        if self._began:
            self._notifier.upload_failed(self._image_id, str(exc) or type(exc).__name__)


def from_config(conf):
    """The Notifier ``conf`` asks for: one that sends nothing when no driver (or only noop)
    is set, else an oslo.messaging Notifier on the notification transport.

    Call it while the process starts, before it serves: see
    common/rpc/transport.py:get_notification_transport.
    """
    register_opts(conf)
    rpc_transport.register_messaging_opts(conf)
    drivers = [d for d in conf.oslo_messaging_notifications.driver
               if d.strip() not in _SILENT_DRIVERS]
    if not drivers:
        return Notifier()
    transport = rpc_transport.get_notification_transport(conf)
    notifier = oslo_messaging.Notifier(transport, publisher_id=conf.default_publisher_id)
    return Notifier(notifier, conf.disabled_notifications, transport=transport)
