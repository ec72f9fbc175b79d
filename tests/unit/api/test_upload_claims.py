"""An upload's claim (its token and its worker): a handed-back upload publishes nothing,
and glance-api's master hands back a dead worker's uploads and partial files at once."""

import os
import threading

import oslo_messaging
import pytest

from api_service.services import upload_claim
from api_service.stores import catalog
from api_service.wsgi import worker_deaths
from common import exceptions
from tests.unit.api.test_upload_lease import ADMIN_CTX
from tests.unit.api.test_upload_lease import CHUNK
from tests.unit.api.test_upload_lease import SlowBody
from tests.unit.api.test_upload_lease import StoreWatch
from tests.unit.api.test_upload_lease import files_in
from tests.unit.api.test_upload_lease import make_client
from tests.unit.api.test_upload_lease import new_image
from tests.unit.api.test_upload_lease import put_slowly
from tests.unit.api.test_upload_lease import status_of

BOTH_REGISTRIES = [pytest.param(None, id='fake'),
                   pytest.param(None, id='real', marks=pytest.mark.real_registry)]


def hand_back_to_a_newer_upload(registry, image_id):
    """What happens when this worker is reported dead (or its lease swept) and another
    upload of the image begins at once."""
    released = registry.release_uploads(ADMIN_CTX, holder=upload_claim.holder())
    assert [image['id'] for image in released] == [image_id]
    registry.begin_upload(ADMIN_CTX, image_id=image_id, lease_seconds=60,
                          upload_token='newer', holder='elsewhere/x-1')


def finish_newer(registry, image_id):
    return registry.finish_upload(ADMIN_CTX, image_id=image_id,
                                  location='file:///newer/%s' % image_id, size=1,
                                  checksum='c' * 32, os_hash_algo='sha512',
                                  os_hash_value='h' * 128, upload_token='newer')


@pytest.mark.parametrize('_registry_kind', BOTH_REGISTRIES)
def test_an_upload_handed_back_mid_body_stops_and_publishes_nothing(
        _registry_kind, conf, clock, registry, datadir):
    client = make_client(conf, registry, lease_seconds=3)
    image_id = new_image(client)
    watch = StoreWatch(datadir, at=50, act=lambda: hand_back_to_a_newer_upload(registry,
                                                                               image_id))
    body = SlowBody(clock, 100 * CHUNK, 0.05, on_read=watch)

    response = put_slowly(client, image_id, body)

    assert response.status_code == 409
    assert 'lost its lease' in response.get_json()['error']['message']
    assert watch.files_mid_body == [] and files_in(datadir) == []
    # The newer upload still holds the image, and finishes.
    assert status_of(registry, image_id) == 'saving'
    assert finish_newer(registry, image_id)['status'] == 'active'


@pytest.mark.parametrize('_registry_kind', BOTH_REGISTRIES)
def test_a_stale_finish_is_refused_and_removes_its_own_data(_registry_kind, conf, clock,
                                                             registry, datadir):
    class HandedBackBeforeFinish:
        """The image is handed back between the store's publishing and finish_upload."""

        def __getattr__(self, name):
            return getattr(registry, name)

        def finish_upload(self, ctxt, **kwargs):
            hand_back_to_a_newer_upload(registry, kwargs['image_id'])
            return registry.finish_upload(ctxt, **kwargs)

    client = make_client(conf, HandedBackBeforeFinish(), lease_seconds=60)
    image_id = new_image(client)

    response = put_slowly(client, image_id, SlowBody(clock, 3 * CHUNK, 0))

    assert response.status_code == 409
    assert files_in(datadir) == []
    internal = registry.image_get(ADMIN_CTX, image_id=image_id, internal=True)
    assert internal['status'] == 'saving' and internal['location'] is None
    assert finish_newer(registry, image_id)['status'] == 'active'


class ClosingClient:
    def __init__(self, registry, fail=None):
        self.registry, self.fail, self.closed = registry, fail, False

    def release_uploads(self, ctxt, **kwargs):
        if self.fail is not None:
            raise self.fail
        return self.registry.release_uploads(ctxt, **kwargs)

    def close(self):
        self.closed = True


DEAD_PID = 4242


def dead_workers_upload(conf, registry, datadir):
    """An image a worker DEAD_PID of this glance-api held in saving, and its partial file."""
    client = make_client(conf, registry, lease_seconds=600)
    image_id = new_image(client)
    registry.begin_upload(ADMIN_CTX, image_id=image_id, lease_seconds=600,
                          upload_token='t', holder=upload_claim.holder(pid=DEAD_PID))
    os.makedirs(datadir, exist_ok=True)
    partial = '%s.%s.0123abcd.partial' % (image_id, upload_claim.worker_tag(pid=DEAD_PID))
    with open(os.path.join(datadir, partial), 'wb') as f:
        f.write(b'half')
    other = '%s.%s.4567cdef.partial' % (image_id, upload_claim.worker_tag())
    with open(os.path.join(datadir, other), 'wb') as f:
        f.write(b'live')
    return image_id, partial, other


@pytest.mark.parametrize('_registry_kind', BOTH_REGISTRIES)
def test_a_dead_workers_uploads_and_partial_files_are_handed_back(_registry_kind, conf,
                                                                  registry, datadir):
    image_id, partial, other = dead_workers_upload(conf, registry, datadir)
    made = []

    def make_client_():
        made.append(ClosingClient(registry))
        return made[-1]

    deaths = worker_deaths.WorkerDeaths(conf, make_client=make_client_,
                                        make_stores=lambda: catalog.from_config(conf))
    released, removed = deaths.release(DEAD_PID)

    assert [image['id'] for image in released] == [image_id]
    assert removed == [partial]
    assert files_in(datadir) == [other]
    assert status_of(registry, image_id) == 'queued'
    assert made[0].closed
    # A worker that held nothing: nothing to do.
    assert deaths.release(DEAD_PID + 1) == ([], [])


@pytest.mark.parametrize('failure', [exceptions.RegistryUnavailable(),
                                     oslo_messaging.RPCVersionCapError(version='1.5',
                                                                       version_cap='1.4'),
                                     RuntimeError('boom')])
def test_a_release_the_registry_does_not_take_still_removes_the_files(failure, conf,
                                                                      registry, datadir):
    image_id, partial, other = dead_workers_upload(conf, registry, datadir)
    client = ClosingClient(registry, fail=failure)
    deaths = worker_deaths.WorkerDeaths(conf, make_client=lambda: client,
                                        make_stores=lambda: catalog.from_config(conf))

    assert deaths.release(DEAD_PID) == ([], [partial])
    assert client.closed
    # Left to the lease.
    assert status_of(registry, image_id) == 'saving'


def test_worker_exited_releases_in_a_thread_and_wait_lets_it_end(conf, registry, datadir):
    image_id, _, _ = dead_workers_upload(conf, registry, datadir)
    gate = threading.Event()

    class SlowClient(ClosingClient):
        def release_uploads(self, ctxt, **kwargs):
            gate.wait(5)
            return super().release_uploads(ctxt, **kwargs)

    deaths = worker_deaths.WorkerDeaths(conf, make_client=lambda: SlowClient(registry),
                                        make_stores=lambda: catalog.from_config(conf))
    thread = deaths.worker_exited(DEAD_PID)
    # The master is not held up, and a fork waits no longer than it is told.
    deaths.wait(timeout=0.05)
    assert thread.is_alive() and status_of(registry, image_id) == 'saving'
    gate.set()
    deaths.wait()
    assert not thread.is_alive() and status_of(registry, image_id) == 'queued'
