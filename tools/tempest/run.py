"""The body of tools/run-tempest: Keystone + both Glimpse daemons + tempest.api.image.

Run by the project venv's python (tools/run-tempest makes sure it exists). Steps: the
Keystone and tempest venvs; Keystone (tools/keystone.py); glance-registry.conf and
glance-api.conf in a fresh state directory; ``glance-manage db sync``; the daemons; a qcow2
on a loopback http.server; tempest.conf from tempest.conf.in; ``tempest run``; a summary from
its subunit stream (summarize.py); then everything is stopped.

``--stores multi`` (default) configures glance-api as upstream's reference multi-store setup
for tempest: two file stores of different weights (``cheap`` the default, ``fast``) and a
read-only ``web`` http store, with the staging and tasks stores import uses;
``--stores single`` keeps the classic ``[glance_store] filesystem_store_datadir`` only. The
image-feature flags of tempest.conf (import, locations, http store, store weights) are set
from what the running Glimpse answers (/versions, /v2/info/import), so a feature that is not
served is skipped rather than failed.

``--auth keystone`` (default) runs glance-api with ``auth_strategy = keystone``.
``--auth proxy`` runs it with noauth behind auth_proxy.py (keystonemiddleware in a loopback
proxy), for as long as glance-api cannot validate tokens itself.
"""

import argparse
import contextlib
import functools
import http.server
import importlib.util
import os
import pathlib
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TEMPEST_VENV = pathlib.Path(os.environ.get('GLIMPSE_TEMPEST_VENV', ROOT / '.tempest-venv'))
TEMPEST_REQUIREMENT = 'tempest==47.0.0'
TEMPEST_REGEX = '^tempest.api.image'
TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
START_TIMEOUT_SECONDS = 60


def say(message):
    print(f'[run-tempest] {message}', flush=True)


def load_keystone_tool():
    spec = importlib.util.spec_from_file_location('glimpse_tools_keystone',
                                                  HERE.parent / 'keystone.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def ensure_tempest_venv(venv=TEMPEST_VENV):
    stamp = venv / '.glimpse-tempest'
    if stamp.exists() and stamp.read_text() == TEMPEST_REQUIREMENT:
        return venv
    started = time.monotonic()
    say(f'Installing {TEMPEST_REQUIREMENT} into {venv}')
    if not (venv / 'bin' / 'python').exists():
        subprocess.run([os.environ.get('PYTHON') or sys.executable, '-m', 'venv', str(venv)],
                       check=True)
    subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '-q',
                    TEMPEST_REQUIREMENT], check=True)
    stamp.write_text(TEMPEST_REQUIREMENT)
    say(f'tempest venv ready in {time.monotonic() - started:.0f}s')
    return venv


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_ini(path, sections):
    lines = []
    for section, options in sections.items():
        lines.append(f'[{section}]')
        lines.extend(f'{key} = {value}' for key, value in options.items())
        lines.append('')
    path.write_text('\n'.join(lines))
    return path


def console_script(name):
    return str(pathlib.Path(sys.executable).parent / name)


class Processes:
    """Daemons in their own sessions, stopped together (SIGTERM, then SIGKILL)."""

    def __init__(self, state):
        self.state = state
        self.procs = {}

    def start(self, name, argv, env=None):
        with open(self.state / f'{name}.stdio', 'ab') as stdio:
            self.procs[name] = subprocess.Popen(
                argv, cwd=self.state, stdout=stdio, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        return self.procs[name]

    def check(self):
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.state / f'{name}.stdio').read_text(errors='replace')[-3000:]
                raise RuntimeError(f'{name} exited with {proc.returncode}:\n{tail}')

    def stop(self):
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def serve_directory(directory):
    """A loopback http.server for DIRECTORY in a thread; returns (server, base URL)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_address[1]}'


def make_qcow2(directory):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / 'tiny.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(path), '16M'], check=True)
    return path


def wait_until(check, what, procs, timeout=START_TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        procs.check()
        try:
            if check():
                return
        except (OSError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f'{what} not ready after {timeout}s (last error: {last})')


def http_status(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def remote_api_conf(state, api_conf, api_port):
    """A second glance-api on the same registry and store, with an image cache of its own:
    tempest's "image_remote" node (ImageCachingTest.test_remote_and_self_cache)."""
    text = api_conf.read_text()
    path = state / 'glance-api-remote.conf'
    path.write_text(text.replace('glance-api.log', 'glance-api-remote.log')
                    .replace(str(state / 'image-cache'), str(state / 'image-cache-remote'))
                    .replace(f'bind_port = {api_port_of(text)}', f'bind_port = {api_port}'))
    return path


def api_port_of(conf_text):
    return next(line.split('=', 1)[1].strip() for line in conf_text.splitlines()
                if line.startswith('bind_port'))


def add_remote_image_service(tool, keystone, url):
    """The catalog's "image_remote" service (tempest's alternate_image_endpoint) at URL."""
    token = keystone.admin_token()
    service_id = keystone._ensure(token, 'services', 'service',
                                  {'type': 'image_remote', 'name': 'glance-remote',
                                   'description': 'A second Glimpse api node'},
                                  type='image_remote')
    for interface in ('public', 'internal', 'admin'):
        tool.call('POST', f'{keystone.auth_url}/endpoints', token,
                  {'endpoint': {'url': url, 'interface': interface, 'region_id': tool.REGION,
                                'service_id': service_id}})


# The multi-store layout (--stores multi): backend id -> (driver, weight). Upstream's
# reference for tempest is two file stores and an http store. An image's stores are listed
# highest weight first, and tempest's import waiter compares them with the store ids sorted
# by name: the weights must fall in name order for both StoreWeightTest and the import tests.
MULTI_STORES = {'cheap': ('file', 200), 'fast': ('file', 100), 'web': ('http', 0)}


def store_sections(state, stores):
    """glance-api.conf sections for the stores: (DEFAULT options, other sections)."""
    if stores == 'single':
        return {}, {'glance_store': {'filesystem_store_datadir': state / 'images'}}
    sections = {'glance_store': {'default_backend': 'cheap'},
                # Reserved internal stores: where import stages data and tasks work.
                'os_glance_staging_store': {'filesystem_store_datadir': state / 'staging'},
                'os_glance_tasks_store': {'filesystem_store_datadir': state / 'tasks'}}
    for backend, (driver, weight) in MULTI_STORES.items():
        section = {'store_description': f'{backend} ({driver})', 'weight': weight}
        if driver == 'file':
            section['filesystem_store_datadir'] = state / 'images' / backend
            (state / 'images' / backend).mkdir(parents=True, exist_ok=True)
        sections[backend] = section
    for directory in ('staging', 'tasks'):
        (state / directory).mkdir(exist_ok=True)
    enabled = ', '.join(f'{b}:{d}' for b, (d, _) in MULTI_STORES.items())
    return {'enabled_backends': enabled,
            # The locations tempest manages (ImageLocationsTest) are shown only with this.
            'show_multiple_locations': 'true', 'show_image_direct_url': 'true'}, sections


def glance_configs(state, authtoken, auth, api_port, topic, stores='multi', web_port=None):
    logs = {'use_stderr': 'false', 'transport_url': TRANSPORT_URL}
    registry = write_ini(state / 'glance-registry.conf', {
        'DEFAULT': {**logs, 'log_file': state / 'glance-registry.log'},
        'registry': {'topic': topic},
        'database': {'connection': f'sqlite:///{state / "glance.sqlite"}'},
    })
    (state / 'policy.yaml').write_text('# upstream defaults; add overrides here\n{}\n')
    default_extra, store_conf = store_sections(state, stores)
    api = write_ini(state / 'glance-api.conf', {
        'DEFAULT': {**logs, 'log_file': state / 'glance-api.log', 'bind_host': '127.0.0.1',
                    'bind_port': api_port, 'workers': 2,
                    'auth_strategy': 'keystone' if auth == 'keystone' else 'noauth',
                    # The image cache, for tempest's ImageCachingTest (image_caching_enabled).
                    'image_cache_dir': state / 'image-cache', **default_extra},
        'registry': {'topic': topic},
        **store_conf,
        'keystone_authtoken': authtoken,
        'oslo_policy': {'policy_file': state / 'policy.yaml'},
        # web-download from the loopback server of image_src (a random port), beside
        # upstream's default ports.
        **({'import_filtering_opts': {'allowed_ports': f'[80,443,{web_port}]'}}
           if web_port else {}),
    })
    return registry, api


def json_get(url, token):
    """The JSON document at URL, or None when it does not answer 200."""
    import json

    request = urllib.request.Request(url)
    request.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except (urllib.error.URLError, ValueError):
        return None


def feature_flags(image_url, token, stores):
    """tempest.conf's image-feature flags from what the running Glimpse serves."""
    versions = json_get(f'{image_url}/versions', token) or {}
    served = {v.get('id') for v in versions.get('versions', [])}
    import_info = json_get(f'{image_url}/v2/info/import', token) or {}
    methods = import_info.get('import-methods', {}).get('value', [])
    multi = stores == 'multi'
    flag = lambda value: 'true' if value else 'false'  # noqa: E731
    return {'import_image': flag('glance-direct' in methods),
            'manage_locations': flag(multi and 'v2.17' in served),
            'http_store_enabled': flag(multi),
            'store_weight_enabled': flag(multi)}


def write_tempest_conf(workspace, info, http_image, alternate_image_endpoint='', flags=None):
    admin = info['users']['admin']
    template = string.Template((HERE / 'tempest.conf.in').read_text())
    text = template.substitute(
        admin_username=admin['name'], admin_password=admin['password'],
        admin_project_name=admin['project'], domain_name=info['user_domain_name'],
        auth_url=info['auth_url'], region=info['region'], http_image=http_image,
        alternate_image_endpoint=alternate_image_endpoint,
        **{'import_image': 'false', 'manage_locations': 'false', 'http_store_enabled': 'false',
           'store_weight_enabled': 'false', **(flags or {})})
    path = workspace / 'etc' / 'tempest.conf'
    path.write_text(text)
    return path


def delete_topic_queues(topic, registry_pid):
    """The registry's queues (topic, topic.host.pid) outlive it; nothing else consumes them."""
    import kombu  # oslo.messaging's AMQP library, in the project venv

    with contextlib.suppress(Exception), \
            kombu.Connection('amqp://guest:guest@127.0.0.1:5672//') as conn:
        channel = conn.channel()
        for queue in (topic, f'{topic}.{socket.gethostname()}.{registry_pid}'):
            channel.queue_delete(queue)


def run(args):
    timings = {}
    tool = load_keystone_tool()
    started = time.monotonic()
    tool.ensure_venv(log=say)
    timings['keystone venv'] = time.monotonic() - started
    started = time.monotonic()
    tempest_venv = ensure_tempest_venv()
    timings['tempest venv'] = time.monotonic() - started

    state = pathlib.Path(args.state_dir or tempfile.mkdtemp(prefix='glimpse-tempest-'))
    state.mkdir(parents=True, exist_ok=True)
    (state / 'images').mkdir(exist_ok=True)
    say(f'State, configs and logs in {state}')
    api_port = free_port()
    proxy_port = free_port() if args.auth == 'proxy' else None
    image_url = f'http://127.0.0.1:{proxy_port or api_port}'
    topic = f'glimpse_tempest_{uuid.uuid4().hex[:12]}'

    procs = Processes(state)
    keystone = None
    http_server = None
    try:
        started = time.monotonic()
        keystone = tool.up(state / 'keystone', image_url, log=say)
        info = keystone.info
        timings['keystone start'] = time.monotonic() - started
        say(f'Keystone at {info["auth_url"]} ({timings["keystone start"]:.0f}s)')

        started = time.monotonic()
        # Before glance-api's config, which lets web-download reach its port.
        http_server, http_base = serve_directory(state / 'http')
        registry_conf, api_conf = glance_configs(state, tool.authtoken_options(info), args.auth,
                                                   api_port, topic, args.stores,
                                                   web_port=http_server.server_address[1])
        subprocess.run([console_script('glance-manage'), '--config-file', str(registry_conf),
                        'db', 'sync'], check=True, cwd=state, capture_output=True)
        procs.start('glance-registry',
                    [console_script('glance-registry'), '--config-file', str(registry_conf)])
        procs.start('glance-api', [console_script('glance-api'), '--config-file', str(api_conf)])
        remote_url = ''
        if args.auth == 'keystone':
            # A second api node, for the cache tests that compare two nodes.
            remote_port = free_port()
            procs.start('glance-api-remote', [console_script('glance-api'), '--config-file',
                                              str(remote_api_conf(state, api_conf,
                                                                  remote_port))])
            remote_url = f'http://127.0.0.1:{remote_port}'
            add_remote_image_service(tool, keystone, remote_url)
        if proxy_port:
            procs.start('auth-proxy', [sys.executable, str(HERE / 'auth_proxy.py'),
                                       '--listen', str(proxy_port),
                                       '--upstream', f'http://127.0.0.1:{api_port}',
                                       '--config-file', str(api_conf)])
        member = info['users']['member-a']
        token = tool.issue_token(info['auth_url'], member['name'], member['password'],
                                 member['project'])[0]
        # Through the catalog URL with a real token: auth, api, RPC and registry all answer.
        wait_until(lambda: http_status(f'{image_url}/v2/images?limit=1', token) == 200,
                   f'glance at {image_url}', procs)
        if remote_url:
            wait_until(lambda: http_status(f'{remote_url}/v2/images?limit=1', token) == 200,
                       f'the second glance-api at {remote_url}', procs)
        timings['glance start'] = time.monotonic() - started
        say(f'Glimpse at {image_url} (auth: {args.auth})')

        qcow2 = make_qcow2(state / 'http')
        workspace = state / 'tempest'
        # A workspace registry of our own: ~/.tempest/workspace.yaml stays untouched.
        init = subprocess.run([str(tempest_venv / 'bin' / 'tempest'), 'init',
                               '--workspace-path', str(state / 'tempest-workspaces.yaml'),
                               '--name', topic, str(workspace)],
                              capture_output=True, text=True)
        if init.returncode != 0:
            raise RuntimeError(f'tempest init failed:\n{init.stdout}{init.stderr}')
        flags = feature_flags(image_url, token, args.stores)
        say('Feature flags: ' + ', '.join(f'{k}={v}' for k, v in flags.items()))
        conf = write_tempest_conf(workspace, info, f'{http_base}/{qcow2.name}',
                                  'image_remote' if remote_url else '', flags)
        say(f'Wrote {conf}; running tempest run --regex {args.regex!r} '
            f'--concurrency {args.concurrency}')

        started = time.monotonic()
        with open(state / 'tempest-run.log', 'wb') as log:
            subprocess.run([str(tempest_venv / 'bin' / 'tempest'), 'run', '--regex',
                            args.regex, '--concurrency', str(args.concurrency)],
                           cwd=workspace, stdout=log, stderr=subprocess.STDOUT)
        timings['tempest run'] = time.monotonic() - started
        subunit = subprocess.run([str(tempest_venv / 'bin' / 'stestr'), 'last', '--subunit'],
                                 cwd=workspace, capture_output=True)
        summary = subprocess.run([str(tempest_venv / 'bin' / 'python'),
                                  str(HERE / 'summarize.py')], input=subunit.stdout,
                                 capture_output=True)
        print(summary.stdout.decode(), end='', flush=True)
        if summary.stderr:
            print(summary.stderr.decode(), file=sys.stderr)
        status = summary.returncode
    finally:
        say('Stopping everything')
        if http_server is not None:
            http_server.shutdown()
        procs.stop()
        if 'glance-registry' in procs.procs:
            delete_topic_queues(topic, procs.procs['glance-registry'].pid)
        if keystone is not None:
            keystone.stop()
    say('Timings: ' + ', '.join(f'{k} {v:.0f}s' for k, v in timings.items()))
    say(f'Logs: {state}')
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--auth', choices=['keystone', 'proxy'],
                        default=os.environ.get('GLIMPSE_TEMPEST_AUTH', 'keystone'),
                        help='how glance-api gets identities (default: keystone)')
    parser.add_argument('--stores', choices=['multi', 'single'],
                        default=os.environ.get('GLIMPSE_TEMPEST_STORES', 'multi'),
                        help='two file stores and an http store (default), or one file store')
    parser.add_argument('--regex', default=TEMPEST_REGEX)
    parser.add_argument('--concurrency', type=int, default=2)
    parser.add_argument('--state-dir', help='default: a new temporary directory')
    return run(parser.parse_args())


if __name__ == '__main__':
    sys.exit(main())
