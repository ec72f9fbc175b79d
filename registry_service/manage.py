"""glance-manage: schema migrations of the image database.

    glance-manage [--config-file F] db sync [REVISION]   upgrade (to head by default)
    glance-manage [--config-file F] db version           print the current revision
    glance-manage [--config-file F] db downgrade REVISION
    glance-manage [--config-file F] db check             exit 1 if migrations are pending

It reads [database] connection from glance-registry.conf, like the registry it serves.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from registry_service import config
from registry_service.db import migration

# Exit status of `db check` when the schema is behind.
PENDING = 1


def db_sync(conf):
    url = conf.database.connection
    migration.upgrade(url, conf.command.revision or 'head')
    print('Database is at revision %s.' % (migration.current(url) or 'base'))


def db_version(conf):
    print(migration.current(conf.database.connection) or 'base')


def db_downgrade(conf):
    url = conf.database.connection
    migration.downgrade(url, conf.command.revision)
    print('Database is at revision %s.' % (migration.current(url) or 'base'))


def db_check(conf):
    pending = migration.pending(conf.database.connection)
    if pending:
        print('Pending migrations: %s. Run "glance-manage db sync".' % ', '.join(pending))
        return PENDING
    print('Database is up to date (revision %s).' % migration.head())
    return 0


def _add_db_parsers(subparsers):
    db = subparsers.add_parser('db', help='Image database schema.')
    actions = db.add_subparsers(dest='action', metavar='ACTION')
    actions.required = True
    sync = actions.add_parser('sync', help='Upgrade the schema (to head by default).')
    sync.add_argument('revision', nargs='?', help='Target revision (default: head).')
    sync.set_defaults(func=db_sync)
    version = actions.add_parser('version', help="Print the schema's current revision.")
    version.set_defaults(func=db_version)
    downgrade = actions.add_parser('downgrade', help='Downgrade the schema.')
    downgrade.add_argument('revision', help='Target revision, e.g. base.')
    downgrade.set_defaults(func=db_downgrade)
    check = actions.add_parser('check', help='Exit 1 if migrations are pending.')
    check.set_defaults(func=db_check)


command_opt = cfg.SubCommandOpt('command', title='Commands', handler=_add_db_parsers,
                                help='Available commands')


def main(argv=None):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    logging.register_options(conf)
    # Logs (alembic's progress lines among them) on stderr, results alone on stdout.
    conf.set_default('use_stderr', True)
    conf.register_cli_opt(command_opt)
    conf(sys.argv[1:] if argv is None else argv, project='glance', prog='glance-manage',
         default_config_files=cfg.find_config_files(project='glance',
                                                    prog='glance-registry'))
    logging.setup(conf, 'glance-manage')
    try:
        return conf.command.func(conf) or 0
    except Exception as exc:
        print('glance-manage: %s' % exc, file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
