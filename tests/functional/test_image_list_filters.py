"""Listing filters, operators, sorting and paging over real HTTP, on every database backend.

Every query names the test's fresh project as ``owner``, so other tests' images never show.
"""

import time
import urllib.parse

import pytest


def _names(resp):
    assert resp.status_code == 200, resp.text
    return sorted(i['name'] for i in resp.json()['images'])


def _ordered_names(resp):
    assert resp.status_code == 200, resp.text
    return [i['name'] for i in resp.json()['images']]


def _list(images, *pairs, **params):
    """GET /v2/images as the test's project; ``pairs`` allow repeated parameters."""
    query = [('owner', images.project_id)] + list(pairs) + list(params.items())
    return images.request('GET', '/v2/images?' + urllib.parse.urlencode(query))


@pytest.fixture
def catalogue(images):
    """Five images with distinct attributes, properties and tags."""
    made = {}
    specs = [
        {'name': 'alpha', 'disk_format': 'qcow2', 'container_format': 'bare', 'tags': ['x', 'y'],
             'os_distro': 'ubuntu', 'min_ram': 512},
        {'name': 'bravo', 'disk_format': 'raw', 'container_format': 'bare', 'tags': ['x'],
             'os_distro': 'fedora', 'protected': True},
        {'name': 'charlie', 'disk_format': 'raw', 'container_format': 'ovf',
         'visibility': 'private'},
        {'name': 'with,comma', 'disk_format': 'iso', 'container_format': 'bare'},
        {'name': 'hidden', 'disk_format': 'raw', 'container_format': 'bare', 'os_hidden': True},
    ]
    for spec in specs:
        image = images.create_ok(**spec)
        made[image['name']] = image
        time.sleep(0.01)  # distinct created_at, so time filters can split them
    yield made
    for image in made.values():
        if image.get('protected'):
            images.patch(image['id'], [{'op': 'replace', 'path': '/protected',
                                        'value': False}])


def test_equality_filters_on_base_attributes(images, catalogue):
    assert _names(_list(images, name='bravo')) == ['bravo']
    assert _names(_list(images, disk_format='raw')) == ['bravo', 'charlie']
    assert _names(_list(images, container_format='ovf')) == ['charlie']
    assert _names(_list(images, visibility='private')) == ['charlie']
    assert _names(_list(images, status='queued')) == ['alpha', 'bravo', 'charlie',
                                                      'with,comma']
    assert _names(_list(images, status='active')) == []
    assert _names(_list(images, id=catalogue['alpha']['id'])) == ['alpha']
    assert _names(_list(images, min_ram='512')) == ['alpha']


def test_protected_and_os_hidden_filters(images, catalogue):
    assert _names(_list(images, protected='true')) == ['bravo']
    assert _names(_list(images, protected='false')) == ['alpha', 'charlie', 'with,comma']
    assert _names(_list(images, os_hidden='true')) == ['hidden']
    assert 'hidden' not in _names(_list(images))
    assert _list(images, protected='yes').status_code == 400
    assert _list(images, protected='True').status_code == 400


def test_tag_filter_repeated_means_all_tags(images, catalogue):
    assert _names(_list(images, ('tag', 'x'))) == ['alpha', 'bravo']
    assert _names(_list(images, ('tag', 'x'), ('tag', 'y'))) == ['alpha']
    assert _names(_list(images, ('tag', 'nope'))) == []


def test_extra_properties_are_equality_filters(images, catalogue):
    assert _names(_list(images, os_distro='ubuntu')) == ['alpha']
    assert _names(_list(images, os_distro='fedora', disk_format='raw')) == ['bravo']
    assert _names(_list(images, os_distro='fedora', disk_format='qcow2')) == []


def test_in_operator_with_quoted_commas(images, catalogue):
    assert _names(_list(images, name='in:alpha,charlie')) == ['alpha', 'charlie']
    assert _names(_list(images, name='in:"with,comma",bravo')) == ['bravo', 'with,comma']
    assert _names(_list(images, disk_format='in:qcow2,iso')) == ['alpha', 'with,comma']
    assert _names(_list(images, container_format='in:ovf')) == ['charlie']
    assert _names(_list(images, status='in:queued,active')) == [
        'alpha', 'bravo', 'charlie', 'with,comma']
    ids = '%s,%s' % (catalogue['alpha']['id'], catalogue['bravo']['id'])
    assert _names(_list(images, id='in:' + ids)) == ['alpha', 'bravo']
    assert _names(_list(images, name='eq:alpha')) == ['alpha']
    assert _list(images, name='in:"unclosed').status_code == 400
    assert _list(images, name='like:alpha').status_code == 400


def test_size_range_filters(images):
    small = images.create_ok(name='small')
    large = images.create_ok(name='large')
    assert images.upload(small['id'], b'x' * 10).status_code == 204
    assert images.upload(large['id'], b'x' * 1000).status_code == 204
    assert _names(_list(images, size_min='100')) == ['large']
    assert _names(_list(images, size_max='100')) == ['small']
    assert _names(_list(images, size_min='10', size_max='1000')) == ['large', 'small']
    assert _names(_list(images, size_min='11', size_max='999')) == []
    assert _list(images, size_min='big').status_code == 400


def test_created_at_and_updated_at_operators(images, catalogue):
    bravo = images.show(catalogue['bravo']['id']).json()
    # The API shows whole seconds; the database keeps microseconds. Take bravo's second.
    second = bravo['created_at']
    before = _names(_list(images, created_at='lt:' + second))
    after = _names(_list(images, created_at='gte:' + second))
    assert sorted(before + after) == ['alpha', 'bravo', 'charlie', 'with,comma']
    assert 'bravo' in after
    assert _names(_list(images, created_at='gt:2000-01-01T00:00:00Z')) == [
        'alpha', 'bravo', 'charlie', 'with,comma']
    assert _names(_list(images, created_at='lte:2000-01-01T00:00:00Z')) == []
    assert _names(_list(images, updated_at='neq:2000-01-01T00:00:00Z')) == [
        'alpha', 'bravo', 'charlie', 'with,comma']
    assert _names(_list(images, updated_at='eq:2000-01-01T00:00:00+00:00')) == []
    for bad in ('gt:yesterday', 'around:2000-01-01T00:00:00Z', 'not-a-time'):
        resp = _list(images, created_at=bad)
        assert resp.status_code == 400, bad


@pytest.mark.parametrize('params', [
    {'limit': '-1'}, {'limit': 'ten'},
    {'sort': 'name:asc', 'sort_key': 'size'},
    {'sort': 'name:asc', 'sort_dir': 'asc'},
    {'sort': 'colour:asc'}, {'sort': 'name:up'},
    {'sort_key': 'colour'}, {'sort_key': 'name', 'sort_dir': 'up'},
    {'changes-since': '2020-01-01T00:00:00Z'},
    {'member_status': 'maybe'}, {'visibility': 'everyone'},
    {'marker': '00000000-0000-0000-0000-000000000000'},
])
def test_bad_list_parameters_are_400(images, params):
    resp = images.list(**params)
    assert resp.status_code == 400, resp.text
    assert resp.json()['error']['code'] == 400


def test_sort_key_dir_counts_must_match(images):
    resp = _list(images, ('sort_key', 'name'), ('sort_key', 'size'), ('sort_key', 'id'),
                 ('sort_dir', 'asc'), ('sort_dir', 'desc'))
    assert resp.status_code == 400


@pytest.fixture
def sized(images):
    """Four images: names and sizes in different orders, two of equal size."""
    for name, size in (('d', 30), ('b', 10), ('a', 30), ('c', 20)):
        image = images.create_ok(name=name)
        assert images.upload(image['id'], b'z' * size).status_code == 204


def test_new_sort_syntax_with_default_desc(images, sized):
    assert _ordered_names(_list(images, sort='name:asc')) == ['a', 'b', 'c', 'd']
    assert _ordered_names(_list(images, sort='name')) == ['d', 'c', 'b', 'a']
    assert _ordered_names(_list(images, sort='size:desc,name:asc')) == ['a', 'd', 'c', 'b']
    assert _ordered_names(_list(images, sort='size:asc,name')) == ['b', 'c', 'd', 'a']


def test_classic_sort_syntax_one_dir_for_all_or_one_per_key(images, sized):
    assert _ordered_names(_list(images, ('sort_key', 'size'), ('sort_key', 'name'),
                                ('sort_dir', 'asc'))) == ['b', 'c', 'a', 'd']
    assert _ordered_names(_list(images, ('sort_key', 'size'), ('sort_key', 'name'),
                                ('sort_dir', 'desc'), ('sort_dir', 'asc'))) == [
        'a', 'd', 'c', 'b']
    assert _ordered_names(_list(images, ('sort_key', 'name'))) == ['d', 'c', 'b', 'a']


def test_next_links_keep_every_parameter_and_put_the_marker_last(images, sized):
    for image in images.list(owner=images.project_id).json()['images']:
        images.request('PUT', f'/v2/images/{image["id"]}/tags/t1')
        images.request('PUT', f'/v2/images/{image["id"]}/tags/t2')
    url = '/v2/images?' + urllib.parse.urlencode(
        [('owner', images.project_id), ('tag', 't1'), ('tag', 't2'), ('sort', 'name:asc'),
         ('limit', 3)])
    seen, pages = [], 0
    while url:
        resp = images.request('GET', url)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen += [i['name'] for i in body['images']]
        url = body.get('next')
        pages += 1
        if url:
            pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
            assert pairs[-1] == ('marker', body['images'][-1]['id'])
            assert [p for p in pairs if p[0] == 'tag'] == [('tag', 't1'), ('tag', 't2')]
            assert ('sort', 'name:asc') in pairs and ('limit', '3') in pairs
        assert 'marker' not in urllib.parse.parse_qs(
            urllib.parse.urlsplit(body['first']).query)
        assert pages < 5
    assert seen == ['a', 'b', 'c', 'd']
    assert pages == 2
