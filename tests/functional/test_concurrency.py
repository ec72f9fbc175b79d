"""Concurrent clients: no errors, no lost updates, and races on an image's status have one winner.

The bulk test runs 8 clients x 300 create/get/patch/list/delete cycles on SQLite (the one
backend where the registry's writers queue for one database lock) and then checks the final
state against what the clients were told. The races run on every backend: concurrent PATCHes
and tag additions of one image must all survive, and two uploads of one image, an upload
and a delete, or two deletes must end with one winner and a clean 409/404/410 for the other,
never a 500 nor an image in a status nobody asked for.
"""

import concurrent.futures
import hashlib
import os
import threading
import time

import pytest
import requests

from tests.functional import daemons
from tests.functional.http_api import JSON_PATCH

CLIENTS = 8
CYCLES = 300
# Every KEEP_EVERY-th image of a client survives the bulk test, so its end state has both.
KEEP_EVERY = 10
UPLOAD_BYTES = 4 * 1024 * 1024


def _session(project_id):
    session = requests.Session()
    session.headers.update(daemons.project_headers(project_id))
    return session


def _run_together(*calls):
    """Run the calls in threads released at the same instant; -> their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, call) for call in calls]]


# -- bulk cycles on SQLite ------------------------------------------------------------------

class CycleClient:
    """One client's create/get/patch/list/delete cycles, and what it was told."""

    def __init__(self, base_url, project_id, index):
        self.base_url = base_url
        self.index = index
        self.session = _session(project_id)
        self.errors = []
        self.kept = {}      # image id -> {'name': ..., 'state': ...}, as last acknowledged
        self.deleted = []

    def _call(self, step, expected, method, path, **kwargs):
        resp = self.session.request(method, self.base_url + path, timeout=60, **kwargs)
        if resp.status_code != expected:
            self.errors.append((self.index, step, resp.status_code, resp.text[:300]))
            return None
        return resp

    def cycle(self, serial):
        name = f'client-{self.index}-cycle-{serial}'
        resp = self._call('create', 201, 'POST', '/v2/images', json={
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'cycle': str(serial)})
        if resp is None:
            return
        image_id = resp.json()['id']
        resp = self._call('get', 200, 'GET', f'/v2/images/{image_id}')
        if resp is not None and resp.json()['name'] != name:
            self.errors.append((self.index, 'get', 'wrong name', resp.json()['name']))
        new_name = name + '-patched'
        resp = self._call('patch', 200, 'PATCH', f'/v2/images/{image_id}',
                          json=[{'op': 'replace', 'path': '/name', 'value': new_name},
                                {'op': 'add', 'path': '/state', 'value': f'patched-{serial}'}],
                          headers={'Content-Type': JSON_PATCH})
        if resp is None:
            return
        resp = self._call('list', 200, 'GET', '/v2/images', params={'name': new_name})
        if resp is not None and [i['id'] for i in resp.json()['images']] != [image_id]:
            self.errors.append((self.index, 'list', 'not listed', resp.json()))
        if serial % KEEP_EVERY == 0:
            self.kept[image_id] = {'name': new_name, 'state': f'patched-{serial}'}
            return
        if self._call('delete', 204, 'DELETE', f'/v2/images/{image_id}') is not None:
            self.deleted.append(image_id)

    def run(self, cycles):
        for serial in range(cycles):
            self.cycle(serial)


def _list_all(session, base_url, owner):
    # Only the project's own images: the shared service may hold other tests' public ones.
    images, url = [], base_url + '/v2/images?limit=1000&owner=' + owner
    while url:
        resp = session.get(url, timeout=60)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        images.extend(body['images'])
        url = base_url + body['next'] if body.get('next') else None
    return images


def test_concurrent_clients_cycling_images_get_no_error_and_the_state_they_were_told(
        sqlite_service, project_id):
    clients = [CycleClient(sqlite_service.base_url, project_id, i) for i in range(CLIENTS)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client.run, CYCLES) for client in clients]:
            future.result()
    elapsed = time.monotonic() - started

    errors = [e for client in clients for e in client.errors]
    assert errors == [], f'{len(errors)} errors in {elapsed:.0f}s, first: {errors[:5]}'
    kept = {k: v for client in clients for k, v in client.kept.items()}
    deleted = [d for client in clients for d in client.deleted]
    assert len(kept) == CLIENTS * CYCLES // KEEP_EVERY
    assert len(deleted) == CLIENTS * CYCLES - len(kept)

    with _session(project_id) as session:
        listed = {image['id']: image for image in _list_all(session, sqlite_service.base_url,
                                                              project_id)}
        assert set(listed) == set(kept)
        for image_id, values in kept.items():
            assert {key: listed[image_id].get(key) for key in values} == values

        def status_of(image_id):
            return session.get(f'{sqlite_service.base_url}/v2/images/{image_id}',
                               timeout=60).status_code

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(status_of, deleted))
    assert set(statuses) == {404}


# -- races on one image, on every backend ---------------------------------------------------

def test_concurrent_patches_of_one_image_on_different_keys_lose_no_update(images):
    image = images.create_ok(name='many-writers')
    patches_per_client = 12

    def patch_keys(index):
        failures = []
        with _session(images.project_id) as session:
            for n in range(patches_per_client):
                resp = session.patch(
                    f'{images.base_url}/v2/images/{image["id"]}',
                    json=[{'op': 'add', 'path': f'/client{index}_key{n}', 'value': str(n)}],
                    headers={'Content-Type': JSON_PATCH}, timeout=60)
                if resp.status_code != 200:
                    failures.append((index, n, resp.status_code, resp.text[:200]))
        return failures

    results = _run_together(*[lambda i=i: patch_keys(i) for i in range(CLIENTS)])

    assert [f for failures in results for f in failures] == []
    shown = images.show(image['id']).json()
    expected = {f'client{i}_key{n}': str(n)
                for i in range(CLIENTS) for n in range(patches_per_client)}
    assert {key: shown.get(key) for key in expected} == expected


def test_concurrent_tag_additions_to_one_image_all_survive(images):
    image = images.create_ok(name='many-taggers')
    tags_per_client = 8

    def add_tags(index):
        with _session(images.project_id) as session:
            return [session.put(f'{images.base_url}/v2/images/{image["id"]}/tags/'
                                f'client{index}-tag{n}', timeout=60).status_code
                    for n in range(tags_per_client)]

    results = _run_together(*[lambda i=i: add_tags(i) for i in range(CLIENTS)])

    assert {status for statuses in results for status in statuses} == {204}
    expected = {f'client{i}-tag{n}' for i in range(CLIENTS) for n in range(tags_per_client)}
    assert set(images.show(image['id']).json()['tags']) == expected


def _files_of(service, image_id):
    return sorted(p.name for p in service.datadir.iterdir() if p.name.startswith(image_id))


def _upload(images, image_id, data):
    """PUT on a connection of its own (the racing calls must not share one)."""
    with _session(images.project_id) as session:
        return session.put(f'{images.base_url}/v2/images/{image_id}/file', data=data,
                           headers={'Content-Type': 'application/octet-stream'},
                           timeout=120).status_code


def _delete(images, image_id):
    with _session(images.project_id) as session:
        return session.delete(f'{images.base_url}/v2/images/{image_id}',
                              timeout=60).status_code


@pytest.mark.parametrize('attempt', range(3))
def test_two_uploads_of_one_image_have_one_winner_and_one_409(glance_service, images, attempt):
    image = images.create_ok(name=f'two-uploads-{attempt}')
    first, second = os.urandom(UPLOAD_BYTES), os.urandom(UPLOAD_BYTES)

    statuses = _run_together(lambda: _upload(images, image['id'], first),
                             lambda: _upload(images, image['id'], second))

    assert sorted(statuses) == [204, 409], statuses
    winner = first if statuses[0] == 204 else second
    shown = images.show(image['id']).json()
    assert shown['status'] == 'active'
    assert shown['checksum'] == hashlib.md5(winner).hexdigest()
    assert images.download(image['id']).content == winner
    assert _files_of(glance_service, image['id']) == [image['id']]


@pytest.mark.parametrize('attempt', range(3))
def test_an_upload_racing_a_delete_leaves_the_image_gone_and_no_data(glance_service, images,
                                                                     attempt):
    image = images.create_ok(name=f'upload-vs-delete-{attempt}')
    data = os.urandom(UPLOAD_BYTES)

    upload_status, delete_status = _run_together(
        lambda: _upload(images, image['id'], data),
        # Let the upload start first now and then, so the delete lands while it is saving.
        lambda: (time.sleep(0.02 * attempt), _delete(images, image['id']))[1])

    assert delete_status == 204
    # 204: the upload finished before the delete; 404: the delete came first; 409/410: the
    # delete came while it was saving.
    assert upload_status in (204, 404, 409, 410), upload_status
    assert images.show(image['id']).status_code == 404
    deadline = time.monotonic() + 10
    while _files_of(glance_service, image['id']) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _files_of(glance_service, image['id']) == []


def test_two_deletes_of_one_image_answer_204_and_404(images):
    image = images.create_ok(name='two-deletes')
    statuses = _run_together(lambda: _delete(images, image['id']),
                             lambda: _delete(images, image['id']))
    assert sorted(statuses) == [204, 404], statuses
    assert images.show(image['id']).status_code == 404


def _admin_session(project_id):
    session = _session(project_id)
    session.headers['X-Roles'] = 'admin,member,reader'
    return session


def test_racing_deactivate_and_reactivate_never_fail_and_leave_a_consistent_image(images):
    image = images.create_ok(name='flip-flop')
    data = os.urandom(1024)
    assert images.upload(image['id'], data).status_code == 204
    actions = f'{images.base_url}/v2/images/{image["id"]}/actions/'

    def flip(index):
        action = 'deactivate' if index % 2 else 'reactivate'
        with _admin_session(images.project_id) as session:
            return [session.post(actions + action, timeout=60).status_code for _ in range(10)]

    results = _run_together(*[lambda i=i: flip(i) for i in range(CLIENTS)])

    # Upstream answers 204 to a deactivate of a deactivated image, and so on.
    assert {status for statuses in results for status in statuses} == {204}
    status = images.show(image['id']).json()['status']
    assert status in ('active', 'deactivated')
    download = images.download(image['id'])
    if status == 'active':
        assert download.status_code == 200 and download.content == data
    else:
        assert download.status_code == 403
    # And the image still follows the transition table from where it ended.
    with _admin_session(images.project_id) as admin:
        assert admin.post(actions + 'reactivate', timeout=60).status_code == 204
    assert images.show(image['id']).json()['status'] == 'active'
