"""The FakeRegistry of the api unit tests answers as the real registry does.

Each scenario is a list of calls; it runs against a fresh FakeRegistry and against a fresh
real registry over kombu's memory transport, and every answer must be the same: the same
result dicts (times compared by presence and format, since two runs cannot share a clock),
or the same common.exceptions class with the same message and details.
"""

import inspect
import re

import pytest

from common import context
from common import exceptions
from common import list_query
from common.rpc import client as rpc_client
from tests.unit.api.fake_registry import FakeRegistry

CONTEXTS = {
    'alice': context.RequestContext(user_id='alice', project_id='project-a',
                                    roles=['member']),
    'bob': context.RequestContext(user_id='bob', project_id='project-b', roles=['member']),
    'carol': context.RequestContext(user_id='carol', project_id='project-c',
                                    roles=['member']),
    'admin': context.RequestContext(user_id='admin', project_id='admin-project',
                                    roles=['admin'], is_admin=True),
}
TIMES = ('created_at', 'updated_at', 'deleted_at', 'upload_expires_at', 'expires_at')
ISO_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')


def image_id(n):
    # Ids in creation order, so images created within one microsecond still list alike.
    return '00000000-0000-4000-8000-%012d' % n


I1, I2, I3, I4, I5 = (image_id(n) for n in range(1, 6))
RAW = {'disk_format': 'raw', 'container_format': 'bare'}
PROP_QUOTA = {'image_property_quota': 1, 'image_tag_quota': 1}


def create(n, owner='project-a', properties=None, tags=None, **values):
    return ('image_create', {'values': dict(values, id=image_id(n), owner=owner),
                             'properties': properties or {}, 'tags': tags or []})


def listing(filters=None, marker=None, limit=None, sort_keys=None, sort_dirs=None):
    # The query-string form, read into a ListQuery when the step runs (answers()).
    return ('image_list', {'filters': dict({'member_status': 'accepted'}, **(filters or {})),
                           'marker': marker, 'limit': limit, 'sort_keys': sort_keys,
                           'sort_dirs': sort_dirs})


def _arguments(method, kwargs):
    if method == 'image_list' and 'query' not in kwargs:
        return {'query': list_query.ListQuery.from_legacy(**kwargs)}
    return kwargs


def task_id(n):
    return '00000000-0000-4000-9000-%012d' % n


T1, T2, T3 = (task_id(n) for n in range(1, 4))


def task(n, type='import', **values):
    return ('task_create', {'values': dict(values, id=task_id(n), type=type,
                                           input={'n': n})})


def finish(image, size=3):
    return ('finish_upload', {'image_id': image, 'location': 'file:///x/%s' % image,
                              'size': size, 'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
                              'os_hash_value': 'h' * 128})


SCENARIOS = {
    'ping': [('alice', ('ping', {}))],
    'create, get, update, delete': [
        ('alice', create(1, properties={'a': '1', 'b': '2'}, tags=['x', 'y'], name='one')),
        ('alice', ('image_get', {'image_id': I1})),
        ('bob', ('image_get', {'image_id': I1})),
        ('admin', ('image_get', {'image_id': I1})),
        ('alice', ('image_get', {'image_id': 'not-there'})),
        ('alice', create(1)),
        ('alice', ('image_create', {'values': {'id': 'nope'}, 'properties': {},
                                    'tags': []})),
        ('alice', ('image_create', {'values': {'status': 'active'}, 'properties': {},
                                    'tags': []})),
        ('alice', ('image_create', {'values': {'min_ram': -1}, 'properties': {},
                                    'tags': []})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'add', 'path': 'c', 'value': '3'},
            {'op': 'replace', 'path': 'a', 'value': 'one'},
            {'op': 'remove', 'path': 'b'},
            {'op': 'replace', 'path': 'name', 'value': 'renamed'},
            {'op': 'replace', 'path': 'tags', 'value': ['z']},
            {'op': 'replace', 'path': 'disk_format', 'value': 'qcow2'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': []})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'remove', 'path': 'missing'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'replace', 'path': 'missing', 'value': 'v'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'remove', 'path': 'name'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'replace', 'path': 'status', 'value': 'active'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'replace', 'path': 'location', 'value': 'file:///etc'}]})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'add', 'path': 'p1', 'value': 'v'}], 'quotas': PROP_QUOTA})),
        ('bob', ('image_update', {'image_id': I1, 'changes': []})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'replace', 'path': 'protected', 'value': True}]})),
        ('alice', ('image_delete', {'image_id': I1})),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'replace', 'path': 'protected', 'value': False}]})),
        ('bob', ('image_delete', {'image_id': I1})),
        ('alice', ('image_delete', {'image_id': I1})),
        ('alice', ('image_get', {'image_id': I1})),
        ('admin', ('image_delete', {'image_id': I1})),
        ('alice', create(1)),
        ('alice', create(2, properties={'a': '1', 'b': '2'})),
        ('alice', ('image_create', {'values': {'id': image_id(3)}, 'properties': {},
                                    'tags': ['a', 'b'], 'quotas': PROP_QUOTA})),
    ],
    'visibility': [
        ('alice', create(1, visibility='public', name='pub')),
        ('alice', create(2, visibility='private', name='priv')),
        ('alice', create(3, visibility='community', name='comm')),
        ('alice', create(4, visibility='shared', name='shared')),
        ('alice', create(5, visibility='public', os_hidden=True, name='hidden')),
        *[(who, ('image_get', {'image_id': image_id(n)}))
          for who in ('bob', 'admin') for n in range(1, 6)],
        *[(who, listing(filters))
          for who in ('alice', 'bob', 'admin')
          for filters in ({}, {'visibility': 'community'}, {'visibility': 'all'},
                          {'visibility': 'private'}, {'os_hidden': 'true'},
                          {'visibility': 'sideways'}, {'member_status': 'maybe'})],
        ('bob', ('image_update', {'image_id': I1, 'changes': []})),
        ('bob', ('image_delete', {'image_id': I3})),
        ('bob', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
    ],
    'members': [
        ('alice', create(1, visibility='shared')),
        ('alice', create(2, visibility='private')),
        ('alice', ('image_member_create', {'image_id': I1, 'member_id': 'project-b'})),
        ('alice', ('image_member_create', {'image_id': I1, 'member_id': 'project-b'})),
        ('alice', ('image_member_create', {'image_id': I1, 'member_id': 'project-c',
                                           'quotas': {'image_member_quota': 1}})),
        ('alice', ('image_member_create', {'image_id': I1, 'member_id': ''})),
        ('alice', ('image_member_create', {'image_id': I2, 'member_id': 'project-b'})),
        ('bob', ('image_member_create', {'image_id': I1, 'member_id': 'project-c'})),
        ('carol', ('image_member_create', {'image_id': I1, 'member_id': 'project-c'})),
        ('bob', ('image_get', {'image_id': I1})),
        ('carol', ('image_get', {'image_id': I1})),
        ('bob', listing()),
        ('bob', listing({'member_status': 'pending'})),
        ('bob', listing({'member_status': 'all'})),
        ('alice', ('image_member_create', {'image_id': I1, 'member_id': 'project-c'})),
        ('alice', ('image_member_list', {'image_id': I1})),
        ('bob', ('image_member_list', {'image_id': I1})),
        ('carol', ('image_member_get', {'image_id': I1, 'member_id': 'project-b'})),
        ('bob', ('image_member_get', {'image_id': I1, 'member_id': 'project-c'})),
        ('bob', ('image_member_get', {'image_id': I1, 'member_id': 'project-b'})),
        ('alice', ('image_member_get', {'image_id': I2, 'member_id': 'project-b'})),
        ('alice', ('image_member_list', {'image_id': I2})),
        ('alice', ('image_member_update', {'image_id': I1, 'member_id': 'project-b',
                                           'status': 'accepted'})),
        ('bob', ('image_member_update', {'image_id': I1, 'member_id': 'project-b',
                                         'status': 'maybe'})),
        ('bob', ('image_member_update', {'image_id': I1, 'member_id': 'project-b',
                                         'status': 'accepted'})),
        ('bob', listing()),
        ('carol', ('image_member_update', {'image_id': I1, 'member_id': 'project-c',
                                           'status': 'rejected'})),
        ('carol', listing()),
        ('carol', listing({'member_status': 'rejected'})),
        ('admin', ('image_member_update', {'image_id': I1, 'member_id': 'project-c',
                                           'status': 'pending'})),
        ('bob', ('image_member_delete', {'image_id': I1, 'member_id': 'project-b'})),
        ('alice', ('image_member_delete', {'image_id': I1, 'member_id': 'project-b'})),
        ('alice', ('image_member_delete', {'image_id': I1, 'member_id': 'project-b'})),
        ('bob', ('image_get', {'image_id': I1})),
        ('alice', ('image_member_list', {'image_id': I1})),
    ],
    'uploads': [
        ('alice', create(1)),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', create(2, **RAW)),
        ('alice', ('begin_upload', {'image_id': I2, 'lease_seconds': 0})),
        ('alice', ('begin_upload', {'image_id': I2, 'lease_seconds': 60,
                                    'expected_size': -1})),
        ('alice', ('renew_upload', {'image_id': I2, 'lease_seconds': 60})),
        ('alice', finish(I2)),
        ('alice', ('abort_upload', {'image_id': I2})),
        ('alice', ('begin_upload', {'image_id': I2, 'lease_seconds': 60})),
        ('alice', ('begin_upload', {'image_id': I2, 'lease_seconds': 60})),
        ('alice', ('renew_upload', {'image_id': I2, 'lease_seconds': 120})),
        ('alice', ('image_update', {'image_id': I2, 'changes': [
            {'op': 'replace', 'path': 'disk_format', 'value': 'qcow2'}]})),
        ('alice', ('finish_upload', dict(finish(I2)[1], virtual_size=-1))),
        ('alice', ('finish_upload', dict(finish(I2, size=100)[1], virtual_size=4096))),
        ('alice', finish(I2)),
        ('alice', ('image_get', {'image_id': I2, 'internal': True})),
        ('alice', ('image_get', {'image_id': I2, 'internal': False})),
        ('bob', ('image_get', {'image_id': I2, 'internal': True})),
        ('alice', ('renew_upload', {'image_id': I2, 'lease_seconds': 60})),
        ('alice', ('abort_upload', {'image_id': I2})),
        ('alice', create(3, **RAW)),
        ('alice', ('begin_upload', {'image_id': I3, 'lease_seconds': 60,
                                    'quotas': {'user_storage_quota': 150},
                                    'expected_size': 60})),
        ('alice', ('begin_upload', {'image_id': I3, 'lease_seconds': 60,
                                    'quotas': {'user_storage_quota': 100}})),
        ('alice', ('begin_upload', {'image_id': I3, 'lease_seconds': 60,
                                    'quotas': {'user_storage_quota': 150},
                                    'expected_size': 50})),
        ('alice', ('abort_upload', {'image_id': I3})),
        ('alice', ('abort_upload', {'image_id': I3})),
        ('alice', finish(I3)),
        ('alice', ('begin_upload', {'image_id': I3, 'lease_seconds': 60,
                                    'quotas': {'user_storage_quota': 150}})),
        ('bob', ('renew_upload', {'image_id': I3, 'lease_seconds': 60})),
        ('alice', ('image_get', {'image_id': I3, 'internal': True})),
        ('alice', ('image_delete', {'image_id': I3})),
        ('alice', ('renew_upload', {'image_id': I3, 'lease_seconds': 60})),
        ('alice', ('image_delete', {'image_id': I2})),
        ('alice', finish(I3)),
        ('alice', ('abort_upload', {'image_id': I3})),
    ],
    'upload claims': [
        ('alice', create(1, **RAW)),
        ('alice', create(2, **RAW)),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 'x' * 65, 'holder': 'w1'})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 't1', 'holder': ''})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 't1', 'holder': 'w1'})),
        ('alice', ('begin_upload', {'image_id': I2, 'lease_seconds': 60,
                                    'upload_token': 't2', 'holder': 'w2'})),
        ('alice', ('renew_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 'other'})),
        ('alice', ('renew_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 't1'})),
        ('alice', ('renew_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', ('abort_upload', {'image_id': I1, 'upload_token': 'other'})),
        ('alice', ('finish_upload', dict(finish(I1)[1], upload_token='other'))),
        ('alice', ('release_uploads', {'holder': 'w1'})),
        ('admin', ('release_uploads', {'holder': ''})),
        ('admin', ('release_uploads', {'holder': 'w1'})),
        ('admin', ('release_uploads', {'holder': 'w1'})),
        ('alice', ('image_get', {'image_id': I1})),
        ('alice', ('renew_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 't1'})),
        ('alice', ('finish_upload', dict(finish(I1)[1], upload_token='t1'))),
        ('alice', ('abort_upload', {'image_id': I1, 'upload_token': 't1'})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60,
                                    'upload_token': 't3', 'holder': 'w1'})),
        ('alice', ('finish_upload', dict(finish(I1)[1], upload_token='t1'))),
        ('alice', ('finish_upload', dict(finish(I1)[1], upload_token='t3'))),
        ('alice', ('abort_upload', {'image_id': I2, 'upload_token': 't2'})),
        ('alice', ('image_get', {'image_id': I2})),
    ],
    'tags and actions': [
        ('alice', create(1, tags=['a'], **RAW)),
        ('alice', ('image_tag_add', {'image_id': I1, 'tag': 'b'})),
        ('alice', ('image_tag_add', {'image_id': I1, 'tag': 'b',
                                     'quotas': {'image_tag_quota': 1}})),
        ('alice', ('image_tag_add', {'image_id': I1, 'tag': 'c',
                                     'quotas': {'image_tag_quota': 2}})),
        ('alice', ('image_tag_add', {'image_id': I1, 'tag': ''})),
        ('bob', ('image_tag_add', {'image_id': I1, 'tag': 'c'})),
        ('alice', ('image_tag_delete', {'image_id': I1, 'tag': 'missing'})),
        ('alice', ('image_tag_delete', {'image_id': I1, 'tag': 'a'})),
        ('alice', ('deactivate', {'image_id': I1})),
        ('alice', ('reactivate', {'image_id': I1})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', finish(I1)),
        ('alice', ('deactivate', {'image_id': I1})),
        ('alice', ('deactivate', {'image_id': I1})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', ('reactivate', {'image_id': I1})),
        ('alice', ('reactivate', {'image_id': I1})),
        ('bob', ('deactivate', {'image_id': I1})),
    ],
    'stores of an image and removing a location': [
        ('alice', create(1, **RAW)),
        ('alice', ('image_location_delete', {'image_id': I1, 'store_id': 'fast'})),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', ('finish_upload', dict(finish(I1)[1], store_id='fast'))),
        ('alice', ('image_get', {'image_id': I1})),
        ('alice', listing()),
        ('alice', ('image_location_delete', {'image_id': I1, 'store_id': 'fast'})),
        ('alice', ('image_location_delete', {'image_id': I1, 'store_id': 'cold'})),
        ('bob', ('image_location_delete', {'image_id': I1, 'store_id': 'fast'})),
        ('alice', ('image_location_delete', {'image_id': 'not-there', 'store_id': 'fast'})),
        ('alice', ('deactivate', {'image_id': I1})),
        ('alice', ('image_location_delete', {'image_id': I1, 'store_id': 'fast'})),
        ('alice', ('image_delete', {'image_id': I1})),
    ],
    'delayed delete, scrubbing and restore': [
        *[('alice', create(n, **RAW)) for n in (1, 2, 3)],
        *[('alice', ('begin_upload', {'image_id': image_id(n), 'lease_seconds': 60}))
          for n in (1, 2, 3)],
        *[('alice', finish(image_id(n))) for n in (1, 2, 3)],
        ('alice', create(4)),
        ('alice', ('image_delete', {'image_id': I4, 'delayed': True})),
        ('bob', ('image_delete', {'image_id': I1, 'delayed': True})),
        ('alice', ('image_delete', {'image_id': I1, 'delayed': True})),
        ('alice', ('image_get', {'image_id': I1})),
        ('alice', listing()),
        ('alice', ('image_delete', {'image_id': I2})),
        ('bob', ('image_data_left', {'image_id': I2, 'location': 'file:///x/%s' % I2,
                                     'error': 'down'})),
        ('alice', ('image_data_left', {'image_id': I2, 'location': 'file:///elsewhere',
                                       'error': 'down'})),
        ('alice', ('image_data_left', {'image_id': I3, 'location': 'file:///x/%s' % I3,
                                       'error': 'down'})),
        ('alice', ('image_data_left', {'image_id': I2, 'location': 'file:///x/%s' % I2,
                                       'error': 'store down'})),
        ('alice', ('scrub_claim', {'scrub_time': 0, 'limit': 5, 'claim_seconds': 60})),
        ('admin', ('scrub_claim', {'scrub_time': -1, 'limit': 5, 'claim_seconds': 60})),
        ('admin', ('scrub_claim', {'scrub_time': 3600, 'limit': 5, 'claim_seconds': 60})),
        ('admin', ('image_restore', {'image_id': I1})),
        ('admin', ('scrub_claim', {'scrub_time': 0, 'limit': 5, 'claim_seconds': 60})),
        ('admin', ('scrub_claim', {'scrub_time': 0, 'limit': 5, 'claim_seconds': 60})),
        ('admin', ('scrub_finish', {'deletion_id': 2, 'error': 'still down'})),
        ('admin', ('scrub_finish', {'deletion_id': 2})),
        ('admin', ('scrub_finish', {'deletion_id': 2})),
        ('alice', ('scrub_finish', {'deletion_id': 1})),
        ('alice', ('image_restore', {'image_id': I3})),
        ('admin', ('image_restore', {'image_id': I3})),
        ('alice', ('image_delete', {'image_id': I3, 'delayed': True})),
        ('admin', ('image_restore', {'image_id': I3})),
        ('alice', ('image_get', {'image_id': I3})),
        ('admin', ('image_restore', {'image_id': 'not-there'})),
    ],
    'listing': [
        ('alice', create(1, name='b', properties={'os': 'linux'}, tags=['t1'], **RAW)),
        ('alice', create(2, name='a', protected=True, min_ram=512)),
        ('alice', create(3, properties={'os': 'bsd'}, tags=['t1', 't2'], **RAW)),
        ('alice', create(4, name='c', visibility='public')),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', finish(I1, size=10)),
        ('alice', ('begin_upload', {'image_id': I3, 'lease_seconds': 60})),
        ('alice', finish(I3, size=30)),
        *[('alice', listing(**query)) for query in (
            {},
            {'sort_keys': ['name'], 'sort_dirs': ['asc']},
            {'sort_keys': ['name'], 'sort_dirs': ['desc']},
            {'sort_keys': ['size', 'name'], 'sort_dirs': ['desc', 'asc']},
            {'sort_keys': ['disk_format'], 'sort_dirs': ['asc']},
            {'sort_keys': ['status', 'id']},
            {'sort_keys': ['name'], 'sort_dirs': ['asc'], 'limit': 2},
            {'sort_keys': ['name'], 'sort_dirs': ['asc'], 'limit': 2, 'marker': I2},
            {'sort_keys': ['name'], 'sort_dirs': ['asc'], 'marker': I3},
            {'sort_keys': ['size'], 'sort_dirs': ['desc'], 'marker': I1},
            {'marker': I4, 'limit': 1},
            {'limit': 0},
            {'marker': image_id(99)},
            {'sort_keys': ['owner']},
            {'sort_dirs': ['sideways']},
            {'sort_keys': ['name', 'size'], 'sort_dirs': ['asc', 'desc', 'asc']},
            {'limit': -1},
            {'filters': {'name': 'a'}},
            {'filters': {'name': 'in:a,"b"'}},
            {'filters': {'name': 'like:a'}},
            {'filters': {'status': 'active'}},
            {'filters': {'id': 'in:%s,%s' % (I1, I2)}},
            {'filters': {'disk_format': 'eq:raw'}},
            {'filters': {'size_min': '20'}},
            {'filters': {'size_max': '20'}},
            {'filters': {'size_min': 'big'}},
            {'filters': {'size': '10'}},
            {'filters': {'min_ram': '512'}},
            {'filters': {'owner': 'project-a'}},
            {'filters': {'checksum': 'c' * 32}},
            {'filters': {'protected': 'true'}},
            {'filters': {'protected': 'maybe'}},
            {'filters': {'tags': ['t1']}},
            {'filters': {'tags': ['t1', 't2']}},
            {'filters': {'os': 'linux'}},
            {'filters': {'created_at': 'lt:2999-01-01T00:00:00Z'}},
            {'filters': {'created_at': 'gt:2999-01-01T00:00:00Z'}},
            {'filters': {'updated_at': 'gte:2000-01-01T00:00:00Z'}},
            {'filters': {'created_at': 'soon'}},
            {'filters': {'created_at': 'around:2000-01-01T00:00:00Z'}},
            {'filters': {'visibility': 'public', 'name': 'c'}},
        )],
        ('bob', listing()),
        ('bob', listing(marker=I2)),
    ],
    'cache records: add, hits, list, nodes, remove; delete and deactivate forget them': [
        ('alice', create(1, **RAW)),
        ('alice', ('begin_upload', {'image_id': I1, 'lease_seconds': 60})),
        ('alice', finish(I1)),
        ('alice', create(2, **RAW)),
        ('alice', ('cache_record_list', {'node_reference': 'http://a:9292'})),
        ('admin', ('cache_record_add', {'node_reference': 'http://a:9292', 'image_id': I1,
                                        'size': 5, 'last_modified': 100.5})),
        ('admin', ('cache_record_add', {'node_reference': 'http://b:9292', 'image_id': I1,
                                        'size': 5, 'last_modified': 101.0})),
        ('admin', ('cache_record_add', {'node_reference': 'http://a:9292', 'image_id': I2,
                                        'size': 7, 'last_modified': 102.0})),
        ('admin', ('cache_record_hits', {'node_reference': 'http://a:9292',
                                         'hits': [[I1, 3, 200.0], [I3, 1, 200.0]]})),
        ('admin', ('cache_record_hits', {'node_reference': 'http://a:9292',
                                         'hits': [[I1, 1, 150.0]]})),
        ('admin', ('cache_record_list', {'node_reference': 'http://a:9292'})),
        ('admin', ('cache_node_list', {'image_id': I1})),
        ('admin', ('cache_record_remove', {'node_reference': 'http://a:9292',
                                           'image_ids': [I2]})),
        ('admin', ('cache_record_list', {'node_reference': 'http://a:9292'})),
        ('admin', ('deactivate', {'image_id': I1})),
        ('admin', ('cache_node_list', {'image_id': I1})),
        ('admin', ('cache_record_add', {'node_reference': 'http://a:9292', 'image_id': I2,
                                        'size': 7, 'last_modified': 103.0})),
        ('admin', ('image_delete', {'image_id': I2})),
        ('admin', ('cache_record_list', {'node_reference': 'http://a:9292'})),
        ('admin', ('cache_record_add', {'node_reference': 'http://b:9292', 'image_id': I1,
                                        'size': 5, 'last_modified': 104.0})),
        ('admin', ('cache_record_remove', {'node_reference': 'http://b:9292'})),
        ('admin', ('cache_node_list', {'image_id': I1})),
    ],
    'tasks': [
        ('alice', create(1)),
        ('alice', task(1, image_id=I1)),
        ('alice', task(2)),
        ('bob', task(3, type='other')),
        ('alice', task(1)),
        ('alice', ('task_create', {'values': {'type': ''}})),
        ('alice', ('task_create', {'values': {'type': 'import', 'input': 'x'}})),
        ('alice', ('task_create', {'values': {'type': 'import', 'owner': 'x'}})),
        ('alice', ('task_get', {'task_id': T1})),
        ('bob', ('task_get', {'task_id': T1})),
        ('admin', ('task_get', {'task_id': T1})),
        ('alice', ('task_get', {'task_id': 'nope'})),
        ('alice', ('task_list', {})),
        ('admin', ('task_list', {'sort_dir': 'asc'})),
        ('admin', ('task_list', {'filters': {'type': 'other'}})),
        ('admin', ('task_list', {'filters': {'status': 'pending'}, 'sort_key': 'id',
                                 'sort_dir': 'asc', 'limit': 1})),
        ('admin', ('task_list', {'sort_key': 'id', 'sort_dir': 'asc', 'marker': T1})),
        ('alice', ('task_list', {'marker': T3})),
        ('alice', ('task_list', {'sort_key': 'owner'})),
        ('alice', ('task_list', {'sort_dir': 'up'})),
        ('alice', ('task_list', {'filters': {'name': 'x'}})),
        ('admin', ('task_list', {'filters': {'owner': 'project-b', 'user_id': 'bob'}})),
        ('admin', ('task_list', {'filters': {'image_id': I1}})),
        ('alice', ('image_task_list', {'image_id': I1})),
        ('bob', ('image_task_list', {'image_id': I1})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'status': 'success'}})),
        ('alice', ('task_renew', {'task_id': T1, 'holder': 'w1', 'lease_seconds': 30})),
        ('bob', ('task_claim', {'task_id': T1, 'holder': 'w1', 'lease_seconds': 30})),
        ('alice', ('task_claim', {'task_id': T1, 'holder': 'w1', 'lease_seconds': 0})),
        ('alice', ('task_claim', {'task_id': T1, 'holder': 'w1', 'lease_seconds': 30})),
        ('alice', ('task_claim', {'task_id': T1, 'holder': 'w2', 'lease_seconds': 30})),
        ('alice', ('task_renew', {'task_id': T1, 'holder': 'w2', 'lease_seconds': 30})),
        ('alice', ('task_renew', {'task_id': T1, 'holder': 'w1', 'lease_seconds': 30})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'status': 'success'},
                                   'holder': 'w2'})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'owner': 'x'}})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'result': 'x'}})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'status': 'done'}})),
        ('alice', ('task_update', {'task_id': T1, 'holder': 'w1', 'time_to_live': 1,
                                   'values': {'status': 'success',
                                              'result': {'image_id': I1}}})),
        ('alice', ('task_update', {'task_id': T1, 'values': {'status': 'failure'}})),
        ('alice', ('task_update', {'task_id': T2, 'values': {'status': 'failure',
                                                             'message': 'no luck'}})),
        ('alice', ('task_update', {'task_id': T2, 'values': {'status': 'processing'}})),
        ('alice', ('task_update', {'task_id': T2, 'values': {'message': 'again'}})),
        ('alice', ('task_update', {'task_id': T3, 'values': {'status': 'failure'}})),
        ('alice', ('task_update', {'task_id': T2, 'values': {}, 'time_to_live': -1})),
        ('alice', ('task_update', {'task_id': T2, 'values': {'image_id': I1}})),
        ('alice', ('task_update', {'task_id': T2, 'values': {'status': 'success'},
                                   'time_to_live': 0})),
        ('alice', ('task_get', {'task_id': T1})),
        ('alice', ('image_task_list', {'image_id': I1})),
        ('alice', ('task_list', {'filters': {'status': 'failure'}})),
        # A task that fails while it still holds its image's import lock hands it back.
        ('alice', task(4, image_id=I1)),
        ('alice', ('image_update', {'image_id': I1, 'changes': [
            {'op': 'add', 'path': 'os_glance_import_task', 'value': task_id(4)},
            {'op': 'add', 'path': 'os_glance_importing_to_stores', 'value': 'b'}]})),
        ('alice', ('task_update', {'task_id': task_id(4), 'values': {'status': 'failure'}})),
        ('alice', ('image_get', {'image_id': I1})),
    ],
}


def _is_time(value):
    return value is None or bool(ISO_TIME.match(value))


def comparable(value):
    """``value`` with its times replaced by their presence (their format checked)."""
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key in TIMES:
                assert _is_time(item), (key, item)
                result[key] = item is not None
            else:
                result[key] = comparable(item)
        return result
    return value


def contract_class(exc):
    """The common.exceptions class of ``exc`` (an RPC error is rebuilt as a subclass)."""
    return next(cls for cls in type(exc).__mro__ if cls.__module__ == exceptions.__name__)


def answers(registry, steps):
    got = []
    for who, (method, kwargs) in steps:
        try:
            result = getattr(registry, method)(CONTEXTS[who], **_arguments(method, kwargs))
        except exceptions.GlimpseError as exc:
            got.append((who, method, 'raised', contract_class(exc).__name__, exc.msg,
                        exc.kwargs))
        else:
            got.append((who, method, 'returned', comparable(result)))
    return got


def test_fake_takes_the_clients_arguments():
    methods = {name for name, member in inspect.getmembers(rpc_client.RegistryClient,
                                                           inspect.isfunction)
               if not name.startswith('_')}
    for name in methods:
        assert (inspect.signature(getattr(FakeRegistry, name)) ==
                inspect.signature(getattr(rpc_client.RegistryClient, name))), name


@pytest.mark.parametrize('name', sorted(SCENARIOS))
def test_fake_answers_as_the_real_registry(name, real_registry):
    steps = SCENARIOS[name]
    expected = answers(real_registry, steps)
    got = answers(FakeRegistry(), steps)
    for step, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, 'step %d of %r' % (step, name)
