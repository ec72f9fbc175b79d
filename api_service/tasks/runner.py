"""TaskRunner: runs glance-api's tasks in a bounded pool of the worker process that took them.

A view creates the task (task_create, ``pending``) and submit()s it with its ``work``, a
callable run in the pool as ``work(handle)``. The runner first claims the task in the
registry (task_claim: ``processing``, under this worker's holder id and a lease of
[DEFAULT] upload_lease_seconds), renews that lease every third of it while the work runs,
and records the outcome with task_update under the same holder:

* ``work`` returns a dict (or None after ``handle.set_result()``): ``success`` with it as
  the task's ``result``;
* ``work`` raises TaskFailed(message): ``failure`` with that message, for the user;
* anything else: ``failure`` with a generic message naming the request id; the traceback
  goes to the log.

Each task finishes with expires_at [task] task_time_to_live hours ahead. A worker that dies
mid-task renews nothing: glance-registry's sweep fails the task once its lease passes
(registry_service/tasks.py:sweep). A worker that stops (SIGTERM) fails its tasks still
waiting for a thread and waits a bounded time for the running ones; those it leaves behind
are the sweep's.

The lease is lost when a renewal answers Conflict or NotFound (the sweep failed the task:
its worker lost the registry for a whole lease) or when no renewal succeeded for a whole
lease: ``handle.check()`` and ``handle.renew()`` then raise TaskLost and the work should
stop, leaving the task as the sweep recorded it.
"""

import collections
import logging
import threading
import time
import uuid

from api_service.services import upload_claim
from api_service.services.lease_renewal import RenewedLease
from common import exceptions

LOG = logging.getLogger(__name__)

# How long a stopping worker waits for its running tasks (gunicorn's graceful timeout is
# longer, and the worker needs some of it for its requests).
STOP_TIMEOUT = 30.0

STOPPED_MESSAGE = 'glance-api stopped before running this task; retry.'
INTERNAL_ERROR_MESSAGE = ('Task failed due to an internal error of glance-api (request %s); '
                          'see its log.')


class TaskFailed(Exception):
    """Raised by a task's work: the task fails with ``message``, shown to its user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TaskLost(Exception):
    """The task's lease is lost: the registry no longer counts this worker as running it."""


def new_holder():
    """``<host>/<instance>-<pid>/<uuid>``: this worker, and a runner of its own."""
    return '%s/%s' % (upload_claim.holder(), uuid.uuid4().hex[:8])


class TaskLease(RenewedLease):
    """The lease of one running task, renewed from a thread of its own every third of it."""

    _log = LOG

    def __init__(self, registry, ctx, task_id, holder, lease_seconds, clock=time.monotonic,
                 make_event=threading.Event):
        super().__init__(lease_seconds, 'task-lease-%s' % task_id, clock=clock,
                         make_event=make_event)
        self._registry = registry
        self._ctx = ctx
        self.task_id = task_id
        self.holder = holder
        self._lost = False

    @property
    def description(self):
        return 'the lease of task %s' % self.task_id

    def _ask_registry(self):
        self._registry.task_renew(self._ctx, task_id=self.task_id, holder=self.holder,
                                  lease_seconds=self.lease_seconds)

    def _ends_renewal(self, exc):
        if not isinstance(exc, (exceptions.Conflict, exceptions.NotFound)):
            return False
        LOG.warning('Task %s lost its lease: %s', self.task_id, exc)
        with self._lock:
            self._lost = True
        return True

    @property
    def lost(self):
        with self._lock:
            return self._lost or self._unconfirmed_for_a_whole_lease()

    def check(self):
        if self.lost:
            raise TaskLost('Task %s lost its lease.' % self.task_id)


class TaskHandle:
    """What a task's work gets: the task dict, the request context, the registry client,
    and its lease (check(), renew()); set_result() records the result to finish with."""

    def __init__(self, task, context, registry, lease):
        self.task = task
        self.context = context
        self.registry = registry
        self.holder = lease.holder
        self._lease = lease
        self.result = None

    @property
    def task_id(self):
        return self.task['id']

    def check(self):
        """Raise TaskLost when the work must stop (the registry failed the task)."""
        self._lease.check()

    def renew(self):
        """Renew the lease now (before a long step); TaskLost when it is lost."""
        self._lease.renew()
        self._lease.check()

    def set_result(self, result):
        if result is not None and not isinstance(result, dict):
            raise TypeError('a task result is a dict')
        self.result = result


class _Job:
    def __init__(self, context, task, work, lease, notifier):
        self.context = context
        self.task = task
        self.work = work
        self.lease = lease
        self.notifier = notifier

    def notify(self, event_type, task):
        if self.notifier is not None:
            self.notifier.task(event_type, task)


class TaskRunner:
    """The pool of one glance-api worker process (see the module docstring)."""

    def __init__(self, registry, *, max_workers, lease_seconds, time_to_live=None,
                 holder=None, clock=time.monotonic, make_event=threading.Event,
                 lease_class=TaskLease):
        self._registry = registry
        self._lease_class = lease_class
        self.max_workers = max_workers
        self.lease_seconds = lease_seconds
        self.time_to_live = time_to_live
        self.holder = holder or new_holder()
        self._clock = clock
        self._make_event = make_event
        self._cond = threading.Condition()
        self._queue = collections.deque()
        self._threads = []
        self._idle = 0
        self._running = {}
        self._stopping = False

    @classmethod
    def from_config(cls, conf, registry):
        from api_service.tasks import options
        return cls(registry, max_workers=options.pool_size(conf),
                   lease_seconds=conf.upload_lease_seconds,
                   time_to_live=conf.task.task_time_to_live)

    # -- submitting ---------------------------------------------------------------------------

    def submit(self, context, task, work, notifier=None):
        """Run ``work(handle)`` for ``task`` (a pending task dict) in the pool; with a
        ``notifier`` (common.notifications.Notifier), as upstream: task.run and
        task.processing once it starts, task.success or task.failure once it ends."""
        # The lease starts with the queue: a worker that dies with tasks still waiting
        # leaves them to the registry's sweep too.
        lease = self._lease_class(self._registry, context, task['id'], self.holder,
                                  self.lease_seconds, clock=self._clock,
                                  make_event=self._make_event)
        job = _Job(context, task, work, lease, notifier)
        if not lease.renew():
            return
        with self._cond:
            if not self._stopping:
                lease.start()
                self._queue.append(job)
                if len(self._queue) > self._idle and len(self._threads) < self.max_workers:
                    thread = threading.Thread(target=self._serve, daemon=True,
                                              name='task-runner-%d' % len(self._threads))
                    self._threads.append(thread)
                    thread.start()
                self._cond.notify()
                return
        self._fail_unstarted(job)

    def _serve(self):
        while True:
            with self._cond:
                self._idle += 1
                self._cond.wait_for(lambda: self._queue or self._stopping)
                self._idle -= 1
                if self._stopping:
                    return
                job = self._queue.popleft()
                self._running[job.task['id']] = job
            try:
                self._run(job)
            except Exception:
                LOG.exception('Task %s: the runner failed', job.task['id'])
            finally:
                with self._cond:
                    self._running.pop(job.task['id'], None)
                    self._cond.notify_all()

    # -- running one task ---------------------------------------------------------------------

    def _run(self, job):
        task_id = job.task['id']
        lease = job.lease
        try:
            lease.check()
            task = self._registry.task_claim(job.context, task_id=task_id, holder=self.holder,
                                             lease_seconds=self.lease_seconds)
        except (TaskLost, exceptions.GlimpseError) as exc:
            lease.stop()
            LOG.warning('Task %s was not started: %s', task_id, exc)
            if isinstance(exc, exceptions.GlimpseError) and \
                    not isinstance(exc, (exceptions.Conflict, exceptions.NotFound)):
                # The registry did not answer: the task is still pending; say so if we can.
                self._finish(job, {'status': 'failure',
                                   'message': 'glance-api could not start this task (%s); '
                                              'retry.' % exc}, holder=None)
            return
        job.notify('task.run', task)
        job.notify('task.processing', task)
        handle = TaskHandle(task, job.context, self._registry, lease)
        try:
            values = self._outcome(job, handle)
        finally:
            lease.stop()
        if values is None:
            return
        if lease.lost:
            LOG.warning('Task %s finished after losing its lease; its outcome (%s) is '
                        'dropped: the registry failed it.', task_id, values['status'])
            return
        self._finish(job, values, holder=self.holder)

    def _outcome(self, job, handle):
        """The task_update values of the work's outcome; None when the lease was lost."""
        task_id = job.task['id']
        try:
            returned = job.work(handle)
            result = returned if returned is not None else handle.result
            if result is not None and not isinstance(result, dict):
                raise TypeError('task work returned %r, not a dict' % type(result).__name__)
        except TaskFailed as exc:
            LOG.info('Task %s failed: %s', task_id, exc.message)
            return {'status': 'failure', 'message': exc.message}
        except TaskLost:
            LOG.warning('Task %s stopped: it lost its lease.', task_id)
            return None
        except Exception:
            LOG.exception('Task %s failed unexpectedly', task_id)
            return {'status': 'failure',
                    'message': INTERNAL_ERROR_MESSAGE % getattr(job.context, 'request_id',
                                                                None)}
        LOG.info('Task %s succeeded.', task_id)
        return {'status': 'success', 'result': result, 'message': ''}

    def _finish(self, job, values, holder):
        task_id = job.task['id']
        try:
            task = self._registry.task_update(job.context, task_id=task_id, values=values,
                                              holder=holder, time_to_live=self.time_to_live)
            job.notify('task.%s' % task['status'], task)
        except (exceptions.Conflict, exceptions.NotFound) as exc:
            LOG.warning('Task %s: its outcome could not be recorded (%s).', task_id, exc)
        except Exception as exc:
            # Its lease will pass: the registry's sweep fails it then.
            LOG.error('Task %s: the registry did not take its outcome (%s); it fails once '
                      'its lease passes.', task_id, exc)

    def _fail_unstarted(self, job):
        self._finish(job, {'status': 'failure', 'message': STOPPED_MESSAGE}, holder=None)

    # -- stopping -----------------------------------------------------------------------------

    def running(self):
        """The ids of the tasks running now."""
        with self._cond:
            return sorted(self._running)

    def wait_idle(self, timeout):
        """Wait up to ``timeout`` seconds until no task waits nor runs; -> True if so."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._running,
                                       timeout)

    def stop(self, timeout=STOP_TIMEOUT):
        """Fail the tasks still waiting and wait up to ``timeout`` seconds (real time) for
        the running ones; -> the ids of the tasks still running then (left to the sweep)."""
        with self._cond:
            self._stopping = True
            waiting = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for job in waiting:
            job.lease.stop()
            LOG.warning('Task %s fails: glance-api stops before it started.', job.task['id'])
            self._fail_unstarted(job)
        with self._cond:
            self._cond.wait_for(lambda: not self._running, timeout)
            left = sorted(self._running)
        if left:
            LOG.warning('glance-api stops with tasks still running: %s; they fail once '
                        'their lease passes.', ', '.join(left))
        return left
