"""Image sharing driven through python-glanceclient's `glance` CLI and openstacksdk, as two
projects would use them.

With auth_strategy = noauth the api reads the project from X-Project-Id. The CLI in token
mode sends no such header, so it talks through tests/functional/identity_proxy.py, which
makes the token the project (as keystonemiddleware would map a token to its project).
openstacksdk sends the header itself through its keystoneauth1 session's
``additional_headers``. SQLite is enough: the point is the clients' view of the API.
"""

import os
import re
import subprocess
import uuid

import pytest

from tests.functional import daemons
from tests.functional import sdk
from tests.functional.identity_proxy import IdentityProxy

ROW = re.compile(r'^\|(?P<cells>.*)\|$')


def new_project():
    return f'project-{uuid.uuid4().hex[:12]}'


def _close_stdin():
    os.close(0)


class GlanceCli:
    """The `glance` console script acting as one project (its token) through the proxy."""

    def __init__(self, base_url, project, home):
        self.project = project
        self.argv = [daemons.console_script('glance'), '--os-image-url', base_url,
                     '--os-auth-token', project]
        # No OS_* from the caller; the schema cache goes into a temporary HOME.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        self.env['HOME'] = str(home)

    def run(self, *args):
        # stdin closed: an open non-tty stdin would be sent as image data.
        result = subprocess.run([*self.argv, *args], env=self.env, capture_output=True,
                                text=True, timeout=60, preexec_fn=_close_stdin)
        assert result.returncode == 0, (f'glance {" ".join(args)} exited '
                                        f'{result.returncode}:\n{result.stdout}\n'
                                        f'{result.stderr}')
        return result.stdout

    def rows(self, *args):
        """Run a command printing a table; return its rows as dicts keyed by the header."""
        lines = [m['cells'] for m in map(ROW.match, self.run(*args).splitlines()) if m]
        header, *body = [[c.strip() for c in line.split('|')] for line in lines]
        return [dict(zip(header, cells, strict=True)) for cells in body]

    def table(self, *args):
        """A Property/Value table as a dict."""
        return {row['Property']: row['Value'] for row in self.rows(*args)}


@pytest.fixture
def proxy(sqlite_service):
    with IdentityProxy(sqlite_service.base_url) as running:
        yield running


@pytest.fixture
def owner_cli(proxy, tmp_path):
    return GlanceCli(proxy.base_url, new_project(), tmp_path / 'owner')


@pytest.fixture
def member_cli(proxy, tmp_path):
    return GlanceCli(proxy.base_url, new_project(), tmp_path / 'member')


def listed_ids(cli, *args):
    return {row['ID'] for row in cli.rows('image-list', *args)}


def test_glance_cli_shares_an_image_and_the_member_answers(owner_cli, member_cli):
    image = owner_cli.table('image-create', '--name', 'shared-by-cli', '--visibility',
                            'shared', '--disk-format', 'raw', '--container-format', 'bare')
    image_id = image['id']
    assert image['owner'] == owner_cli.project

    created = owner_cli.rows('member-create', image_id, member_cli.project)
    assert created == [{'Image ID': image_id, 'Member ID': member_cli.project,
                        'Status': 'pending'}]
    assert owner_cli.rows('member-list', '--image-id', image_id) == created
    assert member_cli.rows('member-list', '--image-id', image_id) == created

    # Pending: the member can read the image but does not list it by default.
    assert member_cli.table('image-show', image_id)['id'] == image_id
    assert image_id not in listed_ids(member_cli)
    assert image_id in listed_ids(member_cli, '--member-status', 'pending')
    assert image_id in listed_ids(member_cli, '--member-status', 'all')

    accepted = member_cli.rows('member-update', image_id, member_cli.project, 'accepted')
    assert accepted[0]['Status'] == 'accepted'
    assert image_id in listed_ids(member_cli)
    assert image_id in listed_ids(member_cli, '--member-status', 'accepted')
    assert image_id not in listed_ids(member_cli, '--member-status', 'pending')

    rejected = member_cli.rows('member-update', image_id, member_cli.project, 'rejected')
    assert rejected[0]['Status'] == 'rejected'
    assert image_id not in listed_ids(member_cli)
    assert image_id in listed_ids(member_cli, '--member-status', 'rejected')
    assert owner_cli.rows('member-list', '--image-id', image_id)[0]['Status'] == 'rejected'

    owner_cli.run('member-delete', image_id, member_cli.project)
    assert owner_cli.rows('member-list', '--image-id', image_id) == []
    assert image_id not in listed_ids(member_cli, '--member-status', 'all')

    owner_cli.run('image-delete', image_id)


# -- openstacksdk ----------------------------------------------------------------------------

@pytest.fixture
def owner_conn(sqlite_service):
    conn = sdk.connection(sqlite_service.base_url, new_project())
    yield conn
    conn.close()


@pytest.fixture
def member_project():
    return new_project()


@pytest.fixture
def member_conn(sqlite_service, member_project):
    conn = sdk.connection(sqlite_service.base_url, member_project)
    yield conn
    conn.close()


def test_openstacksdk_adds_lists_and_updates_members(owner_conn, member_conn,
                                                     member_project):
    image = owner_conn.image.create_image(
        name='shared-by-sdk', disk_format='raw', container_format='bare',
        visibility='shared', allow_duplicates=True)

    added = owner_conn.image.add_member(image, member=member_project)
    assert added.status == 'pending'
    assert added.image_id == image.id

    owner_view = list(owner_conn.image.members(image))
    assert [(m.status, m.image_id) for m in owner_view] == [('pending', image.id)]
    member_view = list(member_conn.image.members(image.id))
    assert [m.status for m in member_view] == ['pending']

    # The member sees the image, but lists it only once it has accepted.
    assert member_conn.image.get_image(image.id).id == image.id
    assert image.id not in {i.id for i in member_conn.image.images()}

    updated = member_conn.image.update_member(member_project, image.id, status='accepted')
    assert updated.status == 'accepted'
    assert image.id in {i.id for i in member_conn.image.images()}
    shown = owner_conn.image.get_member(member_project, image)
    assert shown.status == 'accepted'

    owner_conn.image.remove_member(member_project, image, ignore_missing=False)
    assert list(owner_conn.image.members(image)) == []
    assert image.id not in {i.id for i in member_conn.image.images(member_status='all')}
    owner_conn.image.delete_image(image)
