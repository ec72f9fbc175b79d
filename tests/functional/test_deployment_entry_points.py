"""The ways operators start the daemons besides the console scripts' defaults.

- ``gunicorn api_service.wsgi:application`` with the config named by GLANCE_API_CONFIG_FILE
  serves the same images as glance-api on the same registry topic;
- ``log_config_append`` hands a daemon's logging to a Python logging config file.
"""

import os
import subprocess
import time

import requests

from tests.functional import daemons
from tests.functional.http_api import ImagesApi


def _wait_for(url, proc, log_path, timeout=daemons.START_TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f'exited with {proc.returncode}:\n'
                                 + log_path.read_text(errors='replace'))
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f'{url} not ready after {timeout}s')


def _stop(proc):
    proc.terminate()
    try:
        return proc.wait(timeout=daemons.STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


def test_plain_gunicorn_serves_the_same_registry_as_glance_api(sqlite_service, tmp_path,
                                                               project_id):
    port = daemons.free_port()
    log_path = tmp_path / 'gunicorn.stdio'
    env = dict(os.environ, GLANCE_API_CONFIG_FILE=sqlite_service.api_conf())
    with open(log_path, 'wb') as stdio:
        proc = subprocess.Popen(
            [daemons.console_script('gunicorn'), 'api_service.wsgi:application',
             '--worker-class', 'gthread', '--threads', '4', '--workers', '1',
             '--bind', f'127.0.0.1:{port}'],
            env=env, cwd=tmp_path, stdout=stdio, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    try:
        gunicorn_url = f'http://127.0.0.1:{port}'
        _wait_for(gunicorn_url + '/versions', proc, log_path)
        via_gunicorn = ImagesApi(gunicorn_url, project_id)
        via_glance_api = ImagesApi(sqlite_service.base_url, project_id)

        created = via_gunicorn.create(name='through-plain-gunicorn', disk_format='raw',
                                      container_format='bare')
        assert created.status_code == 201, created.text
        image_id = created.json()['id']
        uploaded = via_gunicorn.upload(image_id, b'served by plain gunicorn')
        assert uploaded.status_code == 204, uploaded.text

        shown = via_glance_api.show(image_id)
        assert shown.status_code == 200
        assert shown.json()['status'] == 'active'
        assert shown.json()['size'] == len(b'served by plain gunicorn')
        assert via_glance_api.download(image_id).content == b'served by plain gunicorn'
    finally:
        assert _stop(proc) == 0


def test_registry_logs_through_log_config_append(sqlite_service, tmp_path):
    log_file = tmp_path / 'from-logging-config.log'
    logging_conf = tmp_path / 'logging.conf'
    logging_conf.write_text(f"""\
[loggers]
keys = root

[handlers]
keys = file

[formatters]
keys = marked

[logger_root]
level = INFO
handlers = file

[handler_file]
class = FileHandler
args = ({str(log_file)!r},)
formatter = marked

[formatter_marked]
format = LOGGING-CONFIG-APPEND %(levelname)s %(name)s %(message)s
""")
    conf = daemons.write_conf(tmp_path / 'glance-registry.conf', {
        'DEFAULT': {'transport_url': daemons.TRANSPORT_URL,
                    'log_config_append': str(logging_conf)},
        'registry': {'topic': sqlite_service.topic},
        'database': {'connection': sqlite_service.db_url},
    })
    with open(tmp_path / 'registry.stdio', 'wb') as stdio:
        proc = subprocess.Popen([daemons.console_script('glance-registry'), '--config-file', conf],
                                cwd=tmp_path, stdout=stdio, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + daemons.START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            if log_file.exists() and 'serving' in log_file.read_text(errors='replace'):
                break
            time.sleep(0.2)
        lines = log_file.read_text(errors='replace').splitlines() if log_file.exists() else []
        serving = [line for line in lines if 'serving' in line]
        assert serving, f'no "serving" line in the configured log file: {lines[:20]}'
        assert all(line.startswith('LOGGING-CONFIG-APPEND ') for line in serving)
    finally:
        assert _stop(proc) == 0
