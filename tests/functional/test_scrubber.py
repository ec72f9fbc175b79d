"""Delayed delete and glance-scrubber on the real daemons: pending_delete, a scrubber run
removing the data from the file store, --restore, two scrubbers over one backlog, a store
that fails (the record says so until a later run succeeds), the registry down (a clear
error, and --daemon scrubs at a later wake-up), and glance-manage db purge after them.

One module-wide api + registry on SQLite with ``delayed_delete = True``; the scrubbers are
the real ``glance-scrubber`` console script with a glance-scrubber.conf of their own.
"""

import os
import shutil
import subprocess
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.functional import daemons
from tests.functional.http_api import ImagesApi

ADMIN_ROLES = 'admin,member,reader'


@pytest.fixture(scope='module')
def service(tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp('glance-scrubber'), name='scrubber',
                                 extra_api_options={'DEFAULT': {'delayed_delete': 'True'}},
                                 ) as service:
        yield service


@pytest.fixture(scope='module')
def database(service):
    engine = sa.create_engine(service.db_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def images(service):
    if not service.live_registries():
        service.start_registry()
        service.wait_for_registry()
    api = ImagesApi(service.base_url, f'project-{uuid.uuid4().hex[:12]}')
    yield api
    api.session.close()


def status(database, image_id):
    with database.connect() as connection:
        return connection.execute(sa.text('SELECT status FROM images WHERE id = :id'),
                                  {'id': image_id}).scalar_one()


def queued(database, image_id):
    with database.connect() as connection:
        return connection.execute(sa.text(
            'SELECT attempts, last_error FROM image_data_deletions WHERE image_id = :id'),
            {'id': image_id}).all()


def stored_image(images, service, data=None):
    image = images.create_ok(name='scrub-me')
    assert images.upload(image['id'], data or os.urandom(4096)).status_code == 204
    path = service.datadir / image['id']
    assert path.is_file()
    return image['id'], path


def delete(images, image_id):
    assert images.delete(image_id).status_code == 204


def test_delayed_delete_then_a_scrubber_run_removes_the_data(service, database, images):
    image_id, path = stored_image(images, service)
    delete(images, image_id)
    # Gone for users, as upstream shows a pending_delete image; the data is still there.
    assert images.show(image_id).status_code == 404
    assert image_id not in [i['id'] for i in images.list().json()['images']]
    assert images.delete(image_id).status_code == 404
    assert status(database, image_id) == 'pending_delete' and path.is_file()

    # scrub_time holds it back.
    held = service.run_scrubber(scrub_time=3600)
    assert held.returncode == 0, held.stderr
    assert status(database, image_id) == 'pending_delete' and path.is_file()

    done = service.run_scrubber(scrub_time=0)
    assert done.returncode == 0, done.stderr
    assert not path.exists()
    assert status(database, image_id) == 'deleted' and queued(database, image_id) == []


def test_restore_brings_a_pending_delete_image_back(service, database, images):
    data = os.urandom(8192)
    image_id, path = stored_image(images, service, data)
    delete(images, image_id)
    result = service.run_scrubber('--restore', image_id)
    assert result.returncode == 0, result.stderr
    assert f'Image {image_id} restored to active.' in result.stdout
    assert images.show(image_id).json()['status'] == 'active'
    assert images.download(image_id).content == data
    assert service.run_scrubber(scrub_time=0).returncode == 0
    assert path.is_file() and status(database, image_id) == 'active'

    again = service.run_scrubber('--restore', image_id)
    assert again.returncode == 1
    assert 'not restored' in again.stderr and 'active' in again.stderr


def test_two_scrubbers_at_once_share_one_backlog(service, database, images):
    backlog = [stored_image(images, service) for _ in range(12)]
    for image_id, _ in backlog:
        delete(images, image_id)
    runs = [subprocess.Popen(
        [daemons.console_script('glance-scrubber'), '--config-file',
         service.scrubber_conf(f'scrubber-{n}', scrub_time=0, scrub_pool_size=3)],
        cwd=service.workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in (1, 2)]
    outcomes = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outcomes
    assert not any(path.exists() for _, path in backlog)
    assert {status(database, image_id) for image_id, _ in backlog} == {'deleted'}
    # Each image's data was removed by exactly one of them.
    removed = []
    for n in (1, 2):
        log = (service.workdir / f'scrubber-{n}.log').read_text()
        removed += [image_id for image_id, _ in backlog
                    if f'Removed the data of image {image_id}' in log]
    assert sorted(removed) == sorted(image_id for image_id, _ in backlog)


def test_a_store_failure_is_recorded_and_retried(service, database, images):
    image_id, path = stored_image(images, service)
    delete(images, image_id)
    # Something the store cannot remove (a directory where the file was).
    path.unlink()
    path.mkdir()
    failed = service.run_scrubber(scrub_time=0, name='scrubber-failing')
    assert failed.returncode == 1
    assert status(database, image_id) == 'pending_delete'
    [(attempts, last_error)] = queued(database, image_id)
    assert attempts == 1 and 'IsADirectoryError' in last_error
    path.rmdir()
    path.write_bytes(b'back as a file')
    assert service.run_scrubber(scrub_time=0, name='scrubber-failing').returncode == 0
    assert not path.exists() and status(database, image_id) == 'deleted'


def test_registry_down_is_a_clear_error_and_the_daemon_retries(service, database, images):
    image_id, path = stored_image(images, service)
    delete(images, image_id)
    for registry in service.live_registries():
        registry.stop()
    once = service.run_scrubber(scrub_time=0, name='scrubber-offline')
    assert once.returncode == 1
    assert 'cannot reach glance-registry' in once.stderr
    assert path.is_file()

    daemon = service.start_scrubber('scrubber-daemon', scrub_time=0, wakeup_time=1)
    try:
        deadline = time.monotonic() + 30
        log = service.workdir / 'scrubber-daemon.log'
        while 'cannot reach glance-registry' not in (log.read_text() if log.exists() else ''):
            assert daemon.alive() and time.monotonic() < deadline
            time.sleep(0.5)
        service.start_registry()
        service.wait_for_registry()
        while path.exists():
            assert daemon.alive() and time.monotonic() < deadline
            time.sleep(0.5)
        # The scrubber reports the removal (scrub_finish) just after the file goes.
        while status(database, image_id) != 'deleted':
            assert daemon.alive() and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        daemon.stop()
    assert daemon.proc.returncode == 0, daemon.log_text()


def test_the_unit_and_the_example_config_name_the_daemon():
    root = daemons.pathlib.Path(__file__).resolve().parents[2]
    unit = (root / 'etc' / 'systemd' / 'glance-scrubber.service').read_text()
    assert 'glance-scrubber --daemon --config-file /etc/glance/glance-scrubber.conf' in unit
    assert shutil.which(daemons.console_script('glance-scrubber'))


def test_db_purge_keeps_the_rows_of_scrubbed_images_unless_asked(service, database, images):
    image_id, _ = stored_image(images, service)
    assert images.patch(image_id, [{'op': 'add', 'path': '/purpose',
                                    'value': 'purge test'}]).status_code == 200
    delete(images, image_id)
    registry_conf = str(service.workdir / 'glance-registry-1.conf')

    def manage(*args):
        return subprocess.run([daemons.console_script('glance-manage'), '--config-file',
                               registry_conf, 'db', *args],
                              capture_output=True, text=True, timeout=120)

    # Its data is still queued for the scrubber: nothing of it goes.
    kept = manage('purge_images_table', '--age_in_days', '0', '--max_rows', '-1')
    assert kept.returncode == 0, kept.stderr
    assert status(database, image_id) == 'pending_delete'
    assert service.run_scrubber(scrub_time=0).returncode == 0

    purged = manage('purge', '--age_in_days', '0', '--max_rows', '-1')
    assert purged.returncode == 0, purged.stderr
    assert 'from table image_properties' in purged.stdout
    with database.connect() as connection:
        assert connection.execute(sa.text(
            'SELECT count(*) FROM image_properties WHERE image_id = :id'),
            {'id': image_id}).scalar_one() == 0
    assert status(database, image_id) == 'deleted'
    # The id stays taken (OSSN-0075).
    assert images.create(id=image_id).status_code == 409

    gone = manage('purge_images_table', '--age_in_days', '0', '--max_rows', '-1')
    assert gone.returncode == 0, gone.stderr
    with database.connect() as connection:
        assert connection.execute(sa.text('SELECT count(*) FROM images WHERE id = :id'),
                                  {'id': image_id}).scalar_one() == 0
    refused = manage('purge', '--max_rows', '-2')
    assert refused.returncode == 1 and 'Minimal rows limit is -1.' in refused.stderr
