"""Which notifications each call of the API sends, and with what, through Flask's test
client and the in-memory registry (payload details: tests/unit/test_notifications.py)."""

import io
import os
import socket
import threading
import uuid

import pytest
from oslo_messaging.notify import _impl_test

from api_service.services import download
from api_service.wsgi import app as app_module
from common import notifications
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB
from tests.unit.api.conftest import make_conf
from tests.unit.test_notifications import Recorder

OCTET = {'Content-Type': 'application/octet-stream'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def notifier(recorder):
    notifier = notifications.Notifier(recorder)
    yield notifier
    notifier.close()


@pytest.fixture
def app(conf, registry, notifier):
    return app_module.create_app(conf, registry=registry, notifier=notifier)


@pytest.fixture
def events(notifier, recorder):
    """-> [(priority, event_type, payload)] sent so far."""
    def sent():
        assert notifier.flush(5)
        return list(recorder.sent)
    return sent


def types(sent):
    return [(priority, event_type) for priority, event_type, _ in sent]


def test_create_and_update(client, create_image, events):
    image = create_image(name='one', visibility='private', tags=['x'])
    response = client.patch('/v2/images/%s' % image['id'], headers=dict(ALICE, **PATCH),
                            json=[{'op': 'replace', 'path': '/name', 'value': 'two'}])
    assert response.status_code == 200
    sent = events()
    assert types(sent) == [('info', 'image.create'), ('info', 'image.update')]
    created, updated = (payload for _, _, payload in sent)
    assert created['id'] == image['id'] and created['name'] == 'one'
    assert created['status'] == 'queued' and created['owner'] == 'project-a'
    assert created['tags'] == ['x'] and created['visibility'] == 'private'
    assert updated['name'] == 'two'


def test_delete(client, create_image, events):
    image = create_image(name='gone')
    assert client.delete('/v2/images/%s' % image['id'], headers=ALICE).status_code == 204
    sent = events()
    assert types(sent) == [('info', 'image.create'), ('info', 'image.delete')]
    deleted = sent[1][2]
    assert deleted['id'] == image['id'] and deleted['name'] == 'gone'
    assert deleted['deleted'] is True and deleted['status'] == 'deleted'
    assert deleted['deleted_at']


def test_delayed_delete_says_pending_delete(tmp_path, registry, recorder, notifier):
    conf = make_conf(tmp_path, delayed_delete=True)
    client = app_module.create_app(conf, registry=registry, notifier=notifier).test_client()
    image = client.post('/v2/images', json={'disk_format': 'raw', 'container_format': 'bare'},
                        headers=ALICE).get_json()
    url = '/v2/images/%s' % image['id']
    assert client.put(url + '/file', data=b'abc', headers=dict(ALICE, **OCTET)).status_code \
        == 204
    assert client.delete(url, headers=ALICE).status_code == 204
    assert notifier.flush(5)
    deleted = [payload for _, event_type, payload in recorder.sent
               if event_type == 'image.delete']
    assert len(deleted) == 1
    assert deleted[0]['status'] == 'pending_delete' and deleted[0]['deleted'] is True
    assert deleted[0]['size'] == 3


def test_refused_calls_send_nothing(client, create_image, events):
    image = create_image()
    assert client.delete('/v2/images/%s' % image['id'], headers=BOB).status_code == 404
    assert client.post('/v2/images', json={'name': 1}, headers=ALICE).status_code == 400
    assert types(events()) == [('info', 'image.create')]


def test_tags_and_actions_are_updates(client, create_image, events):
    image = create_image()
    url = '/v2/images/%s' % image['id']
    assert client.put(url + '/tags/blue', headers=ALICE).status_code == 204
    assert client.delete(url + '/tags/blue', headers=ALICE).status_code == 204
    sent = events()
    assert types(sent)[1:] == [('info', 'image.update'), ('info', 'image.update')]
    assert sent[1][2]['tags'] == ['blue'] and sent[2][2]['tags'] == []


def test_upload_and_download(client, create_image, events):
    image = create_image(disk_format='raw', container_format='bare')
    data = os.urandom(100000)
    url = '/v2/images/%s/file' % image['id']
    assert client.put(url, data=data, headers=dict(ALICE, **OCTET)).status_code == 204
    with client.get(url, headers=dict(ALICE, **{'X-Forwarded-For': 'ignored'})) as response:
        assert response.status_code == 200
        assert response.get_data() == data
    with client.get(url, headers=dict(ALICE, Range='bytes=10-19')) as response:
        assert response.status_code == 206
        assert response.get_data() == data[10:20]
    sent = events()
    assert types(sent) == [
        ('info', 'image.create'), ('info', 'image.update'), ('info', 'image.prepare'),
        ('info', 'image.upload'), ('info', 'image.activate'), ('info', 'image.update'),
        ('info', 'image.send'), ('info', 'image.send')]
    assert sent[1][2]['status'] == 'saving' and sent[2][2]['status'] == 'saving'
    uploaded = sent[3][2]
    assert uploaded['status'] == 'active' and uploaded['size'] == len(data)
    assert uploaded['checksum'] and uploaded['os_glance_importing_to_stores'] == []
    assert sent[6][2] == {'bytes_sent': len(data), 'image_id': image['id'],
                          'owner_id': 'project-a', 'receiver_tenant_id': 'project-a',
                          'receiver_user_id': 'alice', 'destination_ip': '127.0.0.1'}
    assert sent[7][2]['bytes_sent'] == 10


def test_a_failed_upload_sends_an_error_with_the_reason(client, create_image, events):
    image = create_image(disk_format='raw', container_format='bare')
    url = '/v2/images/%s/file' % image['id']
    # Chunked, so the size is found wrong only once the upload began.
    response = client.put(url, input_stream=io.BytesIO(b'x' * 10),
                          headers=dict(ALICE, **OCTET, **{'x-openstack-image-size': '5',
                                                          'Transfer-Encoding': 'chunked'}))
    assert response.status_code == 400
    sent = events()
    assert types(sent) == [('info', 'image.create'), ('info', 'image.update'),
                           ('info', 'image.prepare'), ('error', 'image.upload')]
    assert image['id'] in sent[3][2] and 'x-openstack-image-size' in sent[3][2]


def test_an_upload_refused_before_it_began_sends_nothing(client, create_image, events):
    image = create_image(disk_format='raw', container_format='bare')
    url = '/v2/images/%s/file' % image['id']
    assert client.put(url, data=b'abc', headers=dict(BOB, **OCTET)).status_code == 404
    assert types(events()) == [('info', 'image.create')]


def test_members(client, create_image, events):
    image = create_image(visibility='shared')
    url = '/v2/images/%s/members' % image['id']
    assert client.post(url, json={'member': 'project-b'}, headers=ALICE).status_code == 200
    assert client.put(url + '/project-b', json={'status': 'accepted'},
                      headers=BOB).status_code == 200
    assert client.delete(url + '/project-b', headers=ALICE).status_code == 204
    sent = events()
    assert types(sent)[1:] == [('info', 'image.member.create'),
                               ('info', 'image.member.update'),
                               ('info', 'image.member.delete')]
    created, updated, deleted = (payload for _, _, payload in sent[1:])
    assert created['member_id'] == 'project-b' and created['status'] == 'pending'
    assert created['image_id'] == image['id'] and not created['deleted']
    assert updated['status'] == 'accepted'
    assert deleted['deleted'] is True and deleted['deleted_at']


def test_download_without_image_send_keeps_the_plain_file(tmp_path, registry, create_image):
    # disabled_notifications = image.send: no counting wrapper around the file.
    recorder = Recorder()
    conf = make_conf(tmp_path)
    app = app_module.create_app(conf, registry=registry, notifier=notifications.Notifier(
        recorder, disabled=['image.send']))
    client = app.test_client()
    image = client.post('/v2/images', json={'disk_format': 'raw', 'container_format': 'bare'},
                        headers=ALICE).get_json()
    url = '/v2/images/%s/file' % image['id']
    assert client.put(url, data=b'abc', headers=dict(ALICE, **OCTET)).status_code == 204
    with client.get(url, headers=ALICE) as response:
        assert response.get_data() == b'abc'
    app_module.close_app(app)
    assert 'image.send' not in [event_type for _, event_type, _ in recorder.sent]


def test_the_configured_driver_gets_them(tmp_path, registry):
    publisher = 'image.unit-%s' % uuid.uuid4().hex
    conf = make_conf(tmp_path, oslo_messaging_notifications__driver=['test'],
                     oslo_messaging_notifications__transport_url='fake:/',
                     default_publisher_id=publisher)
    app = app_module.create_app(conf, registry=registry)
    response = app.test_client().post('/v2/images', json={'name': 'n'}, headers=ALICE)
    assert response.status_code == 201
    app_module.close_app(app)
    mine = [message for _, message, _, _ in _impl_test.NOTIFICATIONS
            if message['publisher_id'] == publisher]
    assert [m['event_type'] for m in mine] == ['image.create']
    assert mine[0]['payload']['id'] == response.get_json()['id']


# -- counting what sendfile() sent ---------------------------------------------------------

def _send_over_socket(counter, offset, count, read_limit=None):
    """socket.sendfile() as gunicorn calls it; the peer reads ``read_limit`` bytes (all if
    None) then hangs up."""
    left, right = socket.socketpair()
    received = []

    def peer():
        total = 0
        while read_limit is None or total < read_limit:
            chunk = right.recv(65536)
            if not chunk:
                break
            received.append(chunk)
            total += len(chunk)
        right.close()

    thread = threading.Thread(target=peer)
    thread.start()
    try:
        left.sendfile(counter, offset=offset, count=count)
    except OSError:
        pass
    finally:
        left.close()
        thread.join(10)
    return b''.join(received)


def test_sent_counter_counts_sendfile(tmp_path):
    path = tmp_path / 'data'
    path.write_bytes(os.urandom(300000))
    closed = []
    f = open(path, 'rb')
    counter = download.SentCounter(download.RangeFile(f, 1000, 200000), 1000, closed.append)
    assert len(_send_over_socket(counter, 1000, 200000)) == 200000
    counter.close()
    assert closed == [200000]
    assert f.closed


def test_sent_counter_counts_a_cut_transfer(tmp_path):
    path = tmp_path / 'data'
    path.write_bytes(os.urandom(8 * 1024 * 1024))
    closed = []
    counter = download.SentCounter(open(path, 'rb'), 0, closed.append)
    _send_over_socket(counter, 0, 8 * 1024 * 1024, read_limit=1)
    counter.close()
    counter.close()
    assert len(closed) == 1 and 0 < closed[0] < 8 * 1024 * 1024


def test_sent_counter_counts_reads():
    closed = []
    counter = download.SentCounter(io.BytesIO(b'abcdef'), 0, closed.append)
    assert counter.read(4) == b'abcd'
    counter.close()
    assert closed == [4]
