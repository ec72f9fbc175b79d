"""The services a side-by-side benchmark starts and stops: Glimpse, upstream Glance and the
bound's receivers (bound.py), each in its own directory under ``.state/bench/`` (ignored by
git), each on a free loopback port, each in its own process group.

Glimpse runs as ``tools/glimpse-up`` runs it (glance-registry + glance-api over RabbitMQ,
noauth, SQLite, one file store, 2 gunicorn gthread workers), with a topic of its own so it
never answers a developer's running Glimpse. Upstream Glance is the ``glance`` release from
PyPI in its own venv, served by uWSGI with the settings of upstream's
doc/source/admin/apache-httpd.rst (http-chunked-input and the rest), installed once and
reused while the version asked for is the one installed.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.path.join(ROOT, '.state', 'bench')
VENV_BIN = os.path.join(os.environ.get('GLIMPSE_VENV', os.path.join(ROOT, '.venv')), 'bin')
TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
UPSTREAM_VERSION = '33.0.0'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fresh_dir(*parts):
    path = os.path.join(STATE, *parts)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


class Process:
    """One daemon in a session of its own, its output in ``log``; stop() ends its group."""

    def __init__(self, name, argv, log, env=None, cwd=None):
        self.name, self.log = name, log
        with open(log, 'ab') as out:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          env=dict(os.environ, **(env or {})), cwd=cwd)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=20):
        if not self.alive():
            return
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait()

    def tail(self, lines=30):
        with open(self.log, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])


def wait_http(url, processes, seconds=120):
    """Until ``url`` answers 200; fails at once with the log's end if a process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in processes:
            if not proc.alive():
                raise RuntimeError(f'{proc.name} exited; the end of its log:\n{proc.tail()}')
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f'{url} did not answer in {seconds} s')


class Service:
    """A started service: its URL, the processes to stop, the pids whose RSS counts."""

    def __init__(self, name, url, processes, rss_pids):
        self.name, self.url, self.processes, self.rss_pids = name, url, processes, rss_pids

    def stop(self):
        for proc in reversed(self.processes):
            proc.stop()


def run(argv, log, env=None):
    with open(log, 'ab') as out:
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, stdout=out,
                       stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))


def start_glimpse(workers=2):
    state = fresh_dir('glimpse')
    port = free_port()
    topic = 'glimpse_bench_' + uuid.uuid4().hex[:12]
    registry_conf = os.path.join(state, 'glance-registry.conf')
    api_conf = os.path.join(state, 'glance-api.conf')
    with open(registry_conf, 'w') as f:
        f.write(f'[DEFAULT]\ntransport_url = {TRANSPORT_URL}\n'
                f'log_file = {state}/glance-registry.log\nuse_stderr = false\n\n'
                f'[registry]\ntopic = {topic}\n\n'
                f'[database]\nconnection = sqlite:///{state}/glance.sqlite\n')
    with open(api_conf, 'w') as f:
        f.write(f'[DEFAULT]\ntransport_url = {TRANSPORT_URL}\nbind_host = 127.0.0.1\n'
                f'bind_port = {port}\nworkers = {workers}\nauth_strategy = noauth\n'
                f'log_file = {state}/glance-api.log\nuse_stderr = false\n\n'
                f'[registry]\ntopic = {topic}\n\n'
                f'[glance_store]\nfilesystem_store_datadir = {state}/images\n')
    os.makedirs(os.path.join(state, 'images'))
    run([os.path.join(VENV_BIN, 'glance-manage'), '--config-file', registry_conf, 'db', 'sync'],
        os.path.join(state, 'manage.log'))
    registry = Process('glance-registry', [os.path.join(VENV_BIN, 'glance-registry'),
                                           '--config-file', registry_conf],
                       os.path.join(state, 'glance-registry.stdio'))
    api = Process('glance-api', [os.path.join(VENV_BIN, 'glance-api'), '--config-file', api_conf],
                  os.path.join(state, 'glance-api.stdio'))
    service = Service('glimpse', f'http://127.0.0.1:{port}', [registry, api],
                      {'api': api.pid, 'registry': registry.pid})
    try:
        # A listing goes through the registry: the api alone answering is not enough.
        wait_http(service.url + '/v2/images?limit=1', [registry, api])
    except Exception:
        service.stop()
        raise
    return service


def upstream_venv():
    return os.path.join(STATE, 'upstream', 'venv')


def ensure_upstream(version=UPSTREAM_VERSION, say=print):
    """The ``glance`` release and uWSGI in their own venv, installed only when missing."""
    venv = upstream_venv()
    stamp = os.path.join(venv, '.bench-install')
    want = f'glance=={version} uwsgi'
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == want:
                return venv
    say(f'Installing upstream Glance {version} and uWSGI into {os.path.relpath(venv, ROOT)} '
        '(once; a few minutes)')
    if not os.path.exists(os.path.join(venv, 'bin', 'python')):
        subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
    log = os.path.join(os.path.dirname(venv), 'install.log')
    run([os.path.join(venv, 'bin', 'pip'), 'install', '-q', f'glance=={version}', 'uwsgi'], log)
    with open(stamp, 'w') as f:
        f.write(want)
    return venv


# Upstream's sample uWSGI configuration (doc/source/admin/apache-httpd.rst and
# httpd/glance-api-uwsgi.ini), less ``plugins = python``: the uWSGI that pip builds has Python
# built in. ``processes`` is the benchmark's worker count, the same as Glimpse's.
UWSGI_SETTINGS = """[uwsgi]
socket-timeout = 10
http-auto-chunked = true
http-chunked-input = true
http-raw-body = true
chmod-socket = 666
lazy-apps = true
add-header = Connection: close
buffer-size = 65535
thunder-lock = true
enable-threads = true
exit-on-reload = true
die-on-term = true
master = true
processes = {processes}
http-socket = 127.0.0.1:{port}
module = glance.wsgi.api:application
"""


def start_upstream(version=UPSTREAM_VERSION, processes=2, say=print):
    venv = ensure_upstream(version, say)
    state = fresh_dir('upstream', 'run')
    port = free_port()
    with open(os.path.join(venv, 'etc', 'glance', 'glance-api-paste.ini')) as f:
        paste = f.read()
    # Upstream's own noauth pipeline (unauthenticated-context) gives an admin context with no
    # project, which the default policies (enforce_new_defaults) answer 403 for listing. This
    # flavor is its keystone pipeline less authtoken: ``context`` builds the request's
    # context from the identity headers the benchmark sends (X-Identity-Status: Confirmed,
    # X-Project-Id, X-Roles), so upstream checks policy for a project member as Glimpse's
    # noauth does, and no token is validated on either side.
    keystone = ('\nkeystone = cors http_proxy_to_wsgi versionnegotiation osprofiler authtoken '
                'context')
    if keystone not in paste:
        raise RuntimeError('upstream glance-api-paste.ini has no keystone pipeline to copy')
    paste = paste.replace(keystone, '\nbench = cors http_proxy_to_wsgi versionnegotiation '
                          'osprofiler context rootapp' + keystone, 1)
    paste += ('\n[composite:glance-api-bench]\npaste.composite_factory = '
              'glance.api:root_app_factory\n/: api\n/healthcheck: healthcheck\n')
    with open(os.path.join(state, 'glance-api-paste.ini'), 'w') as f:
        f.write(paste)
    os.makedirs(os.path.join(state, 'images'))
    os.makedirs(os.path.join(state, 'staging'))
    # noauth: no [paste_deploy] flavor, so the default pipeline with its unauthenticated
    # context; SQLite; the file store only.
    with open(os.path.join(state, 'glance-api.conf'), 'w') as f:
        f.write(f'[DEFAULT]\nlog_file = {state}/glance-api.log\nuse_stderr = false\n'
                f'worker_self_reference_url = http://127.0.0.1:{port}\n\n'
                f'[database]\nconnection = sqlite:///{state}/glance.sqlite\n\n'
                f'[glance_store]\nstores = file\ndefault_store = file\n'
                f'filesystem_store_datadir = {state}/images\n\n'
                f'[os_glance_staging_store]\nfilesystem_store_datadir = {state}/staging\n\n'
                f'[paste_deploy]\nflavor = bench\n')
    with open(os.path.join(state, 'glance-api-uwsgi.ini'), 'w') as f:
        f.write(UWSGI_SETTINGS.format(processes=processes, port=port))
    env = {'OS_GLANCE_CONFIG_DIR': state}
    run([os.path.join(venv, 'bin', 'glance-manage'), '--config-file',
         os.path.join(state, 'glance-api.conf'), 'db_sync'], os.path.join(state, 'manage.log'))
    uwsgi = Process('uwsgi glance-api', [os.path.join(venv, 'bin', 'uwsgi'), '--ini',
                                         os.path.join(state, 'glance-api-uwsgi.ini')],
                    os.path.join(state, 'uwsgi.log'), env=env, cwd=state)
    service = Service('upstream', f'http://127.0.0.1:{port}', [uwsgi], {'api': uwsgi.pid})
    try:
        wait_http(service.url + '/healthcheck', [uwsgi])
    except Exception:
        service.stop()
        raise
    return service


def start_bound():
    """The two bound services of bound.py: the data receiver (upload and download), and the
    thin metadata chain (gunicorn -> one oslo.messaging call -> one indexed SQLite statement
    and commit)."""
    state = fresh_dir('bound')
    here = os.path.dirname(os.path.abspath(__file__))
    python = os.path.join(VENV_BIN, 'python')
    receiver_port, thin_port = free_port(), free_port()
    topic = 'bench_thin_' + uuid.uuid4().hex[:12]
    env = {'BENCH_THIN_TOPIC': topic, 'BENCH_THIN_TRANSPORT_URL': TRANSPORT_URL,
           'BENCH_THIN_DB': os.path.join(state, 'thin.sqlite')}
    receiver = Process('bound receiver', [python, os.path.join(here, 'bound.py'), 'receiver',
                                          '--port', str(receiver_port), '--dir',
                                          os.path.join(state, 'files')],
                       os.path.join(state, 'receiver.log'))
    rpc_server = Process('thin rpc server', [python, os.path.join(here, 'bound.py'), 'thin-rpc'],
                         os.path.join(state, 'thin-rpc.log'), env=env)
    # The same gunicorn worker kind and count as glance-api: gthread, 2 workers, 16 threads.
    gunicorn = Process('thin gunicorn', [os.path.join(VENV_BIN, 'gunicorn'), '--pythonpath',
                                         here, '-w', '2', '-k', 'gthread', '--threads', '16',
                                         '-b', f'127.0.0.1:{thin_port}', 'bound:thin_app'],
                       os.path.join(state, 'thin-gunicorn.log'), env=env)
    procs = [receiver, rpc_server, gunicorn]
    service = Service('bound', f'http://127.0.0.1:{receiver_port}', procs,
                      {'receiver': receiver.pid, 'thin_api': gunicorn.pid,
                       'thin_rpc': rpc_server.pid})
    service.thin_url = f'http://127.0.0.1:{thin_port}'
    try:
        wait_http(service.url + '/ping', procs)
        wait_http(service.thin_url + '/v2/images?limit=1', procs)
    except Exception:
        service.stop()
        raise
    return service
