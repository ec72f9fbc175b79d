"""The filesystem store's sweep of partial upload files, and an upload whose file it took."""

import concurrent.futures
import io
import os
import subprocess
import sys
import time

import pytest

from api_service import exceptions as api_exceptions
from api_service.services import upload_claim
from api_service.stores import filesystem
from api_service.stores import partial_sweeper
from api_service.wsgi import app as app_module
from tests.unit.api.conftest import ALICE

OCTET = {'Content-Type': 'application/octet-stream'}


@pytest.fixture
def store(tmp_path):
    return filesystem.FilesystemStore(str(tmp_path / 'data'))


def make_file(store, name, age):
    path = os.path.join(store.datadir, name)
    with open(path, 'wb') as f:
        f.write(b'x')
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_only_partial_files_older_than_the_age_are_removed(store):
    make_file(store, 'img-a.0123abcd.partial', age=120)
    make_file(store, 'img-b.4567cdef.partial', age=5)
    make_file(store, 'img-c', age=1000)
    make_file(store, 'notes.partial.txt', age=1000)
    os.mkdir(os.path.join(store.datadir, 'dir.partial'))

    removed = store.remove_stale_partials(max_age=60)

    assert removed == ['img-a.0123abcd.partial']
    assert sorted(os.listdir(store.datadir)) == ['dir.partial', 'img-b.4567cdef.partial',
                                                 'img-c', 'notes.partial.txt']


def test_concurrent_sweeps_remove_each_file_once_and_do_not_fail(store):
    names = ['img-%d.%08x.partial' % (i, i) for i in range(200)]
    for name in names:
        make_file(store, name, age=120)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: store.remove_stale_partials(60), range(4)))

    removed = [name for result in results for name in result]
    assert sorted(removed) == sorted(names)
    assert os.listdir(store.datadir) == []


def test_upload_whose_partial_file_was_swept_fails_cleanly(store):
    def chunks():
        yield b'a' * 1000
        # A sweep (or an operator) takes the file while the upload still writes to it.
        for name in os.listdir(store.datadir):
            os.unlink(os.path.join(store.datadir, name))
        yield b'b' * 1000

    with pytest.raises(api_exceptions.PartialDataRemoved):
        store.add('img-1', chunks())
    assert os.listdir(store.datadir) == []


def test_swept_partial_file_answers_409_and_returns_the_image_to_queued(conf, registry,
                                                                         datadir):
    app = app_module.create_app(conf, registry=registry)
    client = app.test_client()
    image_id = client.post('/v2/images', headers=ALICE,
                           json={'disk_format': 'raw', 'container_format': 'bare'}
                           ).get_json()['id']

    class SweptMidway(io.BytesIO):
        def read(self, size=-1):
            if self.tell():
                for name in os.listdir(datadir):
                    os.unlink(datadir / name)
            return super().read(min(size, 4096) if size >= 0 else 4096)

    response = client.put('/v2/images/%s/file' % image_id, input_stream=SweptMidway(
        b'z' * 10000), headers=dict(ALICE, **OCTET),
        environ_overrides={'CONTENT_LENGTH': '10000'})

    assert response.status_code == 409
    assert response.headers['Content-Type'] == 'application/json'
    assert 'removed from the store' in response.get_json()['error']['message']
    image = client.get('/v2/images/%s' % image_id, headers=ALICE).get_json()
    assert image['status'] == 'queued'
    assert os.listdir(datadir) == []


def test_sweeper_thread_sweeps_at_start_and_then_periodically(store):
    old = make_file(store, 'img-a.0123abcd.partial', age=120)
    sweeper = partial_sweeper.PartialSweeper(store, max_age=60, interval=0.1)
    sweeper.start()
    try:
        deadline = time.monotonic() + 5
        while os.path.exists(old) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not os.path.exists(old)
        later = make_file(store, 'img-b.4567cdef.partial', age=120)
        while os.path.exists(later) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not os.path.exists(later)
    finally:
        sweeper.stop(timeout=5)
    assert not sweeper._thread.is_alive()


def test_sweeper_age_is_the_lease_plus_the_interval_and_0_disables_it(conf, store):
    conf.set_override('upload_lease_seconds', 30)
    conf.set_override('filesystem_store_partial_sweep_interval', 10, group='glance_store')
    sweeper = partial_sweeper.start(conf, store)
    try:
        assert (sweeper.max_age, sweeper.interval) == (40, 10)
    finally:
        sweeper.stop(timeout=5)
    conf.set_override('filesystem_store_partial_sweep_interval', 0, group='glance_store')
    assert partial_sweeper.start(conf, store) is None


def _dead_pid():
    """A pid no process has (a child that has exited and been reaped)."""
    child = subprocess.Popen([sys.executable, '-c', ''])
    child.wait()
    return child.pid


def test_a_partial_file_names_the_worker_writing_it(store):
    seen = []

    def chunks():
        seen.extend(name for name in os.listdir(store.datadir) if name.endswith('.partial'))
        yield b'data'

    store.add('img-a', chunks())
    image_id, tag, _random, suffix = seen[0].split('.')
    assert (image_id, tag, suffix) == ('img-a', upload_claim.worker_tag(), 'partial')


def test_remove_partials_of_removes_exactly_that_workers_files(store):
    dead = upload_claim.worker_tag(pid=_dead_pid())
    other = upload_claim.worker_tag(pid=os.getpid())
    make_file(store, 'img-a.%s.0123abcd.partial' % dead, age=0)
    make_file(store, 'img-b.%s.4567cdef.partial' % dead, age=0)
    make_file(store, 'img-c.%s.89abcdef.partial' % other, age=0)
    make_file(store, 'img-d.0123abcd.partial', age=0)
    make_file(store, 'img-e', age=0)

    removed = store.remove_partials_of(dead)

    assert sorted(removed) == ['img-a.%s.0123abcd.partial' % dead,
                               'img-b.%s.4567cdef.partial' % dead]
    assert sorted(os.listdir(store.datadir)) == [
        'img-c.%s.89abcdef.partial' % other, 'img-d.0123abcd.partial', 'img-e']


def test_the_age_sweep_keeps_the_files_of_live_workers_of_this_glance_api(store):
    live = make_file(store, 'img-a.%s.0123abcd.partial' % upload_claim.worker_tag(), age=999)
    dead = make_file(store, 'img-b.%s.4567cdef.partial'
                     % upload_claim.worker_tag(pid=_dead_pid()), age=999)
    elsewhere = make_file(store, 'img-c.0123456789ab-%d.89abcdef.partial' % os.getpid(),
                          age=999)

    store.remove_stale_partials(max_age=60)

    assert os.path.exists(live)
    assert not os.path.exists(dead) and not os.path.exists(elsewhere)
