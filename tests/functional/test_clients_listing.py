"""Listing filters, sorting and paging, and ranged/streamed downloads, through the clients.

python-glanceclient's `glance` CLI and openstacksdk act as the noauth default project; each
test marks its images with a property of its own and filters on it.
"""

import hashlib
import os
import re
import subprocess
import uuid

import pytest

from tests.functional import daemons
from tests.functional import sdk
from tests.functional.http_api import ImagesApi

# The identity api_service gives a noauth caller without identity headers.
NOAUTH_PROJECT = 'noauth-project'
ID_NAME_ROW = re.compile(r'^\|\s*([0-9a-f-]{36})\s*\|\s*(.*?)\s*\|$')
NAMES = ['echo', 'alpha', 'delta', 'bravo', 'charlie']


def _close_stdin():
    os.close(0)


@pytest.fixture
def glance(sqlite_service, tmp_path):
    argv = [daemons.console_script('glance'), '--os-image-url', sqlite_service.base_url,
            '--os-auth-token', 'x']
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['HOME'] = str(tmp_path)

    def run(*args):
        result = subprocess.run([*argv, *args], env=env, capture_output=True, text=True,
                                timeout=60, preexec_fn=_close_stdin)
        assert result.returncode == 0, f'{args}: {result.stdout}\n{result.stderr}'
        return [m.groups() for m in map(ID_NAME_ROW.match, result.stdout.splitlines()) if m]
    return run


@pytest.fixture
def batch(sqlite_service):
    """Five images of the noauth project marked batch=<unique> and tagged all-<unique>;
    the odd ones also tagged odd-<unique>."""
    api = ImagesApi(sqlite_service.base_url, NOAUTH_PROJECT)
    mark = uuid.uuid4().hex
    made = {}
    for i, name in enumerate(NAMES):
        tags = ['all-' + mark] + (['odd-' + mark] if i % 2 else [])
        made[name] = api.create_ok(name=name, batch=mark, tags=tags)['id']
    yield mark, made
    api.session.close()


def test_glance_cli_filters_on_a_property_and_sorts_by_name(glance, batch):
    mark, made = batch

    rows = glance('image-list', '--property-filter', f'batch={mark}', '--sort', 'name:asc')

    assert [name for _, name in rows] == sorted(NAMES)
    assert {image_id for image_id, _ in rows} == set(made.values())
    rows = glance('image-list', '--property-filter', f'batch={mark}', '--sort', 'name:desc')
    assert [name for _, name in rows] == sorted(NAMES, reverse=True)


def test_glance_cli_pages_through_every_image(glance, batch):
    mark, _ = batch

    rows = glance('image-list', '--property-filter', f'batch={mark}', '--page-size', '2',
                  '--sort-key', 'name', '--sort-dir', 'asc')

    assert [name for _, name in rows] == sorted(NAMES)


def test_glance_cli_filters_on_a_tag(glance, batch):
    mark, made = batch

    rows = glance('image-list', '--tag', f'odd-{mark}')

    assert sorted(name for _, name in rows) == sorted([NAMES[1], NAMES[3]])


@pytest.fixture
def conn(sqlite_service):
    connection = sdk.connection(sqlite_service.base_url)
    yield connection
    connection.close()


def test_openstacksdk_lists_with_filters_sorting_and_paging(conn, batch):
    # openstacksdk passes only the query parameters it knows: no extra properties.
    mark, made = batch
    everything = f'all-{mark}'

    listed = list(conn.image.images(tag=everything, sort='name:asc', limit=2))
    assert [i.name for i in listed] == sorted(NAMES)

    listed = list(conn.image.images(tag=f'odd-{mark}', sort_key='name', sort_dir='desc'))
    assert [i.name for i in listed] == sorted([NAMES[1], NAMES[3]], reverse=True)

    listed = list(conn.image.images(tag=everything, name=f'in:{NAMES[0]},{NAMES[2]}'))
    assert sorted(i.name for i in listed) == sorted([NAMES[0], NAMES[2]])

    listed = list(conn.image.images(tag=everything, status='queued', visibility='shared',
                                    owner=NOAUTH_PROJECT,
                                    created_at='gte:2000-01-01T00:00:00Z'))
    assert {i.id for i in listed} == set(made.values())
    assert list(conn.image.images(tag=everything, created_at='lt:2000-01-01T00:00:00Z')) == []


def test_openstacksdk_streamed_download_has_the_same_bytes(conn):
    data = os.urandom(3 * 1024 * 1024 + 11)
    image = conn.image.create_image(
        name='sdk-stream', data=data, disk_format='raw', container_format='bare',
        visibility='private', allow_duplicates=True, validate_checksum=True)
    try:
        resp = conn.image.download_image(image, stream=True)
        try:
            assert resp.status_code == 200
            received = b''.join(resp.iter_content(chunk_size=128 * 1024))
        finally:
            resp.close()
        assert received == data
        assert hashlib.md5(received).hexdigest() == resp.headers['Content-MD5']
    finally:
        conn.image.delete_image(image)
