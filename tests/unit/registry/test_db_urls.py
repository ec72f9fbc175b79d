"""[database] connection as install guides write it: plain schemes mapped to installed
drivers, a missing driver named with its scheme and extra."""

import builtins
import logging

import pytest

from registry_service.db import urls


@pytest.fixture
def without_modules(monkeypatch):
    """Make the given top-level modules fail to import, as if not installed."""
    hidden = set()
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.partition('.')[0] in hidden:
            raise ImportError("No module named '%s'" % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', fake_import)
    monkeypatch.setattr(urls, '_announced', set())
    return hidden.update


def test_plain_mysql_maps_to_pymysql_when_mysqldb_is_missing(without_modules, caplog):
    without_modules({'MySQLdb'})
    with caplog.at_level(logging.INFO, logger=urls.__name__):
        first = urls.resolve('mysql://glance:secret@db.example.org/glance')
        urls.resolve('mysql://glance:secret@db.example.org/other')
    assert first.drivername == 'mysql+pymysql'
    assert first.password == 'secret' and first.database == 'glance'
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and 'mysql://' in said[0] and 'pymysql' in said[0]
    assert 'secret' not in said[0]


def test_plain_postgresql_maps_to_psycopg2_when_psycopg_is_missing(without_modules):
    without_modules({'psycopg'})
    assert urls.resolve('postgresql://glance@db/glance').drivername == 'postgresql+psycopg2'


def test_plain_postgresql_keeps_psycopg_when_installed(without_modules):
    pytest.importorskip('psycopg')
    assert urls.resolve('postgresql://glance@db/glance').drivername == 'postgresql'


def test_postgres_scheme_of_old_guides_is_postgresql(without_modules):
    without_modules({'psycopg'})
    assert urls.resolve('postgres://glance@db/glance').drivername == 'postgresql+psycopg2'


@pytest.mark.parametrize('url', ['mysql+pymysql://g@db/glance',
                                 'postgresql+psycopg2://g@db/glance', 'sqlite:///glance.sqlite'])
def test_explicit_drivers_are_kept(url):
    assert urls.resolve(url).drivername == url.partition(':')[0]


def test_no_mysql_driver_names_scheme_and_extra(without_modules):
    without_modules({'MySQLdb', 'pymysql'})
    with pytest.raises(urls.MissingDriver) as caught:
        urls.resolve('mysql://glance:secret@db/glance')
    message = str(caught.value)
    assert 'mysql://' in message and "glimpse[mysql]" in message
    assert 'secret' not in message


def test_missing_explicit_driver_names_scheme_and_extra(without_modules):
    without_modules({'psycopg2'})
    with pytest.raises(urls.MissingDriver) as caught:
        urls.resolve('postgresql+psycopg2://glance@db/glance')
    assert 'postgresql+psycopg2://' in str(caught.value)
    assert 'glimpse[postgresql]' in str(caught.value)


@pytest.mark.parametrize('url', ['not a url', 'nosuchdb://x/y'])
def test_bad_urls(url):
    with pytest.raises(urls.BadUrl):
        urls.resolve(url)
