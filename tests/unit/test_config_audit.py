"""The start-up audit of config files: one warning per option a daemon will not honour,
none for what it or its libraries read, and tables that shrink as features land."""

import fnmatch

import pytest
from oslo_config import cfg

from api_service import config as api_config
from api_service import config_audit as api_audit
from common import config as common_config
from common import config_audit
from registry_service import config as registry_config
from registry_service import config_audit as registry_audit


def _own_options(*list_opts_functions):
    own = set()
    for list_opts in list_opts_functions:
        for group, opts in list_opts():
            own.update((group or 'DEFAULT', opt.name) for opt in opts)
    return own


@pytest.mark.parametrize('table, own', [
    (api_audit.NOT_IMPLEMENTED, _own_options(common_config.list_opts, api_config.list_opts)),
    (registry_audit.NOT_IMPLEMENTED, _own_options(common_config.list_opts,
                                                  registry_config.list_opts)),
], ids=['glance-api', 'glance-registry'])
def test_no_table_entry_names_an_option_glimpse_implements(table, own):
    # An option that became real (registered by Glimpse) must leave the table.
    real = [(e.group, e.name, name) for e in table for group, name in own
            if group == e.group and fnmatch.fnmatchcase(name, e.name)]
    assert real == []


def _api_conf(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    api_config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-api',
         default_config_files=[])
    return conf


def _registry_conf(tmp_path, text):
    path = tmp_path / 'glance-registry.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    registry_config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-registry',
         default_config_files=[])
    return conf


CLASSIC_API = """
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/
debug = True
log_file = /var/log/glance/api.log
show_image_direct_url = False
delayed_delete = True
scrub_time = 43200
enable_v1_api = False
workres = 4
[database]
connection = mysql://glance:GLANCE_DBPASS@controller/glance
[keystone_authtoken]
auth_uri = http://controller:5000
auth_url = http://controller:5000
memcached_servers = controller:11211
auth_plugin = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = GLANCE_PASS
[paste_deploy]
flavor = keystone
[glance_store]
stores = file,http
default_store = swift
filesystem_store_datadir = /var/lib/glance/images/
[oslo_policy]
policy_file = policy.yaml
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 30
"""


def _by_name(found):
    return {(f.group, f.name): f for f in found}


def test_classic_api_file(tmp_path):
    found = _by_name(api_audit.audit(_api_conf(tmp_path, CLASSIC_API)))
    assert set(found) == {
        ('DEFAULT', 'scrub_time'), ('DEFAULT', 'workres'), ('database', 'connection'),
        ('keystone_authtoken', 'auth_uri')}
    assert 'did you mean workers?' in found['DEFAULT', 'workres'].message
    assert not found['DEFAULT', 'workres'].not_implemented
    # delayed_delete is glance-api's own; the scrubber's options belong in its file.
    assert found['DEFAULT', 'scrub_time'].not_implemented
    assert 'glance-scrubber.conf' in found['DEFAULT', 'scrub_time'].message
    # [glance_store] stores and default_store are real options now: a driver Glimpse does
    # not have stops glance-api at start (tests/unit/stores/test_catalog.py).
    assert not any('GLANCE_DBPASS' in f.message or 'GLANCE_PASS' in f.message
                   for f in found.values())


def test_values_glimpse_honours_anyway_are_not_reported(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\ndelayed_delete = false\nenable_v1_api = False\n'
                               'show_image_direct_url = False\n[glance_store]\n'
                               'stores = file\ndefault_store = file\n'
                               '[oslo_messaging_notifications]\ndriver = noop\n')
    assert api_audit.audit(conf) == []


def test_keystone_plugin_options_are_not_judged_without_a_plugin(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\nauth_strategy = keystone\n'
                               '[keystone_authtoken]\nusername = glance\npassword = x\n'
                               'www_authenticate_uri = http://keystone:5000\n')
    assert api_audit.audit(conf) == []


def test_keystone_typo_is_reported_when_the_plugin_is_known(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\nauth_strategy = keystone\n'
                               '[keystone_authtoken]\nauth_type = password\n'
                               'username = glance\nusernme = glance\n')
    found = _by_name(api_audit.audit(conf))
    assert set(found) == {('keystone_authtoken', 'usernme')}
    assert 'did you mean username?' in found['keystone_authtoken', 'usernme'].message


def test_option_in_the_wrong_section_names_the_right_one(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\nfilesystem_store_datadir = /srv/images\n')
    [finding] = api_audit.audit(conf)
    assert 'it is an option of [glance_store]' in finding.message


def test_classic_registry_file(tmp_path):
    conf = _registry_conf(tmp_path, """
[DEFAULT]
bind_host = 0.0.0.0
bind_port = 9191
transport_url = rabbit://guest:guest@127.0.0.1:5672/
executor_thread_pool_size = 32
[database]
connection = mysql://glance:GLANCE_DBPASS@controller/glance
max_pool_size = 10
[keystone_authtoken]
auth_url = http://controller:5000
password = GLANCE_PASS
[paste_deploy]
flavor = keystone
[oslo_messaging_notifications]
driver = messagingv2
""")
    found = _by_name(registry_audit.audit(conf))
    assert set(found) == {
        ('DEFAULT', 'bind_host'), ('DEFAULT', 'bind_port'), ('keystone_authtoken', 'auth_url'),
        ('keystone_authtoken', 'password'), ('paste_deploy', 'flavor'),
        ('oslo_messaging_notifications', 'driver')}
    assert all(f.not_implemented for f in found.values())
    assert not any('GLANCE_PASS' in f.message for f in found.values())


def test_one_warning_per_option_in_the_log(tmp_path, caplog):
    conf = _api_conf(tmp_path, '[DEFAULT]\nscrub_pool_size = 4\nimage_cache_sqlite_db = c.db\n')
    with caplog.at_level('WARNING'):
        api_audit.audit(conf)
    messages = [r.getMessage() for r in caplog.records if r.levelname == 'WARNING']
    assert len(messages) == 2
    assert any('scrub_pool_size' in m for m in messages)
    assert any('image_cache_sqlite_db' in m for m in messages)


def test_an_unreadable_file_does_not_stop_the_daemon(tmp_path, monkeypatch):
    conf = _api_conf(tmp_path, '[DEFAULT]\n')
    monkeypatch.setattr(config_audit, 'read_files',
                        lambda files: (_ for _ in ()).throw(OSError('gone')))
    assert config_audit.audit(conf, api_audit.NOT_IMPLEMENTED) == []


def test_options_kept_for_old_files_but_ignored_are_reported(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\nregistry_host = 10.0.0.1\nregistry_port = 9191\n')
    found = _by_name(api_audit.audit(conf))
    assert set(found) == {('DEFAULT', 'registry_host'), ('DEFAULT', 'registry_port')}
    assert 'ignored' in found['DEFAULT', 'registry_host'].message
    assert 'AMQP' in found['DEFAULT', 'registry_host'].message


def test_keystone_section_under_noauth_is_reported(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\nauth_strategy = noauth\n[keystone_authtoken]\n'
                               'auth_type = password\nusername = glance\n')
    found = _by_name(api_audit.audit(conf))
    assert set(found) == {('keystone_authtoken', 'auth_type'),
                          ('keystone_authtoken', 'username')}
    assert all('noauth' in f.message for f in found.values())


def test_notification_options_are_not_reported_by_the_api(tmp_path):
    conf = _api_conf(tmp_path, '[DEFAULT]\ndefault_publisher_id = image.host1\n'
                               'disabled_notifications = image.send,task\n'
                               'notification_driver = messaging\n'
                               '[oslo_messaging_notifications]\ndriver = messagingv2\n'
                               'topics = notifications\n'
                               'transport_url = rabbit://guest:guest@127.0.0.1:5672/\n')
    found = _by_name(api_audit.audit(conf))
    assert set(found) == {('DEFAULT', 'notification_driver')}
    assert '[oslo_messaging_notifications] driver' in \
        found['DEFAULT', 'notification_driver'].message
