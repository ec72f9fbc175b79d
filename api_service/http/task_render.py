"""The tasks API's JSON: request bodies and query strings in, tasks out, and the
/v2/schemas/task(s) documents, all as upstream's tasks API shows them."""

import copy
import datetime
import uuid
from urllib import parse

import jsonschema

from api_service.http import schemas
from common import exceptions

TYPES = ('import', 'api_image_import', 'location_import')
# The one type a user may create through POST /v2/tasks (upstream's legacy import); the
# others are the import API's own, made by glance-api itself.
CREATABLE_TYPES = ('import',)
STATUSES = ('pending', 'processing', 'success', 'failure')
# What a task list shows of each task: no input, result nor message.
STUB_HIDDEN = ('input', 'result', 'message')
QUERY_PARAMETERS = ('limit', 'marker', 'sort_key', 'sort_dir', 'status', 'type', 'owner',
                    'image_id', 'user_id', 'request_id')

_PROPERTIES = {
    'id': {'description': 'An identifier for the task', 'pattern': schemas.UUID_PATTERN,
           'type': 'string'},
    'type': {'description': 'The type of task represented by this content',
             'enum': list(TYPES), 'type': 'string'},
    'status': {'description': 'The current status of this task', 'enum': list(STATUSES),
               'type': 'string'},
    'input': {'description': 'The parameters required by task, JSON blob',
              'type': ['null', 'object']},
    'result': {'description': 'The result of current task, JSON blob',
               'type': ['null', 'object']},
    'owner': {'description': 'An identifier for the owner of this task', 'type': 'string'},
    'message': {'description': 'Human-readable informative message only included when '
                               'appropriate (usually on failure)', 'type': 'string'},
    'image_id': {'description': 'Image associated with the task', 'type': 'string'},
    'request_id': {'description': 'Human-readable informative request-id',
                   'type': 'string'},
    'user_id': {'description': 'User associated with the task', 'type': 'string'},
    'expires_at': {'description': 'Datetime when this resource would be subject to removal',
                   'type': ['null', 'string']},
    'created_at': {'description': 'Datetime when this resource was created',
                   'type': 'string'},
    'updated_at': {'description': 'Datetime when this resource was updated',
                   'type': 'string'},
    'self': {'readOnly': True, 'type': 'string'},
    'schema': {'readOnly': True, 'type': 'string'},
}


def task_schema():
    """The /v2/schemas/task document."""
    return {'name': 'task', 'properties': copy.deepcopy(_PROPERTIES),
            'additionalProperties': False}


def _stub_schema():
    properties = {k: v for k, v in copy.deepcopy(_PROPERTIES).items()
                  if k not in STUB_HIDDEN}
    return {'name': 'task', 'properties': properties, 'additionalProperties': False}


def tasks_schema():
    """The /v2/schemas/tasks document."""
    return schemas.collection_schema('tasks', _stub_schema())


_VALIDATOR = jsonschema.Draft4Validator(task_schema())


# -- requests -----------------------------------------------------------------------------------

def parse_create(body):
    """POST /v2/tasks's body -> (type, input); Invalid (400) as upstream words it."""
    if not isinstance(body, dict):
        raise exceptions.Invalid('Body expected in request.')
    for key in ('type', 'input'):
        if key not in body:
            raise exceptions.Invalid("Task '%s' is required" % key)
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(body))
    if error is not None:
        raise exceptions.Invalid("Provided object does not match schema 'task': %s"
                                 % error.message)
    if body['type'] not in CREATABLE_TYPES:
        raise exceptions.Invalid("Task type %s cannot be created through the tasks API; "
                                 "use the image import API (POST "
                                 "/v2/images/{image_id}/import)." % body['type'])
    return body['type'], body['input']


def parse_list(args, conf):
    """GET /v2/tasks's query string -> task_list's keyword arguments."""
    sort_dir = args.get('sort_dir', 'desc')
    if sort_dir not in ('asc', 'desc'):
        raise exceptions.Invalid('Invalid sort direction: %s' % sort_dir)
    filters = {}
    status = args.get('status')
    if status:
        if status not in STATUSES:
            raise exceptions.Invalid('Invalid status value: %s' % status)
        filters['status'] = status
    task_type = args.get('type')
    if task_type:
        if task_type not in ('import',):
            raise exceptions.Invalid('Invalid type value: %s' % task_type)
        filters['type'] = task_type
    for name in ('owner', 'image_id', 'user_id', 'request_id'):
        # Upstream filters on any column of the tasks table named in the query string.
        if args.get(name):
            filters[name] = args[name]
    unknown = sorted(set(args) - set(QUERY_PARAMETERS))
    if unknown:
        raise exceptions.Invalid('Unknown query parameters for the task list: %s'
                                 % ', '.join(unknown))
    marker = args.get('marker')
    if marker is not None and not _uuid_like(marker):
        raise exceptions.Invalid('Invalid marker format')
    limit = args.get('limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exceptions.Invalid('limit param must be an integer') from None
        if limit < 0:
            raise exceptions.Invalid('limit param must be positive')
    else:
        limit = conf.limit_param_default
    return {'filters': filters, 'marker': marker, 'limit': min(conf.api_limit_max, limit),
            'sort_key': args.get('sort_key', 'created_at'), 'sort_dir': sort_dir}


def _uuid_like(value):
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


# -- answers ------------------------------------------------------------------------------------

def _parse_time(value):
    return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%S.%fZ')


def _isotime(value):
    """Upstream's task times: seconds, with a Z."""
    return None if value is None else _parse_time(value).strftime('%Y-%m-%dT%H:%M:%SZ')


def href(task_id):
    return '/v2/tasks/%s' % task_id


def _view(task, fields, optional=()):
    """``fields`` of the task as they are, then its times and links, then whichever of
    ``optional`` it has and its expiry if it has one (the order upstream shows)."""
    view = {key: task[key] for key in fields}
    view.update({
        'created_at': _isotime(task['created_at']),
        'updated_at': _isotime(task['updated_at']),
        'self': href(task['id']),
        'schema': '/v2/schemas/task',
    })
    for key in optional:
        if task.get(key):
            view[key] = task[key]
    if task.get('expires_at'):
        view['expires_at'] = _isotime(task['expires_at'])
    return view


def to_json(task):
    """GET /v2/tasks/{task_id} and POST /v2/tasks."""
    return _view(task, ('id', 'input', 'type', 'status', 'owner', 'message', 'result'),
                 optional=('image_id', 'request_id', 'user_id'))


def stub_json(task):
    """A task in GET /v2/tasks: no input, result nor message."""
    return _view(task, ('id', 'type', 'status', 'owner'))


def list_json(tasks, args, limit):
    """GET /v2/tasks: the page with its first/next links, as upstream builds them."""
    params = [(k, v) for k, v in args.items(multi=True) if k != 'marker'] \
        if hasattr(args, 'items') else []
    query = parse.urlencode(params)
    body = {'tasks': [stub_json(task) for task in tasks],
            'first': '/v2/tasks' + ('?' + query if query else ''),
            'schema': '/v2/schemas/tasks'}
    if tasks and len(tasks) == limit:
        body['next'] = '/v2/tasks?' + parse.urlencode(params + [('marker', tasks[-1]['id'])])
    return body


def _db_time(value):
    """An image's task times as upstream's default serializer writes them (no zone)."""
    return None if value is None else _parse_time(value).strftime('%Y-%m-%dT%H:%M:%S')


def image_task_json(task):
    """A task of GET /v2/images/{image_id}/tasks: upstream shows the database record."""
    return {
        'id': task['id'],
        'type': task['type'],
        'status': task['status'],
        'owner': task['owner'],
        'expires_at': _db_time(task['expires_at']),
        'created_at': _db_time(task['created_at']),
        'updated_at': _db_time(task['updated_at']),
        'deleted_at': None,
        'deleted': False,
        'image_id': task['image_id'],
        'request_id': task['request_id'],
        'user_id': task['user_id'],
        'input': task['input'],
        'result': task['result'],
        'message': task['message'],
    }
