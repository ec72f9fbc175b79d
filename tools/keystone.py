#!/usr/bin/env python3
"""A real Keystone for tests and the tempest runner, installed in a venv of its own.

    tools/keystone.py ensure-venv [--venv DIR]
    tools/keystone.py up --state-dir DIR [--image-url URL] [--port PORT] [--daemonize]
    tools/keystone.py down --state-dir DIR

``up`` installs Keystone into ``.keystone-venv`` when needed (never into the project's venv:
its dependency pins are not ours), prepares DIR (keystone.conf on SQLite, fernet keys,
``keystone-manage bootstrap``), serves it with gunicorn on a free loopback port, creates the
projects, users and the image endpoint the tests use, prints a JSON description of all that,
and then runs until SIGINT/SIGTERM, or returns at once with ``--daemonize`` (stop it with
``down``). Only the standard library is used here, so any Python 3 can run this file; the
test fixture imports it (tests/keystone_fixture.py).

Expired tokens: a second, small Keystone server shares the database and the fernet keys but
issues tokens that live SHORT_TOKEN_SECONDS. A test asks it for a token (``short_auth_url``),
waits that long, and has a genuinely expired token that the main server refuses.
"""

import argparse
import contextlib
import grp
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_VENV = pathlib.Path(os.environ.get('GLIMPSE_KEYSTONE_VENV', ROOT / '.keystone-venv'))
REQUIREMENTS = ('keystone==30.0.0', 'gunicorn')

HOST = '127.0.0.1'
REGION = 'RegionOne'
DOMAIN_ID = 'default'
DOMAIN_NAME = 'Default'
SHORT_TOKEN_SECONDS = 2
# How long a Keystone worker keeps what it cached (tokens, the catalog) in its memory.
CACHE_SECONDS = 5
# Long enough for a whole tempest run on one token.
TOKEN_SECONDS = 4 * 3600
START_TIMEOUT_SECONDS = 90
STOP_GRACE_SECONDS = 10
HTTP_TIMEOUT = 30

# Who exists after populate(): name -> (project, role). Passwords are derived from the names:
# this Keystone lives on loopback for the length of a test session.
ADMIN = 'admin'
SERVICE_PROJECT = 'service'
GLANCE_USER = 'glance'
ORDINARY_PROJECTS = ('project-a', 'project-b')
USERS = {
    GLANCE_USER: (SERVICE_PROJECT, ('admin', 'service')),
    'member-a': ('project-a', ('member',)),
    'reader-a': ('project-a', ('reader',)),
    'member-b': ('project-b', ('member',)),
    'reader-b': ('project-b', ('reader',)),
}

# The app gunicorn loads. keystone's loader parses sys.argv as its own command line, so
# gunicorn's arguments would make every worker exit with status 2.
WSGI_MODULE = 'glimpse_keystone_wsgi'
WSGI_SOURCE = '''\
"""Written by tools/keystone.py: keystone's public WSGI app, without gunicorn's argv."""
import sys

import sqlalchemy
from sqlalchemy import event

del sys.argv[1:]


# oslo.db opens SQLite transactions with a deferred BEGIN. A reader that later writes while
# another connection holds the write lock gets "database is locked" AT ONCE (the busy
# timeout does not apply to that upgrade). BEGIN IMMEDIATE takes the write lock up front,
# so concurrent requests wait for each other instead. Class-level listeners run before
# oslo.db's per-engine one, which then sees the transaction already open.
@event.listens_for(sqlalchemy.engine.Engine, 'begin')
def _begin_immediate(conn):
    if conn.dialect.name == 'sqlite' and 'in_transaction' not in conn.info:
        conn.exec_driver_sql('BEGIN IMMEDIATE')
        conn.info['in_transaction'] = True


from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
'''


class KeystoneInstallError(RuntimeError):
    """Keystone's venv could not be made (pip failed, no network to the index, ...)."""


def password_of(user):
    return f'{user}-secret'


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- the venv ----------------------------------------------------------------------------------

def _base_python():
    """An interpreter to create the venv with: $PYTHON, python3.11, or this one."""
    return os.environ.get('PYTHON') or shutil.which('python3.11') or sys.executable


def ensure_venv(venv=DEFAULT_VENV, log=print):
    """Create VENV with Keystone and gunicorn unless its stamp says it is done; returns VENV."""
    venv = pathlib.Path(venv)
    stamp = venv / '.glimpse-keystone'
    want = ' '.join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == want and (venv / 'bin' / 'keystone-manage').exists():
        return venv
    started = time.monotonic()
    log(f'Installing {want} into {venv}')
    steps = []
    if not (venv / 'bin' / 'python').exists():
        steps.append([_base_python(), '-m', 'venv', str(venv)])
    steps.append([str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '-q', *REQUIREMENTS])
    for argv in steps:
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KeystoneInstallError(f'{" ".join(argv)}: {exc}') from exc
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()
            raise KeystoneInstallError(
                f'{" ".join(argv)} exited with {result.returncode}:\n' + '\n'.join(output[-20:]))
    stamp.write_text(want)
    log(f'Keystone venv ready in {time.monotonic() - started:.0f}s')
    return venv


# -- a tiny JSON client for keystone's API ------------------------------------------------------

class ApiError(RuntimeError):
    def __init__(self, method, url, status, body):
        super().__init__(f'{method} {url} -> {status}: {body[:500]}')
        self.status = status


def call(method, url, token=None, body=None, expect=(200, 201, 204)):
    """One request; returns (headers, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header('Accept', 'application/json')
    if data is not None:
        request.add_header('Content-Type', 'application/json')
    if token:
        request.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, exc.headers, exc.read()
    if status not in expect:
        raise ApiError(method, url, status, raw.decode(errors='replace'))
    return headers, (json.loads(raw) if raw else None)


def password_auth_body(user, password, project=None, domain=DOMAIN_NAME):
    identity = {'methods': ['password'], 'password': {
        'user': {'name': user, 'password': password, 'domain': {'name': domain}}}}
    body = {'auth': {'identity': identity}}
    if project:
        body['auth']['scope'] = {'project': {'name': project, 'domain': {'name': domain}}}
    return body


def authtoken_options(info):
    """glance-api's [keystone_authtoken] for this Keystone, as an operator writes it: the
    glance service user validates the callers' tokens."""
    glance = info['users'][info['service_user']]
    return {
        'www_authenticate_uri': info['auth_url'],
        'auth_url': info['auth_url'],
        'auth_type': 'password',
        'project_name': info['service_project'],
        'username': glance['name'],
        'password': glance['password'],
        'user_domain_name': info['user_domain_name'],
        'project_domain_name': info['project_domain_name'],
        'service_token_roles_required': 'false',
    }


def issue_token(auth_url, user, password, project=None):
    """(token, token body) for a user, scoped to PROJECT when given."""
    headers, body = call('POST', f'{auth_url}/auth/tokens',
                         body=password_auth_body(user, password, project), expect=(201,))
    return headers['X-Subject-Token'], body['token']


# -- the Keystone -----------------------------------------------------------------------------

class Keystone:
    """One Keystone in STATE_DIR: prepare() once, start(), populate(), stop()."""

    def __init__(self, state_dir, venv=DEFAULT_VENV, port=None, short_port=None, workers=2):
        self.state_dir = pathlib.Path(state_dir).resolve()
        self.venv = pathlib.Path(venv)
        self.port = port or free_port()
        self.short_port = short_port or free_port()
        self.workers = workers
        self.auth_url = f'http://{HOST}:{self.port}/v3'
        self.short_auth_url = f'http://{HOST}:{self.short_port}/v3'
        self.admin_password = password_of(ADMIN)
        self.info = None
        self._procs = {}

    # paths
    @property
    def conf_path(self):
        return self.state_dir / 'keystone.conf'

    @property
    def db_path(self):
        return self.state_dir / 'keystone.sqlite'

    def _bin(self, name):
        return str(self.venv / 'bin' / name)

    # -- preparing the state directory ------------------------------------------------------

    def write_conf(self):
        fernet = self.state_dir / 'fernet-keys'
        credential = self.state_dir / 'credential-keys'
        for path in (fernet, credential):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # ?timeout: pysqlite's busy timeout. Two gunicorn servers with several workers write
        # one file; without it (and WAL, set in prepare()) concurrent logins fail with
        # "database is locked".
        self.conf_path.write_text(f'''\
# Written by tools/keystone.py for tests; not for production.
[DEFAULT]
log_file = {self.state_dir / 'keystone.log'}
use_stderr = false
debug = false

[database]
connection = sqlite:///{self.db_path}?timeout=30

[token]
provider = fernet
expiration = {TOKEN_SECONDS}

[fernet_tokens]
key_repository = {fernet}

[credential]
key_repository = {credential}

[identity]
# bcrypt's cheapest setting: logins stay fast, which is all tests need.
password_hash_rounds = 4

[cache]
# Validating a token costs ~200 SQLite queries (0.3 s) without a cache. Each worker caches
# in its own memory, so another worker may see a change late: keep that window short.
enabled = true
backend = dogpile.cache.memory
expiration_time = {CACHE_SECONDS}
''')
        # Read after keystone.conf by the short-token server only.
        (self.state_dir / 'short-token.conf').write_text(
            f'[token]\nexpiration = {SHORT_TOKEN_SECONDS}\n')
        (self.state_dir / f'{WSGI_MODULE}.py').write_text(WSGI_SOURCE)

    def _manage(self, *args):
        return subprocess.Popen(
            [self._bin('keystone-manage'), '--config-file', str(self.conf_path), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.state_dir)

    @staticmethod
    def _finish(*procs):
        for proc in procs:
            output = proc.communicate(timeout=300)[0]
            if proc.returncode != 0:
                raise RuntimeError(f'{" ".join(proc.args[3:5])} failed ({proc.returncode}):\n'
                                   f'{output}')

    def prepare(self):
        """Configuration, schema, keys and the bootstrap admin; once per state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.write_conf()
        # The key repositories belong to whoever runs the servers: us. Keys and schema are
        # independent, so the three commands run side by side (each one is ~2 s of imports).
        owner = ('--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name)
        self._finish(self._manage('db_sync'), self._manage('fernet_setup', *owner),
                     self._manage('credential_setup', *owner))
        # WAL is a property of the database file: set once, every later connection has it.
        with contextlib.closing(sqlite3.connect(self.db_path)) as db:
            db.execute('PRAGMA journal_mode=WAL')
        self._finish(self._manage(
            'bootstrap', '--bootstrap-password', self.admin_password,
            '--bootstrap-username', ADMIN, '--bootstrap-project-name', ADMIN,
            '--bootstrap-role-name', 'admin', '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', REGION,
            '--bootstrap-admin-url', self.auth_url,
            '--bootstrap-internal-url', self.auth_url,
            '--bootstrap-public-url', self.auth_url))

    # -- serving -----------------------------------------------------------------------------

    def _serve(self, name, port, config_files, workers):
        stdio = open(self.state_dir / f'{name}.stdio', 'ab')
        env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=str(self.state_dir),
                   OS_KEYSTONE_CONFIG_FILES=';'.join(config_files))
        argv = [self._bin('gunicorn'), '--bind', f'{HOST}:{port}',
                '--workers', str(workers), '--worker-class', 'gthread', '--threads', '4',
                '--timeout', '120', '--graceful-timeout', '5',
                '--chdir', str(self.state_dir), '--pythonpath', str(self.state_dir),
                '--pid', str(self.state_dir / f'{name}.gunicorn.pid'),
                f'{WSGI_MODULE}:application']
        with stdio:
            proc = subprocess.Popen(argv, env=env, cwd=self.state_dir, stdout=stdio,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        (self.state_dir / f'{name}.pid').write_text(str(proc.pid))
        self._procs[name] = proc
        return proc

    def start(self, timeout=START_TIMEOUT_SECONDS):
        self._serve('keystone', self.port, ['keystone.conf'], self.workers)
        self._serve('keystone-short', self.short_port,
                    ['keystone.conf', 'short-token.conf'], 1)
        try:
            for name, url in (('keystone', self.auth_url), ('keystone-short', self.short_auth_url)):
                self._wait_ready(name, url, timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self, name, url, timeout):
        deadline = time.monotonic() + timeout
        while True:
            proc = self._procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f'{name} exited with {proc.returncode}:\n{self.logs(name)}')
            with contextlib.suppress(OSError, ApiError):
                call('GET', url, expect=(200,))
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f'{name} not answering on {url} after {timeout}s:\n'
                                   + self.logs(name))
            time.sleep(0.2)

    def logs(self, name='keystone', lines=40):
        parts = []
        for path in (self.state_dir / f'{name}.stdio', self.state_dir / 'keystone.log'):
            if path.exists():
                tail = path.read_text(errors='replace').splitlines()[-lines:]
                parts.append(f'----- {path.name} -----\n' + '\n'.join(tail))
        return '\n'.join(parts)

    def stop(self):
        stop_state_dir(self.state_dir, self._procs)
        self._procs = {}

    # -- users, projects, endpoints ------------------------------------------------------------

    def admin_token(self):
        return issue_token(self.auth_url, ADMIN, self.admin_password, ADMIN)[0]

    def _find(self, token, collection, **query):
        params = urllib.parse.urlencode(query)
        _, body = call('GET', f'{self.auth_url}/{collection}?{params}', token)
        return body[collection]

    def _ensure(self, token, collection, singular, body, **query):
        """The id of the one object matching QUERY, created from BODY when missing."""
        found = self._find(token, collection, **query)
        if found:
            return found[0]['id']
        _, created = call('POST', f'{self.auth_url}/{collection}', token, {singular: body})
        return created[singular]['id']

    def populate(self, image_url):
        """Projects, users, roles and the image endpoint; idempotent. Returns the description."""
        token = self.admin_token()
        roles = {name: self._ensure(token, 'roles', 'role', {'name': name}, name=name)
                 for name in ('admin', 'member', 'reader', 'service')}
        projects = {ADMIN: self._find(token, 'projects', name=ADMIN)[0]['id']}
        for name in (SERVICE_PROJECT, *ORDINARY_PROJECTS):
            projects[name] = self._ensure(
                token, 'projects', 'project',
                {'name': name, 'domain_id': DOMAIN_ID, 'description': 'glimpse tests'},
                name=name, domain_id=DOMAIN_ID)
        users = {ADMIN: {'name': ADMIN, 'id': self._find(token, 'users', name=ADMIN)[0]['id'],
                         'password': self.admin_password, 'project': ADMIN,
                         'project_id': projects[ADMIN], 'roles': ['admin']}}
        for name, (project, user_roles) in USERS.items():
            user_id = self._ensure(
                token, 'users', 'user',
                {'name': name, 'password': password_of(name), 'domain_id': DOMAIN_ID,
                 'default_project_id': projects[project]},
                name=name, domain_id=DOMAIN_ID)
            for role in user_roles:
                call('PUT', f'{self.auth_url}/projects/{projects[project]}/users/{user_id}'
                            f'/roles/{roles[role]}', token)
            users[name] = {'name': name, 'id': user_id, 'password': password_of(name),
                           'project': project, 'project_id': projects[project],
                           'roles': list(user_roles)}
        self.info = {
            'auth_url': self.auth_url,
            'short_auth_url': self.short_auth_url,
            'short_token_seconds': SHORT_TOKEN_SECONDS,
            'region': REGION,
            'user_domain_name': DOMAIN_NAME,
            'project_domain_name': DOMAIN_NAME,
            'domain_id': DOMAIN_ID,
            'roles': roles,
            'projects': projects,
            'users': users,
            'service_user': GLANCE_USER,
            'service_project': SERVICE_PROJECT,
            'state_dir': str(self.state_dir),
        }
        self.set_image_url(image_url, token)
        (self.state_dir / 'description.json').write_text(json.dumps(self.info, indent=2))
        return self.info

    def set_image_url(self, image_url, token=None):
        """Point the catalog's image service (public, internal, admin) at IMAGE_URL."""
        token = token or self.admin_token()
        service_id = self._ensure(token, 'services', 'service',
                                  {'type': 'image', 'name': 'glance',
                                   'description': 'Glimpse image service'}, type='image')
        changed = False
        for interface in ('public', 'internal', 'admin'):
            existing = self._find(token, 'endpoints', service_id=service_id,
                                  interface=interface)
            endpoint = {'url': image_url, 'interface': interface, 'region_id': REGION,
                        'service_id': service_id}
            if existing:
                if existing[0]['url'] == image_url:
                    continue
                call('PATCH', f'{self.auth_url}/endpoints/{existing[0]["id"]}', token,
                     {'endpoint': endpoint})
                changed = True
            else:
                call('POST', f'{self.auth_url}/endpoints', token, {'endpoint': endpoint})
        if changed:
            # Each Keystone worker caches the catalog in its own memory: until the cache
            # expires, a token issued by another worker still carries the old URL (a glance-api
            # stopped by an earlier test).
            time.sleep(CACHE_SECONDS + 0.5)
        if self.info is not None:
            self.info['image_url'] = image_url
        return image_url


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child of ours that exited but was not reaped yet is a zombie: not alive.
    with contextlib.suppress(OSError):
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
        return stat.rsplit(')', 1)[1].split()[0] != 'Z'
    return True


def stop_state_dir(state_dir, procs=None):
    """SIGTERM the servers recorded in STATE_DIR's pid files, SIGKILL after a grace period.

    Each server runs in its own session, so its process group is exactly gunicorn's master
    and workers.
    """
    state_dir = pathlib.Path(state_dir)
    procs = dict(procs or {})
    pids = {}
    for pid_file in state_dir.glob('*.pid'):
        if pid_file.name.endswith('.gunicorn.pid'):
            continue
        with contextlib.suppress(ValueError, OSError):
            pids[pid_file.stem] = int(pid_file.read_text().strip())
    for name, proc in procs.items():
        pids[name] = proc.pid
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, pid in pids.items():
        proc = procs.get(name)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            if proc is None and not _alive(pid):
                break
            time.sleep(0.1)
        # Anything left in the group (a worker that outlived its master) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        with contextlib.suppress(FileNotFoundError):
            (state_dir / f'{name}.pid').unlink()


def up(state_dir, image_url, venv=DEFAULT_VENV, port=None, log=print):
    """Everything from the venv to the populated Keystone; returns the running Keystone."""
    ensure_venv(venv, log=log)
    keystone = Keystone(state_dir, venv=venv, port=port)
    started = time.monotonic()
    keystone.prepare()
    keystone.start()
    try:
        keystone.populate(image_url)
    except Exception:
        keystone.stop()
        raise
    keystone.info['startup_seconds'] = round(time.monotonic() - started, 1)
    return keystone


# -- command line -------------------------------------------------------------------------------

def _stderr(message):
    print(message, file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    venv_cmd = sub.add_parser('ensure-venv', help="create or update Keystone's venv")
    venv_cmd.add_argument('--venv', type=pathlib.Path, default=DEFAULT_VENV)
    up_cmd = sub.add_parser('up', help='prepare, start and populate a Keystone')
    up_cmd.add_argument('--state-dir', type=pathlib.Path, required=True)
    up_cmd.add_argument('--image-url', default='http://127.0.0.1:9292',
                        help='URL of the image endpoints in the catalog')
    up_cmd.add_argument('--port', type=int, help='default: a free loopback port')
    up_cmd.add_argument('--venv', type=pathlib.Path, default=DEFAULT_VENV)
    up_cmd.add_argument('--daemonize', action='store_true',
                        help='return once Keystone is up; stop it later with "down"')
    down_cmd = sub.add_parser('down', help='stop the Keystone of a state directory')
    down_cmd.add_argument('--state-dir', type=pathlib.Path, required=True)
    args = parser.parse_args(argv)

    if args.command == 'ensure-venv':
        try:
            ensure_venv(args.venv, log=_stderr)
        except KeystoneInstallError as exc:
            _stderr(str(exc))
            return 1
        return 0
    if args.command == 'down':
        stop_state_dir(args.state_dir)
        return 0

    if (args.state_dir / 'keystone.sqlite').exists():
        _stderr(f'{args.state_dir} already holds a Keystone; use "down" and a fresh directory')
        return 1
    try:
        keystone = up(args.state_dir, args.image_url, args.venv, args.port, log=_stderr)
    except KeystoneInstallError as exc:
        _stderr(str(exc))
        return 1
    print(json.dumps(keystone.info, indent=2), flush=True)
    if args.daemonize:
        return 0
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        signal.pause()
    keystone.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
