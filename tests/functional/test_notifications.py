"""Notifications on the real RabbitMQ, read the way ceilometer reads them, and an API that
does not notice when the broker for notifications is gone.

glance-api sends with ``[oslo_messaging_notifications] driver = messagingv2`` to the topic
exchange ``glance`` with the routing key ``<topic>.info`` (``<topic>.error`` for failures),
where ceilometer's notification agent binds its queue. Each run uses a topic of its own, so
runs sharing the broker never read each other's events, and deletes its queues at the end.
"""

import collections
import contextlib
import json
import time
import uuid

import kombu
import pytest

from tests.functional import daemons
from tests.functional.http_api import ImagesApi

EXCHANGE = 'glance'
PUBLISHER = 'image.functional-test'
AMQP_URL = f'amqp://guest:guest@{daemons.RABBIT_HOST}:{daemons.RABBIT_PORT}//'
# What any call may take with the notification broker down; they take milliseconds either
# way, and a notifier waiting on the broker would take seconds (its reconnect interval).
LATENCY_BOUND_SECONDS = 1.0
IMAGE_BYTES = 1024 * 1024 + 7


class NotificationQueues:
    """The queues a consumer binds to glance's exchange for one topic, read with basic_get.

    Declared as oslo.messaging's rabbit driver declares its default notification queues
    (named after the routing key, neither durable nor auto-deleted), so the two agree.
    """

    def __init__(self, topic, priorities=('info', 'error')):
        self.connection = kombu.Connection(AMQP_URL)
        self.channel = self.connection.channel()
        exchange = kombu.Exchange(EXCHANGE, type='topic', durable=False, auto_delete=False)
        self.queues = {}
        for priority in priorities:
            name = f'{topic}.{priority}'
            queue = kombu.Queue(name, exchange, routing_key=name, durable=False,
                                auto_delete=False)(self.channel)
            queue.declare()
            self.queues[priority] = queue

    def read(self, count, timeout=15):
        """The first ``count`` messages (fewer if ``timeout`` passes): oslo's envelope
        opened, each with its priority."""
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            got = False
            for priority, queue in self.queues.items():
                message = queue.get(no_ack=True)
                if message is None:
                    continue
                got = True
                body = json.loads(message.body)
                found.append(dict(json.loads(body['oslo.message']), queue=priority,
                                  oslo_version=body['oslo.version']))
            if not got:
                time.sleep(0.1)
        return found

    def close(self):
        with contextlib.suppress(Exception):
            for queue in self.queues.values():
                queue.delete()
        self.connection.close()


@pytest.fixture(scope='module')
def topic():
    return f'glimpse_notifications_{uuid.uuid4().hex[:12]}'


@pytest.fixture(scope='module')
def queues(topic):
    daemons.check_rabbitmq()
    queues = NotificationQueues(topic)
    yield queues
    queues.close()


@pytest.fixture(scope='module')
def notifying_service(tmp_path_factory, topic, queues):
    options = {
        'DEFAULT': {'default_publisher_id': PUBLISHER},
        'oslo_messaging_notifications': {'driver': 'messagingv2', 'topics': topic},
    }
    with daemons.private_service(tmp_path_factory.mktemp('notifications'),
                                 name='notifications', extra_api_options=options) as service:
        yield service


@pytest.fixture(scope='module')
def broker_down_service(tmp_path_factory):
    # A loopback port nobody listens on: every connection attempt is refused.
    port = daemons.free_port()
    options = {'oslo_messaging_notifications': {
        'driver': 'messagingv2',
        'transport_url': f'rabbit://guest:guest@127.0.0.1:{port}/',
        'topics': f'glimpse_notifications_{uuid.uuid4().hex[:12]}'}}
    with daemons.private_service(tmp_path_factory.mktemp('notifications-down'),
                                 name='notifications-down',
                                 extra_api_options=options) as service:
        service.notification_port = port
        yield service


def _timed(timings, name, call):
    started = time.monotonic()
    response = call()
    timings.append((name, time.monotonic() - started, response.status_code))
    return response


def life_of_an_image(base_url):
    """Create, upload, download, update, share (member create, accept, download by the
    member, member delete) and delete one image; -> (image id, owner, member, data,
    [(call, seconds, status)])."""
    owner = ImagesApi(base_url, f'project-{uuid.uuid4().hex[:12]}')
    member = ImagesApi(base_url, f'project-{uuid.uuid4().hex[:12]}')
    data = bytes(range(256)) * (IMAGE_BYTES // 256) + b'x' * (IMAGE_BYTES % 256)
    timings = []
    image = _timed(timings, 'create', lambda: owner.create(
        name='notified', disk_format='raw', container_format='bare',
        visibility='shared')).json()
    image_id = image['id']
    members_path = f'/v2/images/{image_id}/members'
    _timed(timings, 'upload', lambda: owner.upload(image_id, data))
    _timed(timings, 'download', lambda: owner.download(image_id))
    _timed(timings, 'update', lambda: owner.patch(
        image_id, [{'op': 'replace', 'path': '/name', 'value': 'renamed'}]))
    _timed(timings, 'member create', lambda: owner.request(
        'POST', members_path, json={'member': member.project_id}))
    _timed(timings, 'member update', lambda: member.request(
        'PUT', f'{members_path}/{member.project_id}', json={'status': 'accepted'}))
    _timed(timings, 'member download', lambda: member.download(image_id))
    _timed(timings, 'member delete', lambda: owner.request(
        'DELETE', f'{members_path}/{member.project_id}'))
    _timed(timings, 'delete', lambda: owner.delete(image_id))
    for api in (owner, member):
        api.session.close()
    return image_id, owner.project_id, member.project_id, data, timings


EXPECTED = collections.Counter({
    'image.create': 1, 'image.update': 3, 'image.prepare': 1, 'image.upload': 1,
    'image.activate': 1, 'image.send': 2, 'image.member.create': 1,
    'image.member.update': 1, 'image.member.delete': 1, 'image.delete': 1})


def test_notifications_as_ceilometer_reads_them(notifying_service, queues):
    image_id, owner, member, data, timings = life_of_an_image(notifying_service.base_url)
    assert [status for _, _, status in timings] == [201, 204, 200, 200, 200, 200, 200, 204,
                                                    204], timings
    messages = queues.read(sum(EXPECTED.values()))
    # Two api workers send side by side: the order across requests is not kept.
    assert collections.Counter(m['event_type'] for m in messages) == EXPECTED
    assert all(m['publisher_id'] == PUBLISHER for m in messages)
    assert all(m['priority'] == 'INFO' and m['queue'] == 'info' for m in messages)
    assert all(m['oslo_version'] == '2.0' and m['message_id'] and m['timestamp']
               for m in messages)
    by_type = collections.defaultdict(list)
    for m in messages:
        by_type[m['event_type']].append(m['payload'])

    # ceilometer's image.size meter: id, owner, size from image.upload/update/delete.
    uploaded = by_type['image.upload'][0]
    assert uploaded['id'] == image_id and uploaded['owner'] == owner
    assert uploaded['size'] == len(data) and uploaded['status'] == 'active'
    assert uploaded['checksum'] and uploaded['disk_format'] == 'raw'
    assert uploaded['visibility'] == 'shared' and uploaded['is_public'] is False
    assert 'location' not in uploaded
    assert by_type['image.prepare'][0]['status'] == 'saving'
    assert by_type['image.activate'][0]['status'] == 'active'
    assert by_type['image.create'][0]['status'] == 'queued'
    assert {p['name'] for p in by_type['image.update']} >= {'renamed'}
    deleted = by_type['image.delete'][0]
    assert deleted['id'] == image_id and deleted['deleted'] is True
    assert deleted['deleted_at'] and deleted['size'] == len(data)

    # ceilometer's image.download (receiver) and image.serve (owner) meters: image.send.
    sends = {p['receiver_tenant_id']: p for p in by_type['image.send']}
    assert set(sends) == {owner, member}
    for receiver, payload in sends.items():
        assert payload['image_id'] == image_id and payload['owner_id'] == owner
        assert payload['bytes_sent'] == len(data)
        assert payload['receiver_user_id'] == f'user-of-{receiver}'
        assert payload['destination_ip'] == '127.0.0.1'

    created = by_type['image.member.create'][0]
    assert created['image_id'] == image_id and created['member_id'] == member
    assert created['status'] == 'pending'
    assert by_type['image.member.update'][0]['status'] == 'accepted'
    assert by_type['image.member.delete'][0]['deleted'] is True


def test_a_failed_upload_is_an_error_notification(notifying_service, queues):
    api = ImagesApi(notifying_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    image_id = api.create_ok()['id']

    def body():
        yield b'x' * 1000

    # Chunked, announced as 10 bytes: refused once the upload began.
    response = api.upload(image_id, body(), headers={'x-openstack-image-size': '10'})
    assert response.status_code == 400
    messages = queues.read(4)
    assert [m['event_type'] for m in messages if m['priority'] == 'ERROR'] == ['image.upload']
    error = next(m for m in messages if m['priority'] == 'ERROR')
    assert error['queue'] == 'error' and image_id in error['payload']
    assert 'x-openstack-image-size' in error['payload']
    api.session.close()


def test_api_unaffected_when_the_notification_broker_is_down(broker_down_service):
    results = []
    for _ in range(3):
        results.append(life_of_an_image(broker_down_service.base_url))
    timings = [t for *_, run in results for t in run]
    assert all(status in (200, 201, 204) for _, _, status in timings), timings
    slowest = max(timings, key=lambda t: t[1])
    assert slowest[1] < LATENCY_BOUND_SECONDS, timings
    # The lost notifications are in the api's log (oslo.messaging's error, with the
    # payload), not in any answer.
    deadline = time.monotonic() + 10
    while 'Connection refused' not in broker_down_service.api.log_text():
        assert time.monotonic() < deadline, broker_down_service.api.log_text()[-3000:]
        time.sleep(0.2)
    assert 'notification' in broker_down_service.api.log_text()
    print('broker down, per call (s):', sorted(round(s, 4) for _, s, _ in timings))


def test_image_send_counts_what_sendfile_sent(notifying_service, queues):
    """A ranged download sends its range; a client that hangs up early gets an ERROR-level
    image.send with the bytes gunicorn's sendfile() got out before that."""
    api = ImagesApi(notifying_service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    size = 64 * 1024 * 1024
    image_id = api.create_ok()['id']
    assert api.upload(image_id, b'\0' * size).status_code == 204
    ranged = api.download(image_id, headers={'Range': 'bytes=100-199'})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    with api.download(image_id, stream=True) as cut:
        assert cut.status_code == 200
        cut.raw.read(1)
    api.session.close()
    messages = queues.read(8, timeout=20)
    sends = [m for m in messages if m['event_type'] == 'image.send']
    assert len(sends) == 2, [m['event_type'] for m in messages]
    full_range = next(m for m in sends if m['priority'] == 'INFO')
    assert full_range['payload']['bytes_sent'] == 100
    cut_short = next(m for m in sends if m['priority'] == 'ERROR')
    assert cut_short['queue'] == 'error'
    assert 0 < cut_short['payload']['bytes_sent'] < size
