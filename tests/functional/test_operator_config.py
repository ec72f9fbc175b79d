"""Config files written the way the classic install guides write them.

Both daemons start on MariaDB and PostgreSQL with the plain URL schemes the guides print,
and every option the daemons will not honour is named in their logs, once each; the
access log has a line per request; a missing database driver stops the registry with the
scheme and the pip extra on stderr.
"""

import re
import subprocess
import uuid

import pytest
import requests

from api_service import config_audit as api_audit
from tests import db_backends
from tests.functional import daemons

# The guides' [keystone_authtoken]: auth_uri and auth_plugin are the old names.
KEYSTONE_AUTHTOKEN = {
    'auth_uri': 'http://controller:5000',
    'auth_url': 'http://controller:5000',
    'memcached_servers': 'controller:11211',
    'auth_plugin': 'password',
    'project_domain_name': 'Default',
    'user_domain_name': 'Default',
    'project_name': 'service',
    'username': 'glance',
    'password': 'GLANCE_PASS',
}
# The guides' memcached_servers needs python-memcached, which glance-api does not install;
# test_memcached_servers_without_its_client covers it. The api's tests go without it.
API_AUTHTOKEN = {k: v for k, v in KEYSTONE_AUTHTOKEN.items() if k != 'memcached_servers'}


def classic_api_options(db_url):
    # The daemons helper also sets auth_strategy (noauth, or keystone with its auth), which
    # wins over the flavor; the tokenless requests below need no running Keystone.
    return {
        'DEFAULT': {'delayed_delete': 'True', 'image_szie_cap': '1000'},
        'database': {'connection': db_url},
        'keystone_authtoken': dict(API_AUTHTOKEN),
        'paste_deploy': {'flavor': 'keystone'},
        'glance_store': {'stores': 'file,http', 'default_store': 'file'},
    }


def classic_registry_options():
    return {
        'DEFAULT': {'bind_host': '0.0.0.0', 'bind_port': '9191'},
        'keystone_authtoken': dict(KEYSTONE_AUTHTOKEN),
        'paste_deploy': {'flavor': 'keystone'},
        'oslo_messaging_notifications': {'driver': 'messagingv2'},
    }


# (section, option) -> what the warning must also say; exactly these, once each.
API_WARNINGS = {
    ('DEFAULT', 'image_szie_cap'): 'did you mean image_size_cap?',
    ('database', 'connection'): 'not implemented',
}
# With keystone, only the name keystonemiddleware dropped; with noauth the whole section.
KEYSTONE_WARNINGS = {('keystone_authtoken', 'auth_uri'): 'www_authenticate_uri'}
NOAUTH_WARNINGS = {('keystone_authtoken', name): 'noauth' for name in API_AUTHTOKEN}
REGISTRY_WARNINGS = {
    ('DEFAULT', 'bind_host'): 'listens on no port',
    ('DEFAULT', 'bind_port'): 'listens on no port',
    ('paste_deploy', 'flavor'): 'not implemented',
    ('oslo_messaging_notifications', 'driver'): 'no notifications',
    **{('keystone_authtoken', name): 'does not authenticate' for name in KEYSTONE_AUTHTOKEN},
}

_FINDING = re.compile(r'WARNING \S+ \[[^]]*\] [\w.-]+\.conf: \[(\w+)\] (\w+)')


def findings(log_text):
    """{(section, option): [log lines]} of the config warnings in a log."""
    found = {}
    for line in log_text.splitlines():
        match = _FINDING.search(line)
        if match:
            found.setdefault(match.groups(), []).append(line)
    return found


def plain_scheme(url):
    return url.split('+', 1)[0] + '://' + url.partition('://')[2]


@pytest.mark.parametrize('backend, keystone', [('mysql', False), ('postgresql', True)],
                         ids=['mysql-noauth', 'postgresql-keystone'])
def test_classic_config_files(backend, keystone, tmp_path):
    daemons.check_rabbitmq()
    with db_backends.temporary_database(backend, str(tmp_path)) as url:
        db_url = plain_scheme(url)
        assert '+' not in db_url.partition('://')[0]
        service = daemons.GlanceService(
            tmp_path / 'service', db_url, name=backend,
            auth=dict(API_AUTHTOKEN) if keystone else None,
            extra_api_options=classic_api_options(db_url),
            extra_registry_options=classic_registry_options())
        # Without a token keystonemiddleware answers 401 before asking any Keystone.
        expected = 401 if keystone else 200
        with service.running():
            request_id = 'req-%s' % uuid.uuid4()
            response = requests.get(service.base_url + '/v2/images',
                                    headers={**daemons.project_headers('operator'),
                                             'X-Openstack-Request-Id': request_id},
                                    timeout=30)
            assert response.status_code == expected
            created = requests.post(service.base_url + '/v2/images', json={'name': 'x'},
                                    headers=daemons.project_headers('operator'), timeout=30)
            assert created.status_code == (401 if keystone else 201)
            checked = subprocess.run(
                [daemons.console_script('glance-status'),
                 '--config-file', str(service.workdir / 'glance-registry-1.conf'),
                 '--api-config-file', str(service.workdir / 'glance-api.conf'),
                 'upgrade', 'check'], capture_output=True, text=True, timeout=120)
            # A downgrade that drops a table, with a registry running: refused, unchanged.
            downgrade = subprocess.run(
                [daemons.console_script('glance-manage'),
                 '--config-file', str(service.workdir / 'glance-registry-1.conf'),
                 'db', 'downgrade', '0001', '--yes-i-know'],
                capture_output=True, text=True, timeout=120)
            assert downgrade.returncode == 3, downgrade.stderr
            assert 'A glance-registry answers' in downgrade.stderr
            listed = requests.get(service.base_url + '/healthcheck', timeout=30)
            assert listed.status_code == 200
            api_log = service.api.log_path.read_text()
            registry_log = service.registries[0].log_path.read_text()
            api_stdio = service.api.log_paths()[1].read_text()
            registry_stdio = service.registries[0].log_paths()[1].read_text()

    # One warning per option, naming it; nothing else in these files goes unsaid.
    api_warnings = {**API_WARNINGS, **(KEYSTONE_WARNINGS if keystone else NOAUTH_WARNINGS)}
    if any(e.matches('DEFAULT', 'delayed_delete') for e in api_audit.NOT_IMPLEMENTED):
        # Until delayed delete lands (then the table drops it and this warning goes).
        api_warnings['DEFAULT', 'delayed_delete'] = 'not implemented'
    api_found = findings(api_log)
    assert set(api_found) == set(api_warnings), api_found
    for key, words in api_warnings.items():
        assert len(api_found[key]) == 1, api_found[key]
        assert words in api_found[key][0]
    registry_found = findings(registry_log)
    assert set(registry_found) == set(REGISTRY_WARNINGS), registry_found
    for key, words in REGISTRY_WARNINGS.items():
        assert len(registry_found[key]) == 1, registry_found[key]
        assert words in registry_found[key][0]
    assert 'GLANCE_PASS' not in api_log + registry_log

    # The access log: the request's line, with its status and request id.
    [access] = [line for line in api_log.splitlines()
                if '"GET /v2/images HTTP/1.1" %d ' % expected in line]
    assert request_id in access
    assert any('"POST /v2/images HTTP/1.1" %d ' % created.status_code in line
               for line in api_log.splitlines())

    # glance-status: schema, RPC and policy pass; the stores check warns about "http".
    assert checked.returncode == 1, checked.stdout + checked.stderr
    table = checked.stdout
    assert table.count('Result: Success') == 3 and table.count('Result: Warning') == 1
    assert 'http' in table

    if backend == 'mysql':
        assert 'mysql:// uses the installed pymysql driver' in registry_log

    # No third-party deprecation noise on the consoles.
    for console in (api_stdio, registry_stdio):
        assert 'Eventlet is deprecated' not in console
        assert 'DeprecationWarning' not in console


def test_missing_driver_stops_the_registry_with_scheme_and_extra(tmp_path):
    hidden = tmp_path / 'hidden'
    hidden.mkdir()
    (hidden / 'pymysql.py').write_text('raise ImportError("PyMySQL hidden by the test")\n')
    (hidden / 'MySQLdb.py').write_text('raise ImportError("MySQLdb hidden by the test")\n')
    conf = daemons.write_conf(tmp_path / 'glance-registry.conf', {
        'DEFAULT': {'transport_url': daemons.TRANSPORT_URL,
                    'log_file': str(tmp_path / 'registry.log'), 'use_stderr': 'False'},
        'database': {'connection': 'mysql://glance:GLANCE_DBPASS@127.0.0.1/glance'},
    })
    result = subprocess.run([daemons.console_script('glance-registry'), '--config-file', conf],
                            capture_output=True, text=True, timeout=60,
                            env={'PYTHONPATH': str(hidden), 'PATH': '/usr/bin:/bin'})
    assert result.returncode != 0
    assert 'mysql://' in result.stderr and 'glimpse[mysql]' in result.stderr, result.stderr
    assert 'GLANCE_DBPASS' not in result.stderr
    assert 'mysql://' in (tmp_path / 'registry.log').read_text()


def test_memcached_servers_without_its_client(tmp_path):
    # Started cleanly and then answered 500 to every request; now it does not start.
    conf = daemons.write_conf(tmp_path / 'glance-api.conf', {
        'DEFAULT': {'log_file': str(tmp_path / 'api.log'), 'use_stderr': 'False',
                    'transport_url': daemons.TRANSPORT_URL},
        'paste_deploy': {'flavor': 'keystone'},
        'keystone_authtoken': dict(KEYSTONE_AUTHTOKEN),
        'glance_store': {'filesystem_store_datadir': str(tmp_path / 'images')},
    })
    result = subprocess.run([daemons.console_script('glance-api'), '--config-file', conf],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'memcached_servers' in result.stderr and 'python-memcached' in result.stderr


def test_api_fatal_configuration_error_reaches_stderr(tmp_path):
    conf = daemons.write_conf(tmp_path / 'glance-api.conf', {
        'DEFAULT': {'log_file': str(tmp_path / 'api.log'), 'use_stderr': 'False'},
        'paste_deploy': {'flavor': 'keystone+nonsense'},
    })
    result = subprocess.run([daemons.console_script('glance-api'), '--config-file', conf],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith('glance-api: ') and 'flavor' in result.stderr


@pytest.mark.parametrize('command', ['glance-api', 'glance-registry', 'glance-manage',
                                     'glance-scrubber'])
def test_version(command):
    result = subprocess.run([daemons.console_script(command), '--version'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert re.search(r'\d+\.\d+', result.stdout + result.stderr)
    assert 'Eventlet is deprecated' not in result.stderr
