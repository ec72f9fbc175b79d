"""The tasks API on the FakeRegistry: who may call it, the task JSON, listing and paging,
the image's tasks (2.12), the schemas, and a legacy import that cannot reach its source.

The import's source here is a closed loopback port (nothing listens): the task fails
without any server; the functional tier imports from a real HTTP server.
"""

import pytest
from oslo_config import cfg

from api_service.http import task_render
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import BOB
from tests.unit.api.conftest import make_conf

WAIT = 10
CLOSED = 'http://127.0.0.1:1/image.qcow2'
TASK_KEYS = {'id', 'input', 'type', 'status', 'owner', 'message', 'result', 'created_at',
             'updated_at', 'self', 'schema', 'request_id', 'user_id'}


@pytest.fixture
def conf(tmp_path):
    conf = make_conf(tmp_path)
    try:
        # Upstream's default filter allows ports 80 and 443 only.
        conf.set_override('allowed_ports', [], group='import_filtering_opts')
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        pass  # a glance-api without the import filters
    return conf


def import_body(uri=CLOSED, **properties):
    return {'type': 'import',
            'input': {'import_from': uri, 'import_from_format': 'qcow2',
                      'image_properties': dict({'name': 'imported', 'disk_format': 'qcow2',
                                                'container_format': 'bare'},
                                               **properties)}}


def finished(app):
    assert app.extensions['glimpse'].tasks.wait_idle(WAIT)


def create_task(client, app, headers=ADMIN, **kwargs):
    response = client.post('/v2/tasks', json=import_body(**kwargs), headers=headers)
    assert response.status_code == 201, response.get_json()
    finished(app)
    return response.get_json()


def test_create_answers_the_pending_task_as_upstream_shows_it(client, app):
    response = client.post('/v2/tasks', json=import_body(), headers=ADMIN)
    assert response.status_code == 201
    task = response.get_json()
    assert set(task) == TASK_KEYS
    assert response.headers['Location'] == '/v2/tasks/%s' % task['id']
    assert (task['type'], task['status'], task['owner']) == ('import', 'pending',
                                                             'admin-project')
    assert task['input'] == import_body()['input']
    assert (task['message'], task['result']) == ('', None)
    assert task['user_id'] == 'admin-user'
    assert task['self'] == '/v2/tasks/%s' % task['id']
    assert task['schema'] == '/v2/schemas/task'
    assert task['created_at'].endswith('Z') and len(task['created_at']) == 20
    finished(app)


def test_an_unreachable_source_fails_the_task_and_leaves_no_image(client, app, registry):
    task = create_task(client, app)
    shown = client.get('/v2/tasks/%s' % task['id'], headers=ADMIN).get_json()
    assert shown['status'] == 'failure'
    assert shown['message'] == ('The image data at %s could not be fetched: cannot connect '
                                'to 127.0.0.1:1' % CLOSED)
    assert shown['result'] is None
    assert shown['expires_at'].endswith('Z')
    # The image the task made is gone again.
    assert 'image_id' in shown
    assert client.get('/v2/images/%s' % shown['image_id'],
                      headers=ADMIN).status_code == 404
    assert client.get('/v2/images', headers=ADMIN).get_json()['images'] == []


def test_bad_image_properties_fail_the_task_with_the_reason(client, app):
    task = create_task(client, app, min_ram=-1)
    shown = client.get('/v2/tasks/%s' % task['id'], headers=ADMIN).get_json()
    assert shown['status'] == 'failure'
    assert shown['message'].startswith('The image could not be created: ')
    assert 'image_id' not in shown


@pytest.mark.parametrize('body, message', [
    ({'input': {}}, "Task 'type' is required"),
    ({'type': 'import'}, "Task 'input' is required"),
    ({'type': 'other', 'input': {}}, "Provided object does not match schema 'task': "),
    ({'type': 'import', 'input': {}, 'colour': 'x'},
     "Provided object does not match schema 'task': "),
    ({'type': 'api_image_import', 'input': {'image_id': 'x'}},
     'Task type api_image_import cannot be created through the tasks API'),
    ({'type': 'import', 'input': {'import_from': 'file:///etc/passwd'}},
     'File based imports are not allowed.'),
    ({'type': 'import', 'input': {'import_from': 'ftp://example.com/x'}},
     'The given uri is not valid.'),
    ({'type': 'import', 'input': {}}, 'Invalid location: None'),
    ([], 'Body expected in request.'),
])
def test_create_refuses_bad_bodies(client, body, message):
    response = client.post('/v2/tasks', json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()['error']['message'].startswith(message)


def test_the_tasks_api_is_for_admins_by_default(client, app):
    task = create_task(client, app)
    for method, path in (('post', '/v2/tasks'), ('get', '/v2/tasks'),
                         ('get', '/v2/tasks/%s' % task['id']),
                         ('delete', '/v2/tasks/%s' % task['id'])):
        response = getattr(client, method)(path, json=import_body() if method == 'post'
                                           else None, headers=ALICE)
        assert response.status_code == 403, (method, path)
        assert 'tasks_api_access' in response.get_json()['error']['message']


def test_delete_is_405_with_allow_get(client, app):
    task = create_task(client, app)
    response = client.delete('/v2/tasks/%s' % task['id'], headers=ADMIN)
    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET'
    assert 'expires_at' in response.get_json()['error']['message']


def test_an_unknown_task_is_404(client):
    assert client.get('/v2/tasks/00000000-0000-4000-8000-000000000000',
                      headers=ADMIN).status_code == 404


def test_list_pages_with_first_and_next_links(client, app):
    ids = [create_task(client, app)['id'] for _ in range(3)]
    page = client.get('/v2/tasks?limit=2&sort_dir=asc', headers=ADMIN).get_json()
    assert [t['id'] for t in page['tasks']] == ids[:2]
    assert set(page['tasks'][0]) == {'id', 'type', 'status', 'owner', 'created_at',
                                     'updated_at', 'self', 'schema', 'expires_at'}
    assert page['schema'] == '/v2/schemas/tasks'
    assert page['first'] == '/v2/tasks?limit=2&sort_dir=asc'
    assert page['next'] == '/v2/tasks?limit=2&sort_dir=asc&marker=%s' % ids[1]
    rest = client.get(page['next'], headers=ADMIN).get_json()
    assert [t['id'] for t in rest['tasks']] == ids[2:]
    assert 'next' not in rest
    newest_first = client.get('/v2/tasks', headers=ADMIN).get_json()
    assert [t['id'] for t in newest_first['tasks']] == ids[::-1]
    assert newest_first['first'] == '/v2/tasks'


@pytest.mark.parametrize('query, message', [
    ('status=done', 'Invalid status value: done'),
    ('type=other', 'Invalid type value: other'),
    ('sort_dir=up', 'Invalid sort direction: up'),
    ('marker=nope', 'Invalid marker format'),
    ('limit=x', 'limit param must be an integer'),
    ('limit=-1', 'limit param must be positive'),
    ('sort_key=owner', 'Sort key supplied is invalid: owner'),
    ('colour=red', 'Unknown query parameters for the task list: colour'),
    ('marker=00000000-0000-4000-8000-000000000000',
     'marker 00000000-0000-4000-8000-000000000000 could not be found.'),
])
def test_list_refuses_bad_queries(client, query, message):
    response = client.get('/v2/tasks?' + query, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()['error']['message'] == message


def test_list_filters_by_status_and_other_columns(client, app):
    task = create_task(client, app)
    assert len(client.get('/v2/tasks?status=failure',
                          headers=ADMIN).get_json()['tasks']) == 1
    assert client.get('/v2/tasks?status=success', headers=ADMIN).get_json()['tasks'] == []
    assert [t['id'] for t in client.get('/v2/tasks?owner=admin-project&user_id=admin-user',
                                        headers=ADMIN).get_json()['tasks']] == [task['id']]
    assert client.get('/v2/tasks?owner=project-b', headers=ADMIN).get_json()['tasks'] == []


def test_an_images_tasks_are_shown_to_its_owner(client, app, registry, create_image):
    image = create_image()
    alice = {'X-User-Id': 'alice', 'X-Project-Id': 'project-a'}
    from common import context
    ctx = context.RequestContext(user_id=alice['X-User-Id'],
                                 project_id=alice['X-Project-Id'], roles=['member'])
    task = registry.task_create(ctx, values={'type': 'api_image_import',
                                             'input': {'image_id': image['id']},
                                             'image_id': image['id']})
    body = client.get('/v2/images/%s/tasks' % image['id'], headers=ALICE).get_json()
    assert [t['id'] for t in body['tasks']] == [task['id']]
    shown = body['tasks'][0]
    assert set(shown) == {'id', 'type', 'status', 'owner', 'expires_at', 'created_at',
                          'updated_at', 'deleted_at', 'deleted', 'image_id', 'request_id',
                          'user_id', 'input', 'result', 'message'}
    assert (shown['status'], shown['deleted'], shown['deleted_at']) == ('pending', False,
                                                                        None)
    assert len(shown['created_at']) == 19 and 'Z' not in shown['created_at']
    # Somebody who cannot see the image: 404, as for a missing image.
    assert client.get('/v2/images/%s/tasks' % image['id'], headers=BOB).status_code == 404
    assert client.get('/v2.12/images/%s/tasks' % image['id'],
                      headers=ALICE).status_code == 200


def test_the_task_schemas(client):
    task = client.get('/v2/schemas/task', headers=ALICE).get_json()
    assert task['name'] == 'task' and task['additionalProperties'] is False
    assert task['properties']['type']['enum'] == ['import', 'api_image_import',
                                                  'location_import']
    assert set(task['properties']) == TASK_KEYS | {'image_id', 'expires_at'}
    tasks = client.get('/v2/schemas/tasks', headers=ALICE).get_json()
    assert tasks == task_render.tasks_schema()
    assert 'input' not in tasks['properties']['tasks']['items']['properties']


def test_versions_offer_2_12(client):
    ids = [v['id'] for v in client.get('/versions').get_json()['versions']]
    assert 'v2.12' in ids
