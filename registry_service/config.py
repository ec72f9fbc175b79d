"""Options glance-registry (and glance-manage) read: where the image database lives, and
how often abandoned uploads are returned to queued."""

from oslo_config import cfg

from common import config as common_config

database_opts = [
    cfg.StrOpt('connection', default='sqlite:///glance.sqlite', secret=True,
               help='SQLAlchemy URL of the image database, e.g. '
                    'postgresql://glance:PASSWORD@db.example.org/glance or '
                    'mysql+pymysql://glance:PASSWORD@db.example.org/glance?charset=utf8mb4. '
                    'The plain mysql:// and postgresql:// schemes use whichever driver '
                    'Glimpse\'s extras installed (PyMySQL; psycopg 3 or psycopg2), as the '
                    'log says at start; an explicit +driver is used as written. '
                    'SQLite (the default, relative to the working directory) suits a single '
                    'host only. Create the schema with "glance-manage db sync" before starting '
                    'glance-registry; the registry refuses to start on an outdated schema.'),
    cfg.IntOpt('max_pool_size', min=1,
               help='Database connections each glance-registry process keeps open. Unset, it '
                    'matches [DEFAULT] executor_thread_pool_size, the number of RPC calls one '
                    'process serves at once, so no call waits for a connection. Lower it when '
                    'many registry processes share one database server with a connection '
                    'limit.'),
    cfg.IntOpt('pool_timeout', default=30, min=1,
               help='Seconds an RPC call waits for a free database connection before it '
                    'fails with "database unavailable". Only matters when max_pool_size is '
                    'lower than executor_thread_pool_size.'),
    cfg.IntOpt('connection_recycle_time', default=3600, min=1,
               help='Seconds after which a pooled connection is replaced, so servers and '
                    'proxies that drop idle connections (MySQL wait_timeout, HAProxy) never '
                    'hand the registry a dead one.'),
    cfg.BoolOpt('sqlite_synchronous', default=True,
                help='SQLite only: when true (the default), every commit waits until its '
                     'changes are on disk (SQLite\'s synchronous = FULL, in WAL mode), so a '
                     'power loss or kernel crash loses no committed change. False sets '
                     'synchronous = OFF, as oslo.db does: commits no longer wait for the '
                     'disk, and a power loss may lose the last commits or corrupt the '
                     'database; a crash of glance-registry alone loses nothing. For '
                     'throwaway deployments and tests only.'),
    cfg.IntOpt('connection_debug', default=0, min=0, max=100,
               help='Verbosity of SQL logging: 0 none, 50 or more logs every statement, 100 '
                    'also logs result rows. For debugging only.'),
]

sweep_opts = [
    cfg.IntOpt('upload_sweep_interval', default=15, min=0,
               help='Seconds between two sweeps for abandoned uploads. An upload holds its '
                    'image in "saving" under a lease that glance-api renews while data '
                    'flows in (its length is glance-api\'s upload_lease_seconds); when the '
                    'api worker dies mid-upload and its master cannot hand the upload back '
                    '(the whole host died), or the worker cannot reach any registry for a '
                    'whole lease, the lease passes and the next sweep returns the image to '
                    '"queued", so it can be uploaded again, and logs a warning naming it. '
                    'A sweep that finds nothing is one indexed read. '
                    'Every registry sweeps (the first time at start); registries sharing '
                    'one database never return an image twice, and an upload that '
                    'renewed meanwhile is left alone. Keep the clocks of the registry '
                    'hosts in sync (NTP): leases are compared with each host\'s clock. '
                    '0 disables the sweep: such images then stay in "saving" until an '
                    'admin deletes them. Related: glance-api upload_lease_seconds.'),
]


def register_opts(conf):
    common_config.register_opts(conf)
    conf.register_opts(database_opts, group='database')
    conf.register_opts(sweep_opts)


def executor_thread_pool_size(conf):
    """[DEFAULT] executor_thread_pool_size: how many RPC calls one registry serves at once."""
    # oslo.messaging registers this option only when a server is built, but the connection
    # pool is sized from it before that: register the very same option object. Imported
    # here so that glance-manage does not load oslo.messaging (and its eventlet warning).
    import oslo_messaging.opts
    for group, opts in oslo_messaging.opts.list_opts():
        if group is None:
            conf.register_opts([opt for opt in opts if opt.name == 'executor_thread_pool_size'])
    return conf.executor_thread_pool_size


def list_opts():
    return [('DEFAULT', sweep_opts), ('database', database_opts)]
