"""The task options, with upstream's names, groups and defaults (api_service/config.py
registers them): [task] task_time_to_live and task_executor, [taskflow_executor]
engine_mode and max_workers. Upstream's [task] work_dir and [taskflow_executor]
conversion_format are not honoured (api_service/config_audit.py says so)."""

from oslo_config import cfg

task_opts = [
    cfg.IntOpt('task_time_to_live', default=48, min=0,
               deprecated_opts=[cfg.DeprecatedOpt('task_time_to_live', group='DEFAULT')],
               help='Time in hours for which a task lives after either succeeding or '
                    'failing; it is then no longer shown (GET /v2/tasks, GET '
                    '/v2/images/{image_id}/tasks).'),
    cfg.StrOpt('task_executor', default='taskflow', choices=('taskflow',),
               help='The executor that runs tasks. Glimpse runs every task in a bounded '
                    'pool of threads of the glance-api worker that accepted it, under a '
                    'lease kept in the registry (a task whose worker dies fails within '
                    'upload_lease_seconds); "taskflow", the only value upstream accepts, '
                    'names it. Related: [taskflow_executor] max_workers.'),
]

taskflow_executor_opts = [
    cfg.StrOpt('engine_mode', default='parallel', choices=('serial', 'parallel'),
               help='"parallel": each glance-api worker process runs up to max_workers '
                    'tasks at once; "serial": one at a time. Related: max_workers.'),
    cfg.IntOpt('max_workers', default=10, min=1,
               help='How many tasks each glance-api worker process runs at once (with '
                    'engine_mode = parallel); more wait, pending, for a free thread. '
                    'Related: engine_mode.'),
]

GROUPS = (('task', task_opts), ('taskflow_executor', taskflow_executor_opts))


def register(conf):
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)


def list_opts():
    return list(GROUPS)


def pool_size(conf):
    """How many tasks one glance-api worker process runs at once."""
    executor = conf.taskflow_executor
    return 1 if executor.engine_mode == 'serial' else executor.max_workers
