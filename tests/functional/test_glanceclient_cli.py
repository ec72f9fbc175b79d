"""python-glanceclient's own `glance` CLI against the running service, as a user types it.

SQLite is enough here: the point is the client's view of the API, not the database.
"""

import hashlib
import os
import re
import subprocess

import pytest

from tests.functional import daemons
from tests.functional import disk_images

ROW = re.compile(r'^\|\s*(?P<key>[^|]*?)\s*\|\s*(?P<value>.*?)\s*\|$')


def _close_stdin():
    os.close(0)


class GlanceCli:
    def __init__(self, service, home):
        self.argv = [daemons.console_script('glance'), '--os-image-url', service.base_url,
                     '--os-auth-token', 'x']
        # A clean environment: no OS_* from the caller, and the schema cache in a tmp HOME.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        self.env['HOME'] = str(home)

    def run(self, *args, check=True):
        # stdin closed, as in cron: an open non-tty stdin would be uploaded as image data.
        result = subprocess.run([*self.argv, *args], env=self.env, capture_output=True,
                                text=True, timeout=60, preexec_fn=_close_stdin)
        if check and result.returncode != 0:
            raise AssertionError(f'glance {" ".join(args)} exited {result.returncode}:\n'
                                 f'{result.stdout}\n{result.stderr}')
        return result

    def table(self, *args):
        """Run a command printing a two-column Property/Value table; return it as a dict."""
        rows = {}
        key = None
        for line in re.split(r'[\r\n]+', self.run(*args).stdout):
            match = ROW.match(line.strip())
            if not match or match['key'] == 'Property':
                continue
            if match['key']:
                key = match['key']
                rows[key] = match['value']
            elif key is not None:
                # A long value (e.g. os_hash_value) wraps onto rows with an empty key.
                rows[key] += match['value']
        return rows


@pytest.fixture
def cli(sqlite_service, tmp_path):
    return GlanceCli(sqlite_service, tmp_path)


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / 'cirros.qcow2'
    path.write_bytes(disk_images.qcow2())
    return path


def test_glance_cli_create_show_list_download_update_delete(cli, image_file, tmp_path):
    data = image_file.read_bytes()

    created = cli.table('image-create', '--name', 'cirros', '--disk-format', 'qcow2',
                        '--container-format', 'bare', '--visibility', 'private',
                        '--file', str(image_file), '--progress')
    image_id = created['id']
    assert created['status'] == 'active'
    assert created['name'] == 'cirros'
    assert created['checksum'] == hashlib.md5(data).hexdigest()
    assert created['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert int(created['size']) == len(data)

    shown = cli.table('image-show', image_id)
    assert shown['id'] == image_id
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert shown['visibility'] == 'private'

    listing = cli.run('image-list').stdout
    assert re.search(rf'\|\s*{image_id}\s*\|\s*cirros\s*\|', listing), listing

    out = tmp_path / 'out.qcow2'
    cli.run('image-download', '--file', str(out), image_id)
    assert out.read_bytes() == data

    updated = cli.table('image-update', '--property', 'hw_qemu_guest_agent=yes', image_id)
    assert updated['hw_qemu_guest_agent'] == 'yes'
    assert cli.table('image-show', image_id)['hw_qemu_guest_agent'] == 'yes'

    cli.run('image-delete', image_id)
    gone = cli.run('image-show', image_id, check=False)
    assert gone.returncode != 0
    assert image_id not in cli.run('image-list').stdout


def test_glance_cli_download_of_an_image_without_data_saves_nothing(cli, tmp_path):
    created = cli.table('image-create', '--name', 'empty', '--disk-format', 'raw',
                        '--container-format', 'bare')
    assert created['status'] == 'queued'

    out = tmp_path / 'nothing'
    result = cli.run('image-download', '--file', str(out), created['id'], check=False)

    # glanceclient reports "Image ... has no data." on the 204 and exits non-zero.
    assert result.returncode != 0
    assert 'no data' in (result.stdout + result.stderr).lower()
    assert not out.exists() or out.read_bytes() == b''
