"""A [keystone_authtoken] that would answer 500 to every request stops glance-api at start."""

import importlib.util

import pytest

from api_service import config
from api_service import exceptions
from api_service.wsgi import app


def _load(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text)
    return config.load(['--config-file', str(path)])


def test_memcached_servers_without_the_client_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None)
    conf = _load(tmp_path, '[DEFAULT]\nauth_strategy = keystone\n[keystone_authtoken]\n'
                           'memcached_servers = controller:11211\n')
    with pytest.raises(exceptions.ConfigurationError, match='python-memcached'):
        app.check_config(conf)


def test_without_memcached_servers_or_under_noauth_nothing_is_needed(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None)
    app.check_config(_load(tmp_path, '[DEFAULT]\nauth_strategy = keystone\n'))
    app.check_config(_load(tmp_path, '[DEFAULT]\nauth_strategy = noauth\n'
                                     '[keystone_authtoken]\nmemcached_servers = c:11211\n'))
