"""The task runner of a glance-api worker: claim, lease renewal, outcome, stop.

Tasks live in the FakeRegistry (the same rules as the registry's, see
test_fake_registry_contract.py). The leases run on a FakeClock, so a test of "renewed every
third of the lease" or "lost when the registry failed the task" takes no real time; the
work itself runs in the runner's pool and waits on events the test sets.
"""

import threading

import pytest

from api_service.tasks import runner as task_runner
from common import context
from registry_service import tasks as registry_tasks
from tests.unit.api.fake_registry import FakeRegistry
from tests.unit.fake_clock import FakeClock
from tests.unit.fake_clock import PacedByClock

ALICE = context.RequestContext(user_id='alice', project_id='project-a', roles=['member'],
                               request_id='req-1234')
LEASE = 30
WAIT = 10


class PacedLease(PacedByClock, task_runner.TaskLease):
    pass


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def registry():
    return FakeRegistry()


@pytest.fixture
def runner(registry, clock):
    runner = task_runner.TaskRunner(registry, max_workers=2, lease_seconds=LEASE,
                                    time_to_live=1, holder='host/worker-1',
                                    clock=clock, make_event=clock.event,
                                    lease_class=PacedLease)
    yield runner
    runner.stop(timeout=WAIT)


def new_task(registry):
    return registry.task_create(ALICE, values={'type': 'import', 'input': {'a': 1}})


class Work:
    """A task's work that signals when it started and waits for ``release`` to finish."""

    def __init__(self, outcome=None):
        self.started = threading.Event()
        self.release = threading.Event()
        self.outcome = outcome or (lambda handle: {'image_id': 'img-1'})
        self.handle = None

    def __call__(self, handle):
        self.handle = handle
        self.started.set()
        assert self.release.wait(WAIT)
        return self.outcome(handle)


def run(runner, registry, work):
    task = new_task(registry)
    runner.submit(ALICE, task, work)
    assert work.started.wait(WAIT)
    return task


def finish(runner, work):
    work.release.set()
    assert runner.stop(timeout=WAIT) == []


def test_a_task_is_claimed_then_succeeds_with_the_result(runner, registry):
    work = Work()
    task = run(runner, registry, work)
    seen = registry.task_get(ALICE, task_id=task['id'])
    assert seen['status'] == 'processing'
    assert registry.task_lease(task['id'])[0] == 'host/worker-1'
    assert work.handle.task['id'] == task['id'] and work.handle.context is ALICE
    finish(runner, work)
    done = registry.task_get(ALICE, task_id=task['id'])
    assert done['status'] == 'success'
    assert done['result'] == {'image_id': 'img-1'}
    assert done['expires_at'] is not None
    assert registry.task_lease(task['id']) == (None, None)


def test_set_result_is_the_result_when_the_work_returns_none(runner, registry):
    def outcome(handle):
        handle.set_result({'done': True})
    work = Work(outcome)
    task = run(runner, registry, work)
    finish(runner, work)
    assert registry.task_get(ALICE, task_id=task['id'])['result'] == {'done': True}


def test_task_failed_gives_its_message(runner, registry):
    def outcome(handle):
        raise task_runner.TaskFailed('The URL answered 404.')
    work = Work(outcome)
    task = run(runner, registry, work)
    finish(runner, work)
    done = registry.task_get(ALICE, task_id=task['id'])
    assert (done['status'], done['message']) == ('failure', 'The URL answered 404.')
    assert done['result'] is None


def test_an_unexpected_error_fails_with_a_generic_message_and_a_logged_traceback(
        runner, registry, caplog):
    def outcome(handle):
        raise KeyError('internal detail')
    work = Work(outcome)
    task = run(runner, registry, work)
    finish(runner, work)
    done = registry.task_get(ALICE, task_id=task['id'])
    assert done['status'] == 'failure'
    assert 'internal error' in done['message'] and 'req-1234' in done['message']
    assert 'internal detail' not in done['message']
    assert any(r.exc_info and 'failed unexpectedly' in r.getMessage()
               for r in caplog.records)


def test_the_lease_is_renewed_every_third_while_the_work_runs(runner, registry, clock):
    work = Work()
    task = run(runner, registry, work)
    _, first = registry.task_lease(task['id'])
    # Two whole leases pass on the clock: the lease is renewed every 10 s.
    for _ in range(6):
        clock.advance(LEASE / 3)
    _, renewed = registry.task_lease(task['id'])
    assert renewed > first
    assert not work.handle._lease.lost
    finish(runner, work)
    assert registry.task_get(ALICE, task_id=task['id'])['status'] == 'success'


def test_a_task_the_sweep_failed_stops_and_keeps_the_sweeps_outcome(runner, registry, clock):
    lost = []

    def outcome(handle):
        try:
            handle.check()
        except task_runner.TaskLost:
            lost.append(True)
            raise
        return {'too': 'late'}
    work = Work(outcome)
    task = run(runner, registry, work)
    # The registry lost sight of this worker for a whole lease (as if its renewals did not
    # arrive): the sweep failed the task; the next renewal learns it.
    assert registry.sweep_tasks(now=_far_future()) == [task['id']]
    clock.advance(LEASE / 3)
    finish(runner, work)
    assert lost == [True]
    done = registry.task_get(ALICE, task_id=task['id'])
    assert (done['status'], done['message']) == ('failure',
                                                 registry_tasks.DEAD_WORKER_MESSAGE)


def test_a_lease_without_any_renewal_for_a_whole_lease_is_lost(registry, clock):
    task = new_task(registry)
    registry.task_claim(ALICE, task_id=task['id'], holder='h', lease_seconds=LEASE)
    lease = task_runner.TaskLease(registry, ALICE, task['id'], 'h', LEASE, clock=clock)
    lease.check()
    clock.advance(LEASE + 1)
    with pytest.raises(task_runner.TaskLost):
        lease.check()
    assert lease.renew() and not lease.lost


def test_stop_fails_the_waiting_tasks_and_waits_for_the_running_ones(registry, clock):
    runner = task_runner.TaskRunner(registry, max_workers=1, lease_seconds=LEASE,
                                    clock=clock, make_event=clock.event,
                                    lease_class=PacedLease)
    work = Work()
    running = run(runner, registry, work)
    waiting = new_task(registry)
    runner.submit(ALICE, waiting, Work())
    assert runner.running() == [running['id']]
    # Still running after the bound: left to the registry's sweep.
    assert runner.stop(timeout=0) == [running['id']]
    failed = registry.task_get(ALICE, task_id=waiting['id'])
    assert (failed['status'], failed['message']) == ('failure',
                                                     task_runner.STOPPED_MESSAGE)
    # The running one finishes normally when its work ends.
    finish(runner, work)
    assert registry.task_get(ALICE, task_id=running['id'])['status'] == 'success'
    # A stopped runner fails what it is given at once.
    late = new_task(registry)
    runner.submit(ALICE, late, Work())
    assert registry.task_get(ALICE, task_id=late['id'])['status'] == 'failure'


def test_a_task_waiting_in_the_queue_is_held_under_a_renewed_lease(runner, registry, clock):
    works = [Work() for _ in range(3)]
    tasks = [new_task(registry) for _ in works]
    for task, work in zip(tasks, works, strict=True):
        runner.submit(ALICE, task, work)
    assert works[0].started.wait(WAIT) and works[1].started.wait(WAIT)
    holder, first = registry.task_lease(tasks[2]['id'])
    assert holder == 'host/worker-1'
    for _ in range(6):
        clock.advance(LEASE / 3)
    assert registry.task_lease(tasks[2]['id'])[1] > first
    # Two leases passed on the clock, and the waiting task is still the worker's.
    assert registry.sweep_tasks() == []
    for work in works:
        work.release.set()
    assert works[2].started.wait(WAIT)
    assert runner.stop(timeout=WAIT) == []
    assert registry.task_get(ALICE, task_id=tasks[2]['id'])['status'] == 'success'


def test_a_waiting_task_the_sweep_failed_is_not_run(registry, clock):
    runner = task_runner.TaskRunner(registry, max_workers=1, lease_seconds=LEASE,
                                    clock=clock, make_event=clock.event,
                                    lease_class=PacedLease)
    work = Work()
    running = run(runner, registry, work)
    waiting, late = new_task(registry), Work()
    runner.submit(ALICE, waiting, late)
    assert sorted(registry.sweep_tasks(now=_far_future())) == sorted([running['id'],
                                                                      waiting['id']])
    clock.advance(LEASE / 3)
    finish(runner, work)
    assert not late.started.is_set()
    failed = registry.task_get(ALICE, task_id=waiting['id'])
    assert (failed['status'], failed['message']) == ('failure',
                                                     registry_tasks.DEAD_QUEUE_MESSAGE)


def test_the_pool_runs_at_most_max_workers_tasks_at_once(runner, registry):
    works = [Work() for _ in range(3)]
    tasks = [new_task(registry) for _ in works]
    for task, work in zip(tasks, works, strict=True):
        runner.submit(ALICE, task, work)
    assert works[0].started.wait(WAIT) and works[1].started.wait(WAIT)
    assert not works[2].started.is_set()
    assert registry.task_get(ALICE, task_id=tasks[2]['id'])['status'] == 'pending'
    works[0].release.set()
    assert works[2].started.wait(WAIT)
    for work in works:
        work.release.set()
    assert runner.stop(timeout=WAIT) == []
    assert [registry.task_get(ALICE, task_id=t['id'])['status'] for t in tasks] == \
        ['success'] * 3


def _far_future():
    import datetime
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + \
        datetime.timedelta(days=1)


class Notes:
    def __init__(self):
        self.events = []

    def task(self, event_type, task):
        self.events.append((event_type, task['status']))


def test_notifications_follow_the_task_as_upstream_sends_them(runner, registry):
    notes = Notes()
    work = Work()
    task = new_task(registry)
    runner.submit(ALICE, task, work, notifier=notes)
    assert work.started.wait(WAIT)
    finish(runner, work)
    assert notes.events == [('task.run', 'processing'), ('task.processing', 'processing'),
                            ('task.success', 'success')]
