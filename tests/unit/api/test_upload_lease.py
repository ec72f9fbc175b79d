"""The upload lease, renewed while a (slow) body streams in.

The leases here last 1 to 3 seconds and the bodies take a few seconds to arrive, so each
test proves something about time: renewal keeps an upload alive past its first lease, and
a lost lease stops it before the body ends. The time is a FakeClock's: each read of the
body advances it, and the lease's renewal thread waits on it, so the tests run in
milliseconds and in step with the body.
"""

import io
import os

import oslo_messaging
import pytest

from api_service.wsgi import app as app_module
from common import context
from common import exceptions
from common.rpc import client as rpc_client
from tests.unit.api.conftest import ALICE

OCTET = {'Content-Type': 'application/octet-stream'}
CHUNK = 4096
ADMIN_CTX = context.RequestContext(user_id='admin-user', project_id='admin-project',
                                   roles=['admin'], is_admin=True)


class SlowBody(io.BytesIO):
    """A request body that arrives in small reads, ``pause`` seconds of ``clock`` apart.

    ``on_read(n)`` runs before the n-th read (1-based), so a test can act mid-upload.
    """

    def __init__(self, clock, size, pause, on_read=None):
        super().__init__(os.urandom(size))
        self.clock, self.size, self.pause, self.on_read = clock, size, pause, on_read
        self.reads = 0

    def read(self, size=-1):
        self.reads += 1
        if self.on_read is not None:
            self.on_read(self.reads)
        self.clock.advance(self.pause)
        return super().read(CHUNK if size < 0 else min(size, CHUNK))

    def finished(self):
        return self.tell() == self.size


class StoreWatch:
    """A SlowBody on_read: runs ``act`` before the 2nd read, and notes the store's files
    (``files_mid_body``, None until then) before read ``at``."""

    def __init__(self, datadir, at, act=None):
        self.datadir, self.at, self.act = datadir, at, act
        self.files_mid_body = None

    def __call__(self, n):
        if n == 2 and self.act is not None:
            self.act()
        if n == self.at:
            self.files_mid_body = files_in(self.datadir)


def make_client(conf, registry, lease_seconds):
    conf.set_override('upload_lease_seconds', lease_seconds)
    conf.set_override('filesystem_store_chunk_size', CHUNK, group='glance_store')
    return app_module.create_app(conf, registry=registry).test_client()


def new_image(client):
    response = client.post('/v2/images', headers=ALICE,
                           json={'disk_format': 'raw', 'container_format': 'bare'})
    assert response.status_code == 201
    return response.get_json()['id']


def put_slowly(client, image_id, body):
    return client.put('/v2/images/%s/file' % image_id, input_stream=body,
                      headers=dict(ALICE, **OCTET),
                      environ_overrides={'CONTENT_LENGTH': str(body.size)})


def status_of(registry, image_id):
    return registry.image_get(ADMIN_CTX, image_id=image_id)['status']


def files_in(datadir):
    return sorted(os.listdir(datadir)) if datadir.exists() else []


class FailingRenewals:
    """The registry client, except that renew_upload fails ``failures`` times (or
    always, for None) as if no registry answered."""

    def __init__(self, registry, failures=None):
        self._registry = registry
        self.failures = failures
        self.renewals = 0

    def __getattr__(self, name):
        return getattr(self._registry, name)

    def renew_upload(self, ctxt, **kwargs):
        self.renewals += 1
        if self.failures is None or self.renewals <= self.failures:
            raise exceptions.RegistryUnavailable()
        return self._registry.renew_upload(ctxt, **kwargs)


def test_renewal_keeps_a_slow_upload_alive_past_its_first_lease(conf, clock, registry,
                                                               datadir):
    client = make_client(conf, registry, lease_seconds=1)
    image_id = new_image(client)
    leases = []

    def watch_lease(n):
        if n % 10 == 0:
            leases.append(registry.image_get(ADMIN_CTX, image_id=image_id, internal=True)
                          ['upload_expires_at'])

    # About 3 s of body, three leases long.
    body = SlowBody(clock, 60 * CHUNK, 0.05, on_read=watch_lease)
    response = put_slowly(client, image_id, body)

    assert response.status_code == 204, response.get_json()
    assert status_of(registry, image_id) == 'active'
    assert files_in(datadir) == [image_id]
    # The lease moved forward while the body arrived (ISO strings sort by time).
    assert len(set(leases)) >= 3 and leases == sorted(leases)


def test_image_deleted_mid_upload_is_410_at_the_next_renewal(conf, clock, registry,
                                                            datadir):
    client = make_client(conf, registry, lease_seconds=1)
    image_id = new_image(client)

    watch = StoreWatch(datadir, at=60,
                       act=lambda: registry.image_delete(ADMIN_CTX, image_id=image_id))
    body = SlowBody(clock, 100 * CHUNK, 0.05, on_read=watch)
    response = put_slowly(client, image_id, body)

    assert response.status_code == 410
    assert 'was deleted during the upload' in response.get_json()['error']['message']
    # Stopped writing at the renewal a third of a lease in, not at the end of a 5 s body;
    # the rest was read and dropped so that the client gets its answer.
    assert watch.files_mid_body == []
    assert body.finished()
    assert files_in(datadir) == []


def test_lease_swept_mid_upload_is_409_and_keeps_nothing(conf, clock, registry, datadir):
    client = make_client(conf, registry, lease_seconds=3)
    image_id = new_image(client)

    # What the registry's sweep does to a lease it found passed.
    watch = StoreWatch(datadir, at=50,
                       act=lambda: registry.abort_upload(ADMIN_CTX, image_id=image_id))
    body = SlowBody(clock, 100 * CHUNK, 0.05, on_read=watch)
    response = put_slowly(client, image_id, body)

    assert response.status_code == 409
    assert 'lost its lease' in response.get_json()['error']['message']
    # Stopped writing at the renewal a second in, well before the 3 s lease could run out.
    assert watch.files_mid_body == []
    assert body.finished()
    assert files_in(datadir) == []
    assert status_of(registry, image_id) == 'queued'
    # Nothing stuck: the image takes a new upload.
    assert put_slowly(client, image_id, SlowBody(clock, 3 * CHUNK, 0)).status_code == 204


def test_one_unanswered_renewal_is_not_fatal(conf, clock, registry, datadir):
    flaky = FailingRenewals(registry, failures=1)
    client = make_client(conf, flaky, lease_seconds=3)
    image_id = new_image(client)

    # About 4 s: the renewal at 1 s fails, the one at 2 s succeeds before the lease ends.
    response = put_slowly(client, image_id, SlowBody(clock, 80 * CHUNK, 0.05))

    assert response.status_code == 204, response.get_json()
    assert flaky.renewals >= 3
    assert status_of(registry, image_id) == 'active'


def test_registry_unreachable_for_a_whole_lease_stops_the_upload_with_409(conf, clock,
                                                                           registry, datadir):
    client = make_client(conf, FailingRenewals(registry), lease_seconds=1)
    image_id = new_image(client)
    watch = StoreWatch(datadir, at=80)
    body = SlowBody(clock, 100 * CHUNK, 0.05, on_read=watch)
    response = put_slowly(client, image_id, body)

    assert response.status_code == 409
    assert 'lost its lease' in response.get_json()['error']['message']
    # Stopped writing once a whole lease passed unrenewed, well before the body's end (the
    # rest was read and dropped so that the client gets its answer).
    assert watch.files_mid_body == []
    assert body.finished()
    assert files_in(datadir) == []
    # Not aborted: the lease may have been swept and the image taken by a newer upload,
    # so returning it to queued is left to the registry's sweep.
    assert status_of(registry, image_id) == 'saving'


def test_lease_swept_before_finish_is_409_and_removes_the_data(conf, clock, registry,
                                                              datadir):
    class SweptBeforeFinish:
        def __getattr__(self, name):
            return getattr(registry, name)

        def finish_upload(self, ctxt, **kwargs):
            registry.abort_upload(ADMIN_CTX, image_id=kwargs['image_id'])
            return registry.finish_upload(ctxt, **kwargs)

    client = make_client(conf, SweptBeforeFinish(), lease_seconds=60)
    image_id = new_image(client)

    response = put_slowly(client, image_id, SlowBody(clock, 3 * CHUNK, 0))

    assert response.status_code == 409
    assert 'lost its lease' in response.get_json()['error']['message']
    assert files_in(datadir) == []
    assert status_of(registry, image_id) == 'queued'


@pytest.mark.real_registry
def test_version_cap_below_1_3_uploads_without_renewing(conf, clock, registry, datadir):
    conf.set_override('version_cap', '1.2', group='registry')
    capped = rpc_client.RegistryClient(conf, transport=registry._transport)
    with pytest.raises(oslo_messaging.RPCVersionCapError):
        capped.renew_upload(ADMIN_CTX, image_id='any', lease_seconds=1)
    client = make_client(conf, capped, lease_seconds=1)
    image_id = new_image(client)

    # Longer than the lease: an old registry has no sweep, so the first lease is enough.
    response = put_slowly(client, image_id, SlowBody(clock, 40 * CHUNK, 0.05))

    assert response.status_code == 204, response.get_json()
    assert status_of(registry, image_id) == 'active'
