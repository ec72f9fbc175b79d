"""A real Swift on loopback: proxy, account, container and object servers, one replica.

    swift = SwiftServer(directory)                       # tempauth (fernet tokens)
    swift = SwiftServer(directory, keystone=info)        # authtoken + keystoneauth
    swift.start(); ...; swift.stop()

``directory`` receives swift.conf, the rings, the four server configs, the device (a plain
directory: ``mount_check = false``, ``disable_fallocate = true``) and one log per server.
``info`` describes the running cluster: the proxy URL, the auth URL and credentials, and the
storage URL of the test account.

With ``keystone`` (the description ``tools/keystone.py`` prints), the proxy validates tokens
through keystonemiddleware's authtoken as Keystone's service user and keystoneauth grants
operator rights to the ``admin`` and ``member`` roles; ``register_in_keystone()`` adds an
object-store service and endpoint to Keystone's catalog, as a deployment has.

Everything runs from the project's venv (``swift`` 2.38.x is in the ``test`` extra); no
memcached, no system packages (pyeclib's wheel carries liberasurecode).
"""

import base64
import json
import os
import pathlib
import pwd
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tools.backends.common import HOST
from tools.backends.common import BackendError
from tools.backends.common import Processes
from tools.backends.common import free_port
from tools.backends.common import http_status
from tools.backends.common import venv_bin
from tools.backends.common import wait_until

SERVERS = ('account', 'container', 'object')
START_TIMEOUT_SECONDS = 60
# tempauth's account and user: auth v1 user "test:tester", key "testing", account AUTH_test.
TEMPAUTH_ACCOUNT = 'test'
TEMPAUTH_USER = 'tester'
TEMPAUTH_KEY = 'testing'
# Who may write with Keystone: keystoneauth's operator roles.
OPERATOR_ROLES = ('admin', 'member')
# The Keystone user the tests write as (a member of project-a, see tools/keystone.py).
KEYSTONE_USER = 'member-a'
DEVICE = 'd0'
PART_POWER = 8

# Built in a child interpreter: importing swift (and eventlet) into the caller is not wanted.
RING_SCRIPT = '''
import sys
from swift.common.ring import RingBuilder
swift_dir = sys.argv[1]
for arg in sys.argv[2:]:
    name, port = arg.split('=')
    builder = RingBuilder(%(part_power)d, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '%(host)s', 'port': int(port),
                     'device': '%(device)s', 'weight': 100, 'meta': ''})
    builder.rebalance()
    builder.get_ring().save(f'{swift_dir}/{name}.ring.gz')
''' % {'part_power': PART_POWER, 'host': HOST, 'device': DEVICE}

PROXY_FILTERS = {
    'catch_errors': 'catch_errors', 'gatekeeper': 'gatekeeper', 'healthcheck': 'healthcheck',
    'proxy-logging': 'proxy_logging', 'listing_formats': 'listing_formats', 'bulk': 'bulk',
    'tempurl': 'tempurl', 'copy': 'copy', 'slo': 'slo', 'dlo': 'dlo',
    'versioned_writes': 'versioned_writes', 'symlink': 'symlink',
}


def _pipeline(auth):
    return ('catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk tempurl '
            f'{auth} copy slo dlo versioned_writes symlink proxy-logging proxy-server')


class SwiftServer:
    def __init__(self, directory, keystone=None, ports=None, token_life=None):
        """PORTS (name -> port, for 'proxy' and the three servers) keeps the ports of an
        earlier run, as tools/glimpse-backends does; free ones are chosen otherwise.
        TOKEN_LIFE (seconds, tempauth only) shortens the life of tempauth's tokens."""
        self.dir = pathlib.Path(directory).resolve()
        self.keystone = keystone
        self.token_life = token_life
        self.ports = {name: (ports or {}).get(name) or free_port()
                      for name in ('proxy', *SERVERS)}
        self.proxy_url = f'http://{HOST}:{self.ports["proxy"]}'
        self.processes = Processes()
        self.info = None
        self.startup_seconds = None

    # -- configuration -----------------------------------------------------------------------

    def _default_section(self, name):
        return (f'[DEFAULT]\nbind_ip = {HOST}\nbind_port = {self.ports[name]}\nworkers = 0\n'
                f'user = {pwd.getpwuid(os.getuid()).pw_name}\nswift_dir = {self.dir}\n'
                f'devices = {self.dir / "devices"}\nmount_check = false\n'
                f'disable_fallocate = true\nlog_name = {name}-server\nlog_level = INFO\n'
                # A single device: never take it out of service after one error.
                'error_suppression_interval = 0\n\n')

    def write_config(self):
        (self.dir / 'devices' / DEVICE).mkdir(parents=True, exist_ok=True)
        (self.dir / 'swift.conf').write_text(
            '[swift-hash]\nswift_hash_path_prefix = glimpse\nswift_hash_path_suffix = tests\n\n'
            '[storage-policy:0]\nname = Policy-0\ndefault = yes\n\n[swift-constraints]\n')
        for name in SERVERS:
            (self.dir / f'{name}-server.conf').write_text(
                self._default_section(name)
                + f'[pipeline:main]\npipeline = healthcheck {name}-server\n\n'
                f'[app:{name}-server]\nuse = egg:swift#{name}\n\n'
                '[filter:healthcheck]\nuse = egg:swift#healthcheck\n')
        filters = ''.join(f'[filter:{name}]\nuse = egg:swift#{egg}\n\n'
                          for name, egg in PROXY_FILTERS.items())
        if self.keystone:
            auth = 'authtoken keystoneauth'
            ks = self.keystone
            service = ks['users'][ks['service_user']]
            filters += (
                '[filter:authtoken]\n'
                'paste.filter_factory = keystonemiddleware.auth_token:filter_factory\n'
                f'www_authenticate_uri = {ks["auth_url"]}\nauth_url = {ks["auth_url"]}\n'
                f'auth_type = password\nproject_name = {ks["service_project"]}\n'
                f'username = {service["name"]}\npassword = {service["password"]}\n'
                f'user_domain_name = {ks["user_domain_name"]}\n'
                f'project_domain_name = {ks["project_domain_name"]}\n'
                # tempurl and anonymous reads of public containers pass on to keystoneauth.
                'delay_auth_decision = true\nservice_token_roles_required = false\n\n'
                '[filter:keystoneauth]\nuse = egg:swift#keystoneauth\n'
                f'operator_roles = {", ".join(OPERATOR_ROLES)}\n\n')
        else:
            auth = 'tempauth'
            # Without memcached tempauth can only keep tokens as fernet tokens.
            key = base64.urlsafe_b64encode(os.urandom(32)).decode()
            filters += (
                '[filter:tempauth]\nuse = egg:swift#tempauth\n'
                f'user_{TEMPAUTH_ACCOUNT}_{TEMPAUTH_USER} = {TEMPAUTH_KEY} .admin\n'
                f'fernet_key_1 = {key}\nactive_fernet_key_id = 1\n'
                + (f'token_life = {self.token_life}\n' if self.token_life else '') + '\n')
        (self.dir / 'proxy-server.conf').write_text(
            self._default_section('proxy')
            + f'[pipeline:main]\npipeline = {_pipeline(auth)}\n\n'
            '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n'
            'allow_account_management = true\nerror_suppression_interval = 0\n\n'
            + filters)

    def build_rings(self):
        result = subprocess.run(
            [sys.executable, '-c', RING_SCRIPT, str(self.dir),
             *(f'{name}={self.ports[name]}' for name in SERVERS)],
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise BackendError(f'building the rings failed:\n{result.stderr[-2000:]}')

    # -- life cycle ----------------------------------------------------------------------------

    def start(self, timeout=START_TIMEOUT_SECONDS):
        started = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self.build_rings()
        try:
            for name in (*SERVERS, 'proxy'):
                self.processes.start(
                    name, [venv_bin(f'swift-{name}-server'), str(self.dir / f'{name}-server.conf'),
                           '-v'], self.dir / f'{name}-server.log')
            for name in (*SERVERS, 'proxy'):
                url = f'http://{HOST}:{self.ports[name]}/healthcheck'
                wait_until(lambda url=url: http_status(url) == 200, f'swift {name} server',
                           self.processes, timeout)
            self.info = self._describe()
            # The whole path (proxy -> account server) with a real token.
            wait_until(self._account_answers, 'the Swift account', self.processes, timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = round(time.monotonic() - started, 1)
        self.info['startup_seconds'] = self.startup_seconds
        return self.info

    def stop(self):
        self.processes.stop()

    def pids(self):
        return self.processes.pids()

    # -- description -----------------------------------------------------------------------------

    def _describe(self):
        info = {'proxy_url': self.proxy_url, 'ports': dict(self.ports), 'dir': str(self.dir),
                'logs': {name: str(path) for name, path in self.processes.logs.items()}}
        if self.keystone:
            ks = self.keystone
            user = ks['users'][KEYSTONE_USER]
            info.update({
                'auth': 'keystone',
                'auth_url': ks['auth_url'],
                'auth_version': '3',
                'user': user['name'],
                'key': user['password'],
                'project': user['project'],
                'project_id': user['project_id'],
                'user_domain_name': ks['user_domain_name'],
                'project_domain_name': ks['project_domain_name'],
                'operator_roles': list(OPERATOR_ROLES),
                'storage_url': f'{self.proxy_url}/v1/AUTH_{user["project_id"]}',
                'endpoint_template': f'{self.proxy_url}/v1/AUTH_%(project_id)s',
            })
        else:
            info.update({
                'auth': 'tempauth',
                'auth_url': f'{self.proxy_url}/auth/v1.0',
                'auth_version': '1',
                'user': f'{TEMPAUTH_ACCOUNT}:{TEMPAUTH_USER}',
                'key': TEMPAUTH_KEY,
                'storage_url': f'{self.proxy_url}/v1/AUTH_{TEMPAUTH_ACCOUNT}',
            })
        return info

    def token(self):
        """A fresh token for the test user: (token, storage URL)."""
        if self.keystone:
            ks, info = self.keystone, self.info
            body = {'auth': {
                'identity': {'methods': ['password'], 'password': {'user': {
                    'name': info['user'], 'password': info['key'],
                    'domain': {'name': ks['user_domain_name']}}}},
                'scope': {'project': {'id': info['project_id']}}}}
            request = urllib.request.Request(
                f'{ks["auth_url"]}/auth/tokens', data=json.dumps(body).encode(),
                headers={'Content-Type': 'application/json'}, method='POST')
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.headers['X-Subject-Token'], self.info['storage_url']
        request = urllib.request.Request(self.info['auth_url'], headers={
            'X-Auth-User': self.info['user'], 'X-Auth-Key': self.info['key']})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers['X-Auth-Token'], response.headers['X-Storage-Url']

    def _account_answers(self):
        try:
            token, storage_url = self.token()
        except (OSError, urllib.error.HTTPError):
            return False
        return http_status(storage_url, 'HEAD', {'X-Auth-Token': token}) in (200, 204)


def register_in_keystone(swift_info, keystone_info, region=None):
    """Add (or repoint) the object-store service and its endpoints in Keystone's catalog."""
    ks = keystone_info
    admin = ks['users']['admin']

    def call(method, path, body=None, token=None):
        request = urllib.request.Request(
            f'{ks["auth_url"]}{path}', method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={'Content-Type': 'application/json', **({'X-Auth-Token': token}
                                                             if token else {})})
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.headers, (json.loads(raw) if raw else None)

    headers, _ = call('POST', '/auth/tokens', {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': admin['name'], 'password': admin['password'],
            'domain': {'name': ks['user_domain_name']}}}},
        'scope': {'project': {'id': admin['project_id']}}}})
    token = headers['X-Subject-Token']
    _, found = call('GET', '/services?type=object-store', token=token)
    if found['services']:
        service_id = found['services'][0]['id']
    else:
        _, made = call('POST', '/services', {'service': {
            'type': 'object-store', 'name': 'swift', 'description': 'Swift for tests'}},
            token=token)
        service_id = made['service']['id']
    for interface in ('public', 'internal', 'admin'):
        endpoint = {'url': swift_info['endpoint_template'], 'interface': interface,
                    'region_id': region or ks.get('region', 'RegionOne'),
                    'service_id': service_id}
        _, existing = call('GET', f'/endpoints?service_id={service_id}&interface={interface}',
                           token=token)
        if existing['endpoints']:
            call('PATCH', f'/endpoints/{existing["endpoints"][0]["id"]}',
                 {'endpoint': endpoint}, token=token)
        else:
            call('POST', '/endpoints', {'endpoint': endpoint}, token=token)
