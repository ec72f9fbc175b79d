"""The registry's tasks: leases, the sweep of a dead worker's task (and the image it held),
expiry. (The calls' answers are compared with the FakeRegistry's in
tests/unit/api/test_fake_registry_contract.py.)"""

import datetime

import pytest
import sqlalchemy as sa

from common import exceptions
from common import states
from registry_service import images
from registry_service import lease_sweeper
from registry_service import tasks
from registry_service.db import models
from registry_service.db.types import utcnow
from tests.unit.registry.helpers import new_image


def later(seconds):
    return utcnow() + datetime.timedelta(seconds=seconds)


def new_task(db, ctxt, image_id=None):
    return tasks.create(db, ctxt, {'type': 'import', 'input': {'a': 1}, 'image_id': image_id})


def set_status(db, image_id, status):
    with db.write() as session:
        session.execute(sa.update(models.Image).where(models.Image.id == image_id)
                        .values(status=status))


def test_claim_renew_and_finish_under_the_holder(db, alice):
    task = new_task(db, alice)
    claimed = tasks.claim(db, alice, task['id'], 'worker-1', 30)
    assert claimed['status'] == 'processing'
    with pytest.raises(exceptions.Conflict):
        tasks.renew(db, alice, task['id'], 'worker-2', 30)
    before = tasks.get(db, alice, task['id'])['updated_at']
    assert tasks.renew(db, alice, task['id'], 'worker-1', 30)['updated_at'] > before
    done = tasks.update(db, alice, task['id'], {'status': 'success', 'result': {'x': 1}},
                        holder='worker-1', time_to_live_hours=2)
    expires = datetime.datetime.strptime(done['expires_at'], '%Y-%m-%dT%H:%M:%S.%fZ')
    assert abs((expires - later(7200)).total_seconds()) < 60
    with db.read() as session:
        row = session.get(models.Task, task['id'])
        assert (row.holder, row.lease_expires_at) == (None, None)


def test_the_sweep_fails_a_task_whose_lease_passed_and_keeps_a_live_one(db, alice):
    dead, alive = new_task(db, alice), new_task(db, alice)
    tasks.claim(db, alice, dead['id'], 'worker-1', 30)
    tasks.claim(db, alice, alive['id'], 'worker-2', 300)
    swept = tasks.sweep(db, now=later(60))
    assert [t['id'] for t in swept['failed']] == [dead['id']]
    failed = tasks.get(db, alice, dead['id'])
    assert (failed['status'], failed['message']) == ('failure', tasks.DEAD_WORKER_MESSAGE)
    assert failed['expires_at'] is not None
    assert tasks.get(db, alice, alive['id'])['status'] == 'processing'
    # The dead worker, should it come back, can neither renew nor finish.
    with pytest.raises(exceptions.Conflict):
        tasks.renew(db, alice, dead['id'], 'worker-1', 30)
    with pytest.raises(exceptions.Conflict):
        tasks.update(db, alice, dead['id'], {'status': 'success'}, holder='worker-1')
    assert tasks.sweep(db, now=later(60))['failed'] == []


def test_a_pending_task_is_held_in_a_queue_and_failed_when_its_lease_passes(db, alice):
    task = new_task(db, alice)
    tasks.renew(db, alice, task['id'], 'worker-1', 30)
    with pytest.raises(exceptions.Conflict):
        tasks.renew(db, alice, task['id'], 'worker-2', 30)
    assert tasks.sweep(db, now=later(10))['failed'] == []
    assert [t['id'] for t in tasks.sweep(db, now=later(60))['failed']] == [task['id']]
    failed = tasks.get(db, alice, task['id'])
    assert (failed['status'], failed['message']) == ('failure', tasks.DEAD_QUEUE_MESSAGE)
    # A pending task nobody holds is never swept.
    idle = new_task(db, alice)
    assert tasks.sweep(db, now=later(3600))['failed'] == []
    assert tasks.get(db, alice, idle['id'])['status'] == 'pending'


def test_the_sweep_hands_back_the_image_an_import_task_held(db, alice):
    image = new_image(db, alice, properties={'os_glance_failed_import': 'a'})
    task = new_task(db, alice, image_id=image['id'])
    images.update(db, alice, image['id'], [
        {'op': 'add', 'path': 'os_glance_import_task', 'value': task['id']},
        {'op': 'add', 'path': 'os_glance_importing_to_stores', 'value': 'b,c'}])
    set_status(db, image['id'], states.IMPORTING)
    tasks.claim(db, alice, task['id'], 'worker-1', 30)
    swept = tasks.sweep(db, now=later(60))
    assert swept['failed'][0]['image_released'] is True
    after = images.get(db, alice, image['id'])
    assert after['status'] == states.QUEUED
    assert after['properties'] == {'os_glance_failed_import': 'a,b,c'}


def test_the_sweep_leaves_an_image_another_task_holds(db, alice):
    image = new_image(db, alice, properties={'os_glance_import_task': 'another'})
    set_status(db, image['id'], states.IMPORTING)
    task = new_task(db, alice, image_id=image['id'])
    tasks.claim(db, alice, task['id'], 'worker-1', 30)
    assert tasks.sweep(db, now=later(60))['failed'][0]['image_released'] is False
    after = images.get(db, alice, image['id'])
    assert after['status'] == states.IMPORTING
    assert after['properties'] == {'os_glance_import_task': 'another'}


@pytest.mark.parametrize('claimed', [False, True], ids=['never-run', 'running'])
def test_a_task_failed_by_its_worker_hands_back_the_image_it_still_holds(db, alice, claimed):
    """glance-api stopped before running the task (pending -> failure) or the work died
    without undoing the import: the failure itself releases the image, not only the sweep."""
    image = new_image(db, alice)
    task = new_task(db, alice, image_id=image['id'])
    images.update(db, alice, image['id'], [
        {'op': 'add', 'path': 'os_glance_import_task', 'value': task['id']},
        {'op': 'add', 'path': 'os_glance_importing_to_stores', 'value': 'b'}])
    set_status(db, image['id'], states.IMPORTING)
    holder = None
    if claimed:
        tasks.claim(db, alice, task['id'], 'worker-1', 30)
        holder = 'worker-1'
    tasks.update(db, alice, task['id'], {'status': 'failure', 'message': 'stopped'},
                 holder=holder)
    after = images.get(db, alice, image['id'])
    assert after['status'] == states.QUEUED
    assert after['properties'] == {'os_glance_failed_import': 'b'}


def test_a_failed_task_leaves_an_image_another_task_holds(db, alice):
    image = new_image(db, alice, properties={'os_glance_import_task': 'another'})
    set_status(db, image['id'], states.IMPORTING)
    task = new_task(db, alice, image_id=image['id'])
    tasks.update(db, alice, task['id'], {'status': 'failure', 'message': 'x'})
    after = images.get(db, alice, image['id'])
    assert after['status'] == states.IMPORTING
    assert after['properties'] == {'os_glance_import_task': 'another'}


def test_expired_tasks_are_hidden_then_marked_deleted(db, alice):
    task = new_task(db, alice)
    tasks.update(db, alice, task['id'], {'status': 'failure', 'message': 'x'},
                 time_to_live_hours=0)
    with pytest.raises(exceptions.NotFound):
        tasks.get(db, alice, task['id'])
    assert tasks.list_tasks(db, alice) == []
    assert tasks.sweep(db)['expired'] == 1
    with db.read() as session:
        row = session.get(models.Task, task['id'])
        assert row.deleted and row.deleted_at is not None


def test_tasks_are_the_owners_and_admins(db, alice, bob, admin):
    task = new_task(db, alice)
    with pytest.raises(exceptions.NotFound):
        tasks.get(db, bob, task['id'])
    with pytest.raises(exceptions.NotFound):
        tasks.claim(db, bob, task['id'], 'w', 30)
    assert tasks.get(db, admin, task['id'])['owner'] == 'project-a'
    assert [t['id'] for t in tasks.list_tasks(db, admin)] == [task['id']]
    assert tasks.list_tasks(db, bob) == []


def test_the_lease_sweeper_thread_sweeps_tasks_too(db, alice):
    task = new_task(db, alice)
    tasks.claim(db, alice, task['id'], 'worker-1', 1)
    with db.write() as session:
        session.execute(sa.update(models.Task).values(lease_expires_at=later(-5)))
    sweeper = lease_sweeper.LeaseSweeper(db, interval=60)
    sweeper.sweep_once()
    assert tasks.get(db, alice, task['id'])['status'] == 'failure'
