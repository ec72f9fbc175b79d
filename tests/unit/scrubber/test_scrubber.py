"""glance-scrubber against the in-memory registry and a real filesystem store."""

import hashlib
import os
import threading

import pytest
from oslo_config import cfg

from api_service.stores import catalog
from api_service.stores import filesystem
from common import context
from common import exceptions
from scrubber_service import cmd
from scrubber_service import config
from scrubber_service import scrubber as scrubber_module
from tests.unit.api.fake_registry import FakeRegistry

ALICE = context.RequestContext(user_id='alice', project_id='project-a', roles=['member'])


@pytest.fixture
def conf(tmp_path):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'),
                      group='glance_store')
    return conf


@pytest.fixture
def stores(conf):
    return catalog.from_config(conf)


@pytest.fixture
def registry():
    return FakeRegistry()


def stored_image(registry, stores, data=b'image bytes', delayed=True):
    """An active image with data in the store, then deleted (delayed by default)."""
    image = registry.image_create(ALICE, values={'disk_format': 'raw',
                                                 'container_format': 'bare',
                                                 'owner': 'project-a'},
                                  properties={}, tags=[])
    registry.begin_upload(ALICE, image_id=image['id'], lease_seconds=60)
    added = stores.default.add(image['id'], iter([data]))
    uri = added.url
    registry.finish_upload(ALICE, image_id=image['id'], location=uri, size=added.size,
                           checksum=hashlib.md5(data).hexdigest(), os_hash_algo='sha512',
                           os_hash_value=hashlib.sha512(data).hexdigest())
    registry.image_delete(ALICE, image_id=image['id'], delayed=delayed)
    return image['id'], filesystem.FilesystemStore.path_of(uri)


def make_scrubber(registry, stores, scrub_time=0, pool_size=2):
    return scrubber_module.Scrubber(registry, stores, scrub_time, pool_size, 600)


def status(registry, image_id):
    return registry._images[image_id]['row']['status']


def test_a_run_removes_the_data_and_marks_the_images_deleted(registry, stores):
    images = [stored_image(registry, stores) for _ in range(3)]
    assert all(os.path.exists(path) for _, path in images)
    result = make_scrubber(registry, stores).run_once()
    assert (result.removed, result.failed, result.images_deleted) == (3, 0, 3)
    assert not any(os.path.exists(path) for _, path in images)
    assert {status(registry, image_id) for image_id, _ in images} == {'deleted'}
    assert make_scrubber(registry, stores).run_once().removed == 0


def test_scrub_time_holds_recent_deletes_back(registry, stores):
    image_id, path = stored_image(registry, stores)
    assert make_scrubber(registry, stores, scrub_time=3600).run_once().removed == 0
    assert os.path.exists(path) and status(registry, image_id) == 'pending_delete'


def test_a_store_failure_keeps_the_image_queued_until_a_later_run(registry, stores,
                                                                  monkeypatch):
    image_id, path = stored_image(registry, stores)
    real_delete = filesystem.FilesystemStore.delete

    def down(self, uri):
        raise OSError(5, 'Input/output error')

    monkeypatch.setattr(filesystem.FilesystemStore, 'delete', down)
    result = make_scrubber(registry, stores).run_once()
    assert (result.removed, result.failed) == (0, 1)
    assert status(registry, image_id) == 'pending_delete' and os.path.exists(path)
    [entry] = registry._deletions.values()
    assert entry['attempts'] == 1 and 'Input/output error' in entry['last_error']
    monkeypatch.setattr(filesystem.FilesystemStore, 'delete', real_delete)
    assert make_scrubber(registry, stores).run_once().removed == 1
    assert status(registry, image_id) == 'deleted' and not os.path.exists(path)


def test_data_left_by_an_immediate_delete_is_retried(registry, stores):
    image_id, path = stored_image(registry, stores, delayed=False)
    registry.image_data_left(ALICE, image_id=image_id, location='file://' + path,
                             error='store down')
    result = make_scrubber(registry, stores, scrub_time=3600).run_once()
    assert (result.removed, result.images_deleted) == (1, 0)
    assert not os.path.exists(path) and registry._deletions == {}


def test_data_already_gone_counts_as_removed(registry, stores):
    image_id, path = stored_image(registry, stores)
    os.unlink(path)
    assert make_scrubber(registry, stores).run_once().removed == 1
    assert status(registry, image_id) == 'deleted'


def test_two_scrubbers_over_one_backlog_remove_each_image_once(registry, stores,
                                                               monkeypatch):
    images = [stored_image(registry, stores) for _ in range(20)]
    deletes, lock = [], threading.Lock()
    real_delete = filesystem.FilesystemStore.delete

    def counting(self, uri):
        with lock:
            deletes.append(uri)
        return real_delete(self, uri)

    monkeypatch.setattr(filesystem.FilesystemStore, 'delete', counting)
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        results.append(make_scrubber(registry, stores, pool_size=3).run_once())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(deletes) == sorted(set(deletes)) and len(deletes) == 20
    assert sum(r.removed for r in results) == 20 and sum(r.failed for r in results) == 0
    assert {status(registry, image_id) for image_id, _ in images} == {'deleted'}


def test_restore_brings_the_image_back_with_its_data(registry, stores):
    image_id, path = stored_image(registry, stores)
    image = make_scrubber(registry, stores).restore(image_id)
    assert image['status'] == 'active'
    assert make_scrubber(registry, stores).run_once().removed == 0
    assert os.path.exists(path)
    assert registry.image_get(ALICE, image_id=image_id)['status'] == 'active'


class UnreachableRegistry:
    def __init__(self, conf):
        pass

    def scrub_claim(self, ctxt, **kwargs):
        raise exceptions.RegistryUnavailable()

    image_restore = scrub_claim

    def close(self):
        pass


def test_the_command_says_so_when_the_registry_is_down(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cmd.rpc_client, 'RegistryClient', UnreachableRegistry)
    conf_file = tmp_path / 'glance-scrubber.conf'
    conf_file.write_text('[glance_store]\nfilesystem_store_datadir = %s\n' % tmp_path)
    assert cmd.main(['--config-file', str(conf_file)]) == 1
    assert 'cannot reach glance-registry' in capsys.readouterr().err
    assert cmd.main(['--config-file', str(conf_file), '--restore', 'x']) == 1
    assert 'not restored' in capsys.readouterr().err


class RestoringRegistry:
    def __init__(self, conf):
        pass

    def image_restore(self, ctxt, image_id):
        assert ctxt.is_admin
        return {'id': image_id, 'status': 'active'}

    def close(self):
        pass


def test_the_command_restores(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cmd.rpc_client, 'RegistryClient', RestoringRegistry)
    conf_file = tmp_path / 'glance-scrubber.conf'
    conf_file.write_text('[glance_store]\nfilesystem_store_datadir = %s\n' % tmp_path)
    assert cmd.main(['--config-file', str(conf_file), '--restore', 'abc']) == 0
    assert 'Image abc restored to active.' in capsys.readouterr().out
