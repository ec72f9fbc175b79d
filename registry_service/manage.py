"""glance-manage: schema migrations of the image database, and purging what deleted images
left in it.

    glance-manage [--config-file F] db sync [REVISION]      upgrade (to head by default)
    glance-manage [--config-file F] db upgrade [REVISION]   the same
    glance-manage [--config-file F] db version              print the current revision
    glance-manage [--config-file F] db check                exit 1 if migrations are pending
    glance-manage [--config-file F] db downgrade REVISION [--yes-i-know]
    glance-manage [--config-file F] db purge [--age_in_days 30] [--max_rows 100]
    glance-manage [--config-file F] db purge_images_table [--age_in_days 180] [--max_rows 100]
    glance-manage [--config-file F] db load_metadefs [--path DIR] [--merge]
                                        [--prefer_new | --overwrite]
    glance-manage [--config-file F] db unload_metadefs
    glance-manage [--config-file F] db export_metadefs [--path DIR]
    glance-manage [--config-file F] db_sync [REVISION]      upstream's old spelling of db sync
    glance-manage [--config-file F] db_version              ... and of db version
    glance-manage --version

A downgrade that would drop tables or columns holding data refuses, naming them, unless
--yes-i-know is given; one that drops tables refuses while a glance-registry answers on the
file's transport_url. ``db purge`` keeps the rows of the images themselves, so an id is
never reused (OSSN-0075); ``db purge_images_table`` removes them too (registry_service/purge.py).
The metadefs commands read and write upstream's metadata definitions files
(registry_service/metadefs_files.py), in /etc/glance/metadefs unless --path says otherwise.
It reads [database] connection from glance-registry.conf, like the registry it serves.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from common import version as glimpse_version
from registry_service import config
from registry_service.db import migration

# Exit status of `db check` when the schema is behind.
PENDING = 1
# Exit status of a downgrade refused because it would lose data.
REFUSED = 3
# Exit status of a purge given arguments upstream refuses.
INVALID = 1
# How long a downgrade waits for a running glance-registry to answer a ping.
PING_TIMEOUT = 3


def db_sync(conf):
    url = conf.database.connection
    migration.upgrade(url, conf.command.revision or 'head')
    print('Database is at revision %s.' % (migration.current(url) or 'base'))


def db_version(conf):
    print(migration.current(conf.database.connection) or 'base')


def db_downgrade(conf):
    url = conf.database.connection
    target = conf.command.revision
    dropped = migration.dropped_by_downgrade(url, target)
    at_risk = migration.rows_at_risk(url, dropped)
    if dropped and _registry_answers(conf):
        print('A glance-registry answers on topic %s: it would fail on the tables a '
              'downgrade to %s drops. Nothing was changed; stop every glance-registry '
              'first.' % (conf.registry.topic, target), file=sys.stderr)
        return REFUSED
    if at_risk and not conf.command.yes_i_know:
        print('Downgrading to %s would drop data: %s. Nothing was changed. Stop every '
              'glance-registry, back the database up, and run again with --yes-i-know to '
              'go ahead.' % (target, _describe(dropped, at_risk)), file=sys.stderr)
        return REFUSED
    if dropped:
        print('Dropping: %s.' % _describe(dropped, at_risk), file=sys.stderr)
    migration.downgrade(url, target)
    print('Database is at revision %s.' % (migration.current(url) or 'base'))


def _registry_answers(conf):
    """True when a glance-registry on this file's transport_url and topic answers a ping
    within PING_TIMEOUT seconds; False when none does or the file sets no transport_url."""
    # oslo.messaging's options are registered here only: the other commands never load it.
    from common import context
    from common import exceptions
    from common.rpc import client as rpc_client
    from common.rpc import transport as rpc_transport

    rpc_transport.register_messaging_opts(conf)
    if conf.get_location('transport_url').location == cfg.Locations.opt_default:
        # No bus in this file: no registry reads it either.
        return False
    conf.set_override('rpc_timeout', PING_TIMEOUT, group='registry')
    client = rpc_client.RegistryClient(conf)
    try:
        client.ping(context.RequestContext(is_admin=False))
        return True
    except exceptions.RegistryUnavailable:
        # No registry answered, or the bus is unreachable: none can be serving then.
        return False
    finally:
        client.close()


def _describe(dropped, at_risk):
    parts = []
    for table, columns in sorted(dropped.items()):
        what = ('table %s' % table if columns is None
                else 'columns %s of table %s' % (', '.join(columns), table))
        rows = at_risk.get(table, 0)
        parts.append('%s (%d row%s with data)' % (what, rows, '' if rows == 1 else 's'))
    return '; '.join(parts)


def db_check(conf):
    pending = migration.pending(conf.database.connection)
    if pending:
        print('Pending migrations: %s. Run "glance-manage db sync".' % ', '.join(pending))
        return PENDING
    print('Database is up to date (revision %s).' % migration.head())
    return 0


def _db_purge(conf, images_table):
    from common import exceptions
    from registry_service import purge
    from registry_service.db import session as db_session

    age, max_rows = conf.command.age_in_days, conf.command.max_rows
    try:
        purge.check_arguments(age, max_rows)
    except exceptions.Invalid as exc:
        print('glance-manage: %s' % exc, file=sys.stderr)
        return INVALID
    if conf.database.max_pool_size is None:
        # One connection does; sizing the pool for the RPC executor would load oslo.messaging.
        conf.set_override('max_pool_size', 1, group='database')
    database = db_session.Database.from_conf(conf)
    try:
        for table, rows in purge.purge(database, age, max_rows, images_table=images_table):
            print('Purged %d row%s from table %s.' % (rows, '' if rows == 1 else 's', table))
    finally:
        database.dispose()
    return 0


def db_purge(conf):
    return _db_purge(conf, images_table=False)


def db_purge_images_table(conf):
    return _db_purge(conf, images_table=True)


# Where upstream's packages install the metadata definitions files.
METADEFS_PATH = '/etc/glance/metadefs/'


def _metadefs_database(conf):
    from registry_service.db import session as db_session

    if conf.database.max_pool_size is None:
        conf.set_override('max_pool_size', 1, group='database')
    return db_session.Database.from_conf(conf)


def db_load_metadefs(conf):
    from common import exceptions
    from registry_service import metadefs_files

    args = conf.command
    database = _metadefs_database(conf)
    try:
        results = metadefs_files.load(database, args.path or METADEFS_PATH, args.merge,
                                      args.prefer_new, args.overwrite)
    except exceptions.GlimpseError as exc:
        print('glance-manage: %s' % exc, file=sys.stderr)
        return INVALID
    finally:
        database.dispose()
    failed = False
    for name, namespace, outcome in results:
        failed = failed or outcome.startswith(('unreadable', 'refused'))
        print('%s: %s (%s)' % (outcome, namespace or '-', name))
    print('Metadata definitions: %d file%s read.' % (len(results),
                                                      '' if len(results) == 1 else 's'))
    return INVALID if failed else 0


def db_unload_metadefs(conf):
    from registry_service import metadefs_files

    database = _metadefs_database(conf)
    try:
        count = metadefs_files.unload(database)
    finally:
        database.dispose()
    print('Removed %d metadata definition namespace%s.' % (count, '' if count == 1 else 's'))


def db_export_metadefs(conf):
    from registry_service import metadefs_files

    database = _metadefs_database(conf)
    try:
        written = metadefs_files.export(database, conf.command.path or METADEFS_PATH)
    finally:
        database.dispose()
    for namespace, name in written:
        print('exported: %s (%s)' % (namespace, name))


def _add_metadefs(actions):
    load = actions.add_parser('load_metadefs', help='Load metadata definitions files (one '
                              'namespace each) into the catalog.')
    load.add_argument('--path', help='A directory of .json files, or one file (default '
                      '%s).' % METADEFS_PATH)
    load.add_argument('--merge', action='store_true',
                      help='Add to namespaces that exist instead of skipping them.')
    load.add_argument('--prefer_new', '--prefer-new', dest='prefer_new', action='store_true',
                      help="With --merge: the files' definitions replace existing ones.")
    load.add_argument('--overwrite', action='store_true',
                      help="With --merge: a namespace that exists is replaced by the file's.")
    load.set_defaults(func=db_load_metadefs)
    unload = actions.add_parser('unload_metadefs', help='Remove the whole metadata '
                                'definitions catalog.')
    unload.set_defaults(func=db_unload_metadefs)
    export = actions.add_parser('export_metadefs', help='Write the catalog as metadata '
                                'definitions files, one per namespace.')
    export.add_argument('--path', help='The directory (default %s).' % METADEFS_PATH)
    export.set_defaults(func=db_export_metadefs)


def _add_purge(actions, name, help_text, age, func):
    parser = actions.add_parser(name, help=help_text)
    parser.add_argument('--age_in_days', '--age-in-days', dest='age_in_days', type=int,
                        default=age,
                        help='Purge images deleted more than this many days ago '
                             '(default %d).' % age)
    parser.add_argument('--max_rows', '--max-rows', dest='max_rows', type=int, default=100,
                        help='At most this many rows per table (default 100; -1: all).')
    parser.set_defaults(func=func)


def _add_sync(actions, name, help_text):
    sync = actions.add_parser(name, help=help_text)
    sync.add_argument('revision', nargs='?', help='Target revision (default: head).')
    sync.set_defaults(func=db_sync)


def _add_db_parsers(subparsers):
    db = subparsers.add_parser('db', help='Image database schema.')
    actions = db.add_subparsers(dest='action', metavar='ACTION')
    actions.required = True
    _add_sync(actions, 'sync', 'Upgrade the schema (to head by default).')
    _add_sync(actions, 'upgrade', 'The same as sync.')
    version = actions.add_parser('version', help="Print the schema's current revision.")
    version.set_defaults(func=db_version)
    downgrade = actions.add_parser(
        'downgrade', help='Downgrade the schema. Refuses when that would drop tables or '
                          'columns holding data, unless --yes-i-know is given.')
    downgrade.add_argument('revision', help='Target revision, e.g. base.')
    downgrade.add_argument('--yes-i-know', dest='yes_i_know', action='store_true',
                           help='Go ahead even though data will be lost.')
    downgrade.set_defaults(func=db_downgrade)
    check = actions.add_parser('check', help='Exit 1 if migrations are pending.')
    check.set_defaults(func=db_check)
    _add_purge(actions, 'purge', 'Remove the properties, tags and members of images '
               'deleted long ago; the image rows stay, so their ids are never reused '
               '(OSSN-0075).', 30, db_purge)
    _add_purge(actions, 'purge_images_table', 'Remove the rows of images deleted long ago '
               'too (their ids could then be taken again: OSSN-0075).', 180,
               db_purge_images_table)
    _add_metadefs(actions)
    # Upstream's old spellings, still in install guides.
    _add_sync(subparsers, 'db_sync', 'The same as "db sync".')
    legacy_version = subparsers.add_parser('db_version', help='The same as "db version".')
    legacy_version.set_defaults(func=db_version)


command_opt = cfg.SubCommandOpt('command', title='Commands', handler=_add_db_parsers,
                                help='Available commands')


def main(argv=None):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    logging.register_options(conf)
    # Logs (alembic's progress lines among them) on stderr, results alone on stdout.
    conf.set_default('use_stderr', True)
    conf.register_cli_opt(command_opt)
    try:
        conf(sys.argv[1:] if argv is None else argv, project='glance', prog='glance-manage',
             version=glimpse_version.version_string(),
             default_config_files=cfg.find_config_files(project='glance',
                                                        prog='glance-registry'))
    except cfg.Error as exc:
        print('glance-manage: %s' % exc, file=sys.stderr)
        return 2
    logging.setup(conf, 'glance-manage')
    try:
        return conf.command.func(conf) or 0
    except Exception as exc:
        print('glance-manage: %s' % exc, file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
