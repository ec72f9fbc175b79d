"""glance-status upgrade check: is this deployment ready to serve after an upgrade?

    glance-status [--config-file glance-registry.conf] [--api-config-file glance-api.conf]
                  upgrade check

Upstream's command of the same name runs checks tied to its own releases; these are
Glimpse's:

- Database schema: [database] connection opens, and its revision is the one this
  glance-registry needs (else "glance-manage db sync").
- Registry RPC: the message bus at transport_url answers, and some glance-registry on
  [registry] topic answers a ping.
- Policy file: glance-api's [oslo_policy] policy_file, when there is one, parses.
- Stores: glance-api's filesystem store directory exists and is writable, and the
  [glance_store] options name no store Glimpse does not have.

As with upstream (oslo.upgradecheck), the exit status is 0 when every check succeeded, 1
when the worst result is a warning, 2 for a failure, 255 when a check could not run.
"""

import dataclasses
import os
import sys
import textwrap

from oslo_config import cfg
from oslo_log import log as logging

from common import context as common_context
from common import exceptions
from common import version as glimpse_version
from common.rpc import client as rpc_client
from common.rpc import transport as rpc_transport
from registry_service import config
from registry_service.db import migration
from registry_service.db import urls as db_urls

SUCCESS, WARNING, FAILURE = 0, 1, 2
ERROR = 255
_NAMES = {SUCCESS: 'Success', WARNING: 'Warning', FAILURE: 'Failure'}

# Lines of the details column wrap at this width, as upstream's table does.
DETAILS_WIDTH = 60
# How long the RPC check waits for a registry's answer.
PING_TIMEOUT = 5

# The glance-api options the checks read, from its file. Registry code may not import
# api_service, so they are declared again here with the same names and default
# (tests/unit/registry/test_status.py holds them to api_service.config).
API_STORE_OPTS = [
    cfg.StrOpt('filesystem_store_datadir', default='/var/lib/glance/images/'),
    cfg.StrOpt('default_store'),
    cfg.ListOpt('stores'),
]
FILESYSTEM_STORES = ('file', 'filesystem')


@dataclasses.dataclass
class Result:
    code: int
    details: str = None


def check_schema(conf, api_conf):
    url = conf.database.connection
    try:
        db_urls.resolve(url)
    except (db_urls.MissingDriver, db_urls.BadUrl) as exc:
        return Result(FAILURE, str(exc))
    try:
        current, head = migration.current(url), migration.head()
    except Exception as exc:
        return Result(FAILURE, 'Cannot read the schema revision: %s' % exc)
    if current != head:
        return Result(FAILURE, 'The database is at revision %s, this Glimpse needs %s: run '
                               '"glance-manage db sync".' % (current or 'base', head))
    return Result(SUCCESS, 'The database is at revision %s.' % head)


def check_rpc(conf, api_conf):
    conf.set_override('rpc_timeout', PING_TIMEOUT, group='registry')
    transport = rpc_transport.get_transport(conf)
    client = rpc_client.RegistryClient(conf, transport)
    try:
        client.ping(common_context.RequestContext(is_admin=False))
    except exceptions.MessageBusUnavailable:
        return Result(FAILURE, 'The message bus at transport_url cannot be reached.')
    except exceptions.RegistryUnavailable:
        return Result(WARNING, 'No glance-registry answered on topic %s within %d s: the '
                               'bus is reachable, but start a registry before glance-api '
                               'serves.' % (conf.registry.topic, PING_TIMEOUT))
    finally:
        client.close()
    return Result(SUCCESS, 'A glance-registry answers on topic %s.' % conf.registry.topic)


def check_policy(conf, api_conf):
    from oslo_policy import policy

    name = api_conf.oslo_policy.policy_file
    path = name if os.path.isabs(name) else api_conf.find_file(name)
    if not path or not os.path.exists(path):
        return Result(SUCCESS, 'No policy file (%s): the defaults in code apply.' % name)
    try:
        with open(path) as f:
            rules = policy.parse_file_contents(f.read())
    except Exception as exc:
        return Result(FAILURE, 'The policy file %s does not parse: %s' % (path, exc))
    return Result(SUCCESS, 'The policy file %s parses (%d rules).' % (path, len(rules or {})))


def check_stores(conf, api_conf):
    store = api_conf.glance_store
    problems = []
    named = [s for s in (store.stores or []) + [store.default_store or 'file'] if s]
    others = sorted({s for s in named if s not in FILESYSTEM_STORES})
    if others:
        problems.append('[glance_store] names stores Glimpse does not have (%s); only the '
                        'filesystem store is used' % ', '.join(others))
    datadir = store.filesystem_store_datadir
    if not os.path.isdir(datadir):
        return Result(FAILURE, 'filesystem_store_datadir %s is not a directory.' % datadir)
    if not os.access(datadir, os.W_OK | os.X_OK):
        return Result(FAILURE, 'filesystem_store_datadir %s is not writable by this user; '
                               'run the check as the user glance-api runs as.' % datadir)
    if problems:
        return Result(WARNING, '; '.join(problems) + '.')
    return Result(SUCCESS, 'The filesystem store at %s is writable.' % datadir)


CHECKS = (
    ('Database schema', check_schema),
    ('Registry RPC', check_rpc),
    ('Policy file', check_policy),
    ('Stores', check_stores),
)


def run_checks(conf, api_conf, checks=CHECKS):
    """[(name, Result)]; a check that raises is a failure with its error as details."""
    results = []
    for name, check in checks:
        try:
            result = check(conf, api_conf)
        except Exception as exc:
            result = Result(FAILURE, 'The check could not run: %s' % exc)
        results.append((name, result))
    return results


def render(results):
    rows = [['Upgrade Check Results']]
    for name, result in results:
        rows.append(['Check: %s' % name, 'Result: %s' % _NAMES[result.code]]
                    + textwrap.wrap('Details: %s' % result.details, DETAILS_WIDTH,
                                    subsequent_indent='  '))
    width = max(len(line) for row in rows for line in row) + 2
    rule = '+' + '-' * width + '+'
    out = [rule]
    for row in rows:
        out.extend('| %s |' % line.ljust(width - 2) for line in row)
        out.append(rule)
    return '\n'.join(out)


def _add_parsers(subparsers):
    upgrade = subparsers.add_parser('upgrade', help='Upgrade readiness.')
    actions = upgrade.add_subparsers(dest='action', metavar='ACTION')
    actions.required = True
    actions.add_parser('check', help='Run the upgrade checks.')


command_opt = cfg.SubCommandOpt('category', title='Commands', handler=_add_parsers,
                                help='Available commands')
cli_opts = [
    cfg.StrOpt('api-config-file', dest='api_config_file',
               help='glance-api.conf, for the policy and store checks (default: '
                    'glance-api.conf where oslo.config looks for it, e.g. /etc/glance).'),
]


def load_api_conf(path):
    api_conf = cfg.ConfigOpts()
    api_conf.register_opts(API_STORE_OPTS, group='glance_store')
    from oslo_policy import opts as policy_opts
    for group, opts in policy_opts.list_opts():
        api_conf.register_opts(opts, group=group)
    files = [path] if path else cfg.find_config_files(project='glance', prog='glance-api')
    api_conf([], project='glance', prog='glance-api', default_config_files=files)
    return api_conf


def main(argv=None):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    logging.register_options(conf)
    conf.set_default('use_stderr', True)
    conf.register_cli_opts(cli_opts)
    conf.register_cli_opt(command_opt)
    try:
        conf(sys.argv[1:] if argv is None else argv, project='glance', prog='glance-status',
             version=glimpse_version.version_string(),
             default_config_files=cfg.find_config_files(project='glance',
                                                        prog='glance-registry'))
        api_conf = load_api_conf(conf.api_config_file)
    except cfg.Error as exc:
        print('glance-status: %s' % exc, file=sys.stderr)
        return ERROR
    # The schema check's alembic lines would only clutter the table's terminal.
    logging.set_defaults(default_log_levels=logging.get_default_log_levels()
                         + ['alembic=WARN'])
    logging.setup(conf, 'glance-status')
    try:
        results = run_checks(conf, api_conf)
    except Exception as exc:
        print('glance-status: %s' % exc, file=sys.stderr)
        return ERROR
    print(render(results))
    return max(result.code for _, result in results)


if __name__ == '__main__':
    sys.exit(main())
