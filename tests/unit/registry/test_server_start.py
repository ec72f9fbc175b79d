"""glance-registry's start: a database it cannot use stops it with the reason on stderr."""

import logging

import pytest

from common import fatal
from registry_service import server
from registry_service.db import migration


def test_outdated_schema_stops_the_start(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'g.sqlite')
    with pytest.raises(fatal.StartupError, match='glance-manage db sync'):
        server.check_database(url)
    migration.upgrade(url)
    server.check_database(url)


def test_missing_driver_stops_the_start():
    with pytest.raises(fatal.StartupError, match=r'glimpse\[mysql\]'):
        server.check_database('mysql+mysqldb://glance@db.invalid/glance')


def test_main_writes_the_reason_to_stderr_and_exits_1(tmp_path, capsys, monkeypatch):
    conf_file = tmp_path / 'glance-registry.conf'
    conf_file.write_text('[DEFAULT]\nlog_file = %s\n[database]\nconnection = '
                         'mysql+mysqldb://glance@db.invalid/glance\n' % (tmp_path / 'r.log'))
    monkeypatch.setattr(server.cfg, 'CONF', server.cfg.ConfigOpts())
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        assert server.main(['--config-file', str(conf_file)]) == 1
    finally:
        # oslo.log's setup replaced the root logger's handlers: give them back.
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert err.startswith('glance-registry: ') and 'mysql+mysqldb://' in err
    assert 'mysql+mysqldb://' in (tmp_path / 'r.log').read_text()
