"""Tags, actions and flags through python-glanceclient's `glance` CLI and openstacksdk, as a
user drives them (SQLite service)."""

import json

import pytest

from tests.functional import sdk
from tests.functional.test_glanceclient_cli import GlanceCli


@pytest.fixture
def cli(sqlite_service, tmp_path):
    return GlanceCli(sqlite_service, tmp_path)


@pytest.fixture
def conn(sqlite_service):
    connection = sdk.connection(sqlite_service.base_url)
    yield connection
    connection.close()


def _tags(table):
    # The CLI prints tags as a Python-ish list: "['a', 'b']" or "[]".
    return sorted(json.loads(table['tags'].replace("'", '"')))


def _active_image_with_cli(cli, tmp_path, name):
    data = tmp_path / f'{name}.raw'
    data.write_bytes(b'cli image bytes')
    image = cli.table('image-create', '--name', name, '--disk-format', 'raw',
                      '--container-format', 'bare', '--file', str(data))
    assert image['status'] == 'active'
    return image['id']


def test_glance_cli_tag_update_and_delete(cli):
    image_id = cli.table('image-create', '--name', 'tagged')['id']
    cli.run('image-tag-update', image_id, 'red')
    cli.run('image-tag-update', image_id, 'green')
    cli.run('image-tag-update', image_id, 'red')
    assert _tags(cli.table('image-show', image_id)) == ['green', 'red']
    cli.run('image-tag-delete', image_id, 'red')
    assert _tags(cli.table('image-show', image_id)) == ['green']
    failed = cli.run('image-tag-delete', image_id, 'red', check=False)
    assert failed.returncode != 0
    cli.run('image-delete', image_id)


def test_glance_cli_deactivate_and_reactivate(cli, tmp_path):
    image_id = _active_image_with_cli(cli, tmp_path, 'actions')
    cli.run('image-deactivate', image_id)
    assert cli.table('image-show', image_id)['status'] == 'deactivated'
    cli.run('image-reactivate', image_id)
    assert cli.table('image-show', image_id)['status'] == 'active'
    queued = cli.table('image-create', '--name', 'queued')['id']
    refused = cli.run('image-deactivate', queued, check=False)
    assert refused.returncode != 0
    assert "Not allowed to deactivate image in status 'queued'" in refused.stderr
    cli.run('image-delete', image_id)
    cli.run('image-delete', queued)


def test_glance_cli_protected_and_hidden_flags(cli):
    image_id = cli.table('image-create', '--name', 'flags')['id']
    updated = cli.table('image-update', image_id, '--protected', 'True', '--hidden', 'True')
    assert updated['protected'] == 'True'
    assert updated['os_hidden'] == 'True'
    refused = cli.run('image-delete', image_id, check=False)
    assert refused.returncode != 0
    assert cli.table('image-show', image_id)['id'] == image_id
    assert image_id not in cli.run('image-list').stdout
    assert image_id in cli.run('image-list', '--hidden', 'True').stdout
    cli.run('image-update', image_id, '--protected', 'False', '--hidden', 'False')
    assert image_id in cli.run('image-list').stdout
    cli.run('image-delete', image_id)


def test_openstacksdk_tags_and_actions(conn):
    image = conn.image.create_image(name='sdk-actions', data=b'sdk image bytes',
                                    disk_format='raw', container_format='bare',
                                    allow_duplicates=True)
    conn.image.add_tag(image, 'alpha')
    conn.image.add_tag(image, 'beta')
    assert sorted(conn.image.get_image(image.id).tags) == ['alpha', 'beta']
    conn.image.remove_tag(image, 'alpha')
    assert conn.image.get_image(image.id).tags == ['beta']

    conn.image.deactivate_image(image)
    assert conn.image.get_image(image.id).status == 'deactivated'
    conn.image.reactivate_image(image)
    assert conn.image.get_image(image.id).status == 'active'

    queued = conn.image.create_image(name='sdk-queued', allow_duplicates=True)
    # openstacksdk does not raise on an action's error status; the image simply stays.
    conn.image.deactivate_image(queued)
    assert conn.image.get_image(queued.id).status == 'queued'
    conn.image.delete_image(queued)
    conn.image.delete_image(image)
