"""glance-status upgrade check: Glimpse's own checks and upstream's exit codes."""

import pytest
from oslo_config import cfg

from api_service import config as api_config
from registry_service import config
from registry_service import status
from registry_service.db import migration


def test_api_options_read_here_match_glance_api():
    ours = {opt.name: opt.default for opt in status.API_STORE_OPTS}
    theirs = {opt.name: opt.default for group, opts in api_config.list_opts()
              if group == 'glance_store' for opt in opts}
    assert ours['filesystem_store_datadir'] == theirs['filesystem_store_datadir']


def _confs(tmp_path, api_text='', url=None):
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('connection', url or 'sqlite:///%s' % (tmp_path / 'g.sqlite'),
                      group='database')
    api_file = tmp_path / 'glance-api.conf'
    api_file.write_text(api_text)
    return conf, status.load_api_conf(str(api_file))


def test_schema(tmp_path):
    conf, api_conf = _confs(tmp_path)
    assert status.check_schema(conf, api_conf).code == status.FAILURE
    migration.upgrade(conf.database.connection)
    assert status.check_schema(conf, api_conf).code == status.SUCCESS


def test_schema_with_a_missing_driver(tmp_path):
    conf, api_conf = _confs(tmp_path, url='mysql+mysqldb://glance@db/glance')
    result = status.check_schema(conf, api_conf)
    assert result.code == status.FAILURE and 'glimpse[mysql]' in result.details


def test_policy_file(tmp_path):
    policy = tmp_path / 'policy.yaml'
    conf, api_conf = _confs(tmp_path, '[oslo_policy]\npolicy_file = %s\n' % policy)
    assert status.check_policy(conf, api_conf).code == status.SUCCESS  # none: defaults
    policy.write_text('"context_is_admin": "role:admin"\n')
    assert status.check_policy(conf, api_conf).code == status.SUCCESS
    policy.write_text('"context_is_admin": [unclosed\n')
    assert status.check_policy(conf, api_conf).code == status.FAILURE


@pytest.mark.parametrize('extra, code', [
    ('', status.SUCCESS),
    ('default_store = file\nstores = file\n', status.SUCCESS),
    ('default_store = swift\n', status.WARNING),
])
def test_stores(tmp_path, extra, code):
    datadir = tmp_path / 'images'
    datadir.mkdir()
    conf, api_conf = _confs(tmp_path, '[glance_store]\nfilesystem_store_datadir = %s\n%s'
                            % (datadir, extra))
    assert status.check_stores(conf, api_conf).code == code


def test_missing_store_directory_fails(tmp_path):
    conf, api_conf = _confs(tmp_path, '[glance_store]\nfilesystem_store_datadir = %s\n'
                            % (tmp_path / 'nowhere'))
    assert status.check_stores(conf, api_conf).code == status.FAILURE


def test_exit_code_is_the_worst_result_and_a_crash_is_a_failure(tmp_path):
    def boom(conf, api_conf):
        raise RuntimeError('boom')

    conf, api_conf = _confs(tmp_path)
    results = status.run_checks(conf, api_conf, checks=(
        ('fine', lambda c, a: status.Result(status.SUCCESS, 'ok')), ('broken', boom)))
    assert [r.code for _, r in results] == [status.SUCCESS, status.FAILURE]
    table = status.render(results)
    assert 'Check: broken' in table and 'Result: Failure' in table and 'boom' in table
