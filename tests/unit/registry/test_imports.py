"""registry_service/imports.py: staging under a lease, the import lock and its end."""

import datetime

import pytest

from common import exceptions
from registry_service import images
from registry_service import imports
from registry_service import uploads
from registry_service.db.types import utcnow
from tests.unit.registry.helpers import ready_image

IMPORT_TASK = 'os_glance_import_task'


def staged(db, ctxt, size=7, host='http://api-1:9292'):
    image = ready_image(db, ctxt)
    began = imports.begin_stage(db, ctxt, image['id'], 600, upload_token='t1', holder='w1')
    assert began['status'] == 'uploading' and began['upload_expires_at']
    return imports.finish_stage(db, ctxt, image['id'], size, upload_token='t1',
                                stage_host=host, virtual_size=size)


def test_stage_then_glance_direct_import_to_active(db, alice):
    image = staged(db, alice)
    assert image['status'] == 'uploading' and image['size'] == image['virtual_size'] == 7
    assert image['properties']['os_glance_stage_host'] == 'http://api-1:9292'
    # Staged and waiting: no lease, so the sweep leaves it alone.
    assert images.get(db, alice, image['id'], internal=True)['upload_expires_at'] is None
    assert uploads.expire_leases(db) == []
    importing = imports.begin_import(db, alice, image['id'], 'task-1', 'glance-direct',
                                     ['fast'])
    assert importing['status'] == 'importing'
    assert importing['properties'][IMPORT_TASK] == 'task-1'
    assert importing['properties']['os_glance_importing_to_stores'] == 'fast'
    done = imports.import_store_done(db, alice, image['id'], 'task-1', 'fast',
                                     'file:///fast/x', 7, 'a' * 32, 'sha512', 'b' * 128,
                                     virtual_size=7, disk_format='raw')
    assert done['status'] == 'importing' and done['stores'] == ['fast']
    active = imports.end_import(db, alice, image['id'], 'task-1')
    assert active['status'] == 'active' and active['removed_locations'] == []
    assert active['checksum'] == 'a' * 32 and active['size'] == 7
    assert IMPORT_TASK not in active['properties']
    assert 'os_glance_stage_host' not in active['properties']
    assert active['properties']['os_glance_importing_to_stores'] == ''


def test_the_lock_refuses_a_second_import_unless_stolen(db, alice):
    image = staged(db, alice)
    imports.begin_import(db, alice, image['id'], 'task-1', 'glance-direct', [])
    # The image is importing now, and a copy needs it active: the status refuses first.
    with pytest.raises(exceptions.InvalidStatusTransition):
        imports.begin_import(db, alice, image['id'], 'task-2', 'glance-direct', [])
    imports.end_import(db, alice, image['id'], 'task-1', failed=True)
    queued = images.get(db, alice, image['id'])
    assert queued['status'] == 'queued' and IMPORT_TASK not in queued['properties']


def test_copy_lock_conflict_and_takeover(db, alice, admin):
    image = staged(db, alice)
    imports.begin_import(db, alice, image['id'], 'task-1', 'glance-direct', ['a'])
    imports.import_store_done(db, alice, image['id'], 'task-1', 'a', 'file:///a/x', 7,
                              'c' * 32, 'sha512', 'd' * 128)
    imports.end_import(db, alice, image['id'], 'task-1')
    imports.begin_import(db, admin, image['id'], 'copy-1', 'copy-image', ['b'])
    with pytest.raises(exceptions.Conflict) as raised:
        imports.begin_import(db, admin, image['id'], 'copy-2', 'copy-image', ['c'])
    assert 'copy-1' in str(raised.value)
    taken = imports.begin_import(db, admin, image['id'], 'copy-2', 'copy-image', ['b'],
                                 steal_from='copy-1')
    assert taken['properties'][IMPORT_TASK] == 'copy-2'
    # The old task can no longer record anything, nor release the new lock.
    with pytest.raises(exceptions.Conflict):
        imports.import_store_done(db, admin, image['id'], 'copy-1', 'b', 'file:///b/x', 7,
                                  'c' * 32, 'sha512', 'd' * 128)
    assert imports.end_import(db, admin, image['id'], 'copy-1')['properties'][
        IMPORT_TASK] == 'copy-2'
    imports.import_store_failed(db, admin, image['id'], 'copy-2', 'b')
    ended = imports.end_import(db, admin, image['id'], 'copy-2', failed=True)
    assert ended['status'] == 'active' and ended['stores'] == ['a']
    assert ended['properties']['os_glance_failed_import'] == 'b'


def test_failed_import_removes_its_locations(db, alice):
    image = ready_image(db, alice)
    imports.begin_import(db, alice, image['id'], 'web-1', 'web-download', ['a', 'b'])
    imports.import_store_done(db, alice, image['id'], 'web-1', 'a', 'file:///a/x', 7,
                              'c' * 32, 'sha512', 'd' * 128)
    imports.import_store_failed(db, alice, image['id'], 'web-1', 'b')
    ended = imports.end_import(db, alice, image['id'], 'web-1', failed=True)
    assert ended['status'] == 'queued' and ended['stores'] == []
    assert ended['removed_locations'] == [{'url': 'file:///a/x', 'store_id': 'a'}]
    assert ended['size'] is None and ended['checksum'] is None
    assert ended['properties']['os_glance_failed_import'] == 'b'


def test_abort_and_sweep_of_a_stage(db, alice):
    image = ready_image(db, alice)
    imports.begin_stage(db, alice, image['id'], 600, upload_token='t1')
    with pytest.raises(exceptions.UploadSuperseded):
        imports.abort_stage(db, alice, image['id'], upload_token='t2')
    assert imports.abort_stage(db, alice, image['id'], upload_token='t1')['status'] == 'queued'
    imports.begin_stage(db, alice, image['id'], 1, upload_token='t3')
    swept = uploads.expire_leases(db, now=utcnow() + datetime.timedelta(seconds=5))
    assert [s['id'] for s in swept] == [image['id']]
    assert images.get(db, alice, image['id'])['status'] == 'queued'
    with pytest.raises(exceptions.InvalidStatusTransition):
        imports.renew_stage(db, alice, image['id'], 60, upload_token='t3')


def test_wrong_status_for_the_method(db, alice):
    image = ready_image(db, alice)
    with pytest.raises(exceptions.InvalidStatusTransition):
        imports.begin_import(db, alice, image['id'], 't', 'glance-direct', [])
    with pytest.raises(exceptions.InvalidStatusTransition):
        imports.begin_import(db, alice, image['id'], 't', 'copy-image', [])


def test_staged_images_is_admin_only(db, alice, admin):
    image = staged(db, alice)
    other = ready_image(db, alice)
    with pytest.raises(exceptions.Forbidden):
        imports.staged_images(db, alice, [image['id']])
    assert imports.staged_images(db, admin, [image['id'], other['id'], 'nope']) == {
        image['id']: 'uploading'}
