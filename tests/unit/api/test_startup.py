
from api_service import config
from api_service.wsgi import server


def test_list_opts_covers_the_documented_options():
    names = {(group, opt.name) for group, opts in config.list_opts() for opt in opts}
    for expected in [('DEFAULT', 'bind_host'), ('DEFAULT', 'bind_port'),
                     ('DEFAULT', 'workers'), ('DEFAULT', 'threads'),
                     ('DEFAULT', 'auth_strategy'), ('DEFAULT', 'image_size_cap'),
                     ('DEFAULT', 'hashing_algorithm'), ('DEFAULT', 'public_endpoint'),
                     ('glance_store', 'filesystem_store_datadir'),
                     ('glance_store', 'filesystem_store_chunk_size'),
                     ('image_format', 'disk_formats'), ('image_format', 'container_formats')]:
        assert expected in names


def test_config_file_from_environment(tmp_path, monkeypatch):
    path = tmp_path / 'api.conf'
    path.write_text('[DEFAULT]\nbind_port = 19292\n[glance_store]\n'
                    'filesystem_store_datadir = %s\n' % (tmp_path / 'd'))
    monkeypatch.setenv('GLANCE_API_CONFIG_FILE', str(path))
    conf = config.load([])
    assert conf.bind_port == 19292
    assert conf.glance_store.filesystem_store_datadir == str(tmp_path / 'd')


def test_config_dir_from_environment(tmp_path, monkeypatch):
    (tmp_path / 'glance-api.conf').write_text('[DEFAULT]\nworkers = 7\n')
    monkeypatch.delenv('GLANCE_API_CONFIG_FILE', raising=False)
    monkeypatch.setenv('OS_GLANCE_CONFIG_DIR', str(tmp_path))
    assert config.default_config_files() == [str(tmp_path / 'glance-api.conf')]
    monkeypatch.setenv('OS_GLANCE_CONFIG_DIR', str(tmp_path / 'missing'))
    assert config.default_config_files() == []


def test_bind_address_brackets_ipv6():
    assert server.bind_address('0.0.0.0', 9292) == '0.0.0.0:9292'
    assert server.bind_address('::1', 9292) == '[::1]:9292'


def test_malformed_user_storage_quota_stops_glance_api_at_start(tmp_path):
    import pytest

    from api_service import exceptions
    from api_service.wsgi import app

    path = tmp_path / 'api.conf'
    path.write_text('[DEFAULT]\nuser_storage_quota = 10 gigs\n')
    with pytest.raises(exceptions.ConfigurationError, match='user_storage_quota'):
        app.check_config(config.load(['--config-file', str(path)]))


def test_user_storage_quota_accepts_upstream_units(tmp_path):
    from api_service.services import upload

    path = tmp_path / 'api.conf'
    path.write_text('[DEFAULT]\nuser_storage_quota = 10GB\n')
    conf = config.load(['--config-file', str(path)])
    assert upload.storage_quota_bytes(conf.user_storage_quota) == 10 * 1024 ** 3
