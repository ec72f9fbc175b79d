"""common/notifications.py: upstream's payloads, the event filter, and a sender that never
makes its caller wait, whatever the message bus does."""

import threading
import time
import uuid

import pytest
from oslo_config import cfg
from oslo_messaging.notify import _impl_test

from api_service import config as api_config
from common import notifications
from common.rpc import transport as rpc_transport

IMAGE = {
    'id': 'c9b2b0f4-2a35-4a1e-9d43-8f4c4b2cfa11', 'name': 'cirros', 'status': 'active',
    'visibility': 'public', 'protected': False, 'os_hidden': False,
    'checksum': 'ee1eca47dc88f4879d8a229cc70a07c6', 'os_hash_algo': 'sha512',
    'os_hash_value': 'ab' * 64, 'owner': 'project-a', 'size': 13287936,
    'virtual_size': 46137344, 'container_format': 'bare', 'disk_format': 'qcow2',
    'min_ram': 64, 'min_disk': 1, 'created_at': '2026-11-22T13:12:56.123456Z',
    'updated_at': '2026-11-22T13:13:01.654321Z', 'deleted_at': None, 'deleted': False,
    'properties': {'os_distro': 'cirros', 'hw_disk_bus': 'virtio'}, 'tags': ['a', 'b'],
    'location': 'file:///secret/place', 'upload_expires_at': None,
}

# upstream's format_image_notification keys, no more and no fewer.
IMAGE_KEYS = {'id', 'name', 'status', 'created_at', 'updated_at', 'min_disk', 'min_ram',
              'protected', 'checksum', 'owner', 'disk_format', 'container_format', 'size',
              'virtual_size', 'is_public', 'visibility', 'properties', 'tags', 'deleted',
              'deleted_at'}


class Recorder:
    """Stands for oslo.messaging's Notifier: records, or blocks until released."""

    def __init__(self, block=False):
        self.sent = []
        self.release = threading.Event()
        self.entered = threading.Event()   # the sender thread is inside a send
        if not block:
            self.release.set()

    def _record(self, priority, ctxt, event_type, payload):
        self.entered.set()
        self.release.wait(30)
        self.sent.append((priority, event_type, payload))

    def info(self, ctxt, event_type, payload):
        self._record('info', ctxt, event_type, payload)

    def error(self, ctxt, event_type, payload):
        self._record('error', ctxt, event_type, payload)


def test_image_payload_is_upstreams():
    payload = notifications.image_payload(IMAGE)
    assert set(payload) == IMAGE_KEYS
    assert payload['id'] == IMAGE['id']
    assert payload['created_at'] == '2026-11-22T13:12:56Z'
    assert payload['updated_at'] == '2026-11-22T13:13:01Z'
    assert payload['is_public'] is True and payload['visibility'] == 'public'
    assert payload['properties'] == IMAGE['properties'] and payload['tags'] == ['a', 'b']
    assert payload['deleted'] is False and payload['deleted_at'] is None
    assert payload['size'] == 13287936 and payload['owner'] == 'project-a'
    assert 'location' not in payload


def test_deleted_image_payload():
    payload = notifications.deleted_image_payload(IMAGE, status='pending_delete')
    assert set(payload) == IMAGE_KEYS
    assert payload['status'] == 'pending_delete'
    assert payload['deleted'] is True
    assert payload['deleted_at'].endswith('Z')


def test_member_payloads():
    member = {'image_id': IMAGE['id'], 'member_id': 'project-b', 'status': 'pending',
              'created_at': '2026-11-22T13:12:56.000001Z',
              'updated_at': '2026-11-22T13:12:57.000001Z'}
    payload = notifications.member_payload(member)
    assert payload == {'image_id': IMAGE['id'], 'member_id': 'project-b',
                       'status': 'pending', 'created_at': '2026-11-22T13:12:56Z',
                       'updated_at': '2026-11-22T13:12:57Z', 'deleted': False,
                       'deleted_at': None}
    deleted = notifications.member_payload(member, deleted=True)
    assert deleted['deleted'] is True and deleted['deleted_at'].endswith('Z')


def test_task_payload_leaves_out_the_input():
    payload = notifications.task_payload({
        'id': 't1', 'type': 'import', 'status': 'pending', 'owner': 'p', 'input': {'x': 1},
        'expires_at': None, 'created_at': '2026-11-22T13:12:56Z', 'updated_at': None})
    assert set(payload) == {'id', 'type', 'status', 'result', 'owner', 'message',
                            'expires_at', 'created_at', 'updated_at', 'deleted',
                            'deleted_at'}
    assert payload['result'] is None and payload['message'] is None


def test_image_send_payload():
    class Ctx:
        project_id = 'project-b'
        user_id = 'bob'

    assert notifications.image_send_payload(IMAGE, 10, Ctx(), '10.0.0.5') == {
        'bytes_sent': 10, 'image_id': IMAGE['id'], 'owner_id': 'project-a',
        'receiver_tenant_id': 'project-b', 'receiver_user_id': 'bob',
        'destination_ip': '10.0.0.5'}


def test_events_and_levels():
    recorder = Recorder()
    notifier = notifications.Notifier(recorder)
    notifier.upload_began(dict(IMAGE, status='saving'))
    notifier.upload_finished(IMAGE)
    notifier.upload_failed(IMAGE['id'], 'disk full')
    notifier.image_sent(IMAGE, 5, 10, None)
    notifier.image_sent(IMAGE, 10, 10, None)
    assert notifier.flush(5)
    assert [(p, e) for p, e, _ in recorder.sent] == [
        ('info', 'image.update'), ('info', 'image.prepare'), ('info', 'image.upload'),
        ('info', 'image.activate'), ('info', 'image.update'), ('error', 'image.upload'),
        ('error', 'image.send'), ('info', 'image.send')]
    prepare = recorder.sent[1][2]
    assert prepare['status'] == 'saving'
    assert prepare['os_glance_importing_to_stores'] == []
    assert prepare['os_glance_failed_import'] == []
    failure = recorder.sent[5][2]
    assert isinstance(failure, str) and IMAGE['id'] in failure and 'disk full' in failure


def test_disabled_by_event_and_by_group():
    recorder = Recorder()
    notifier = notifications.Notifier(recorder, disabled=['image.create', 'image.member'])
    notifier.image('image.create', IMAGE)
    notifier.image('image.update', IMAGE)
    member = {'image_id': IMAGE['id'], 'member_id': 'p', 'status': 'pending'}
    notifier.member('image.member.create', member)
    notifier.member_deleted(member)
    assert notifier.flush(5)
    assert [e for _, e, _ in recorder.sent] == ['image.update']
    group = notifications.Notifier(Recorder(), disabled=['image'])
    assert not group.enabled('image.send') and not group.enabled('image.member.update')
    assert group.enabled('task.create')
    # A prefix that is not a whole group silences nothing.
    assert notifications.Notifier(Recorder(), disabled=['ima']).enabled('image.create')


def test_a_payload_that_cannot_be_built_is_logged_not_raised(caplog):
    recorder = Recorder()
    notifier = notifications.Notifier(recorder)
    notifier.image('image.create', {'no': 'id'})
    notifier.member_deleted(None)
    assert notifier.flush(5)
    assert recorder.sent == []
    assert 'image.create' in caplog.text and 'image.member.delete' in caplog.text


def test_a_stuck_bus_never_holds_the_caller_and_the_queue_is_bounded(caplog):
    recorder = Recorder(block=True)
    notifier = notifications.Notifier(recorder, queue_size=5)
    # The sender thread first takes one event and is stuck sending it.
    notifier.image('image.update', IMAGE)
    assert recorder.entered.wait(5)
    started = time.monotonic()
    for _ in range(49):
        notifier.image('image.update', IMAGE)
    assert time.monotonic() - started < 0.5
    assert 'lost' in caplog.text
    # One in the sender's hands, five waiting: the rest were dropped.
    recorder.release.set()
    assert notifier.flush(5)
    assert len(recorder.sent) == 6


def test_close_gives_up_on_a_stuck_bus():
    recorder = Recorder(block=True)
    notifier = notifications.Notifier(recorder)
    notifier.image('image.update', IMAGE)
    started = time.monotonic()
    notifier.close(timeout=0.3)
    assert time.monotonic() - started < 2
    recorder.release.set()
    # Closed: nothing more is queued.
    notifier.image('image.update', IMAGE)


def test_the_silent_notifier_sends_nothing():
    notifier = notifications.Notifier()
    assert not notifier.sending and not notifier.enabled('image.create')
    notifier.image('image.create', IMAGE)
    assert notifier.flush(1)
    notifier.close()


def _conf(**overrides):
    conf = cfg.ConfigOpts()
    api_config.register_opts(conf)
    conf([], default_config_files=[])
    for name, value in overrides.items():
        group, _, key = name.rpartition('__')
        conf.set_override(key, value, group=group or None)
    return conf


@pytest.mark.parametrize('driver', [[], ['noop']])
def test_no_driver_means_no_transport(driver):
    notifier = notifications.from_config(_conf(oslo_messaging_notifications__driver=driver))
    assert not notifier.sending


def test_from_config_sends_through_oslo_messaging():
    publisher = 'image.test-%s' % uuid.uuid4().hex
    conf = _conf(oslo_messaging_notifications__driver=['test'],
                 oslo_messaging_notifications__transport_url='fake:/',
                 default_publisher_id=publisher, disabled_notifications=['image.delete'])
    notifier = notifications.from_config(conf)
    notifier.image('image.create', IMAGE)
    notifier.image_deleted(IMAGE)
    assert notifier.flush(5)
    notifier.close()
    mine = [(ctxt, message, priority) for ctxt, message, priority, _ in
            _impl_test.NOTIFICATIONS if message['publisher_id'] == publisher]
    assert len(mine) == 1
    ctxt, message, priority = mine[0]
    assert ctxt == {} and priority == 'INFO'
    assert message['event_type'] == 'image.create'
    assert message['payload'] == notifications.image_payload(IMAGE)


def test_notifications_go_to_upstreams_exchange_and_rpc_keeps_its_own():
    conf = _conf(oslo_messaging_notifications__driver=['messagingv2'],
                 transport_url='fake:/')
    transport = rpc_transport.get_notification_transport(conf)
    try:
        # oslo.messaging keeps the exchange in its driver; read only here.
        assert transport._driver._default_exchange == 'glance'
    finally:
        transport.cleanup()
    assert conf.control_exchange == 'openstack'
    rpc = rpc_transport.get_transport(conf)
    try:
        assert rpc._driver._default_exchange == 'openstack'
    finally:
        rpc.cleanup()


def test_an_operators_control_exchange_wins():
    conf = _conf(oslo_messaging_notifications__driver=['messagingv2'],
                 transport_url='fake:/', control_exchange='mycloud')
    transport = rpc_transport.get_notification_transport(conf)
    try:
        assert transport._driver._default_exchange == 'mycloud'
    finally:
        transport.cleanup()
