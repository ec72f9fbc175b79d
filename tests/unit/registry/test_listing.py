import pytest

from common import exceptions
from common import list_query
from registry_service import images
from registry_service import listing
from tests.unit.registry.helpers import new_image


def names(result):
    return [image['name'] for image in result]


def list_images(db, ctxt, filters, marker, limit, sort_keys, sort_dirs):
    """listing.list_images of the query these arguments (the form before 1.4) make."""
    query = list_query.ListQuery.from_legacy(filters, marker, limit, sort_keys, sort_dirs)
    return listing.list_images(db, ctxt, query)


def list_names(db, ctxt, filters=None, **kwargs):
    kwargs.setdefault('sort_keys', ['name'])
    kwargs.setdefault('sort_dirs', ['asc'])
    return names(list_images(db, ctxt, filters or {}, kwargs.get('marker'),
                             kwargs.get('limit'), kwargs['sort_keys'], kwargs['sort_dirs']))


@pytest.fixture
def world(db, alice, bob):
    """Images of every visibility owned by alice and by bob, plus hidden and deleted ones."""
    for owner, ctxt in (('a', alice), ('b', bob)):
        for visibility in ('public', 'community', 'shared', 'private'):
            new_image(db, ctxt, name='%s-%s' % (owner, visibility), visibility=visibility)
    new_image(db, alice, name='a-hidden', visibility='public', os_hidden=True)
    gone = new_image(db, bob, name='b-deleted', visibility='public')
    images.delete(db, bob, gone['id'])


def test_default_listing_is_own_plus_public(db, world, alice):
    assert list_names(db, alice) == ['a-community', 'a-private', 'a-public', 'a-shared',
                                     'b-public']


def test_admin_lists_every_non_deleted_non_hidden_image_but_community_ones(db, world, admin):
    # As upstream: other projects' community images only with visibility=community or all.
    assert list_names(db, admin) == ['a-private', 'a-public', 'a-shared',
                                     'b-private', 'b-public', 'b-shared']
    assert list_names(db, admin, {'visibility': 'all'}) == [
        'a-community', 'a-private', 'a-public', 'a-shared',
        'b-community', 'b-private', 'b-public', 'b-shared']
    assert list_names(db, admin, {'visibility': 'community'}) == ['a-community',
                                                                 'b-community']


def test_admin_lists_its_own_project_s_community_images(db, world, admin):
    new_image(db, admin, name='admin-community', visibility='community')
    assert 'admin-community' in list_names(db, admin)


@pytest.mark.parametrize('visibility, expected', [
    ('community', ['a-community', 'b-community']),
    ('public', ['a-public', 'b-public']),
    ('private', ['a-private']),
    ('shared', ['a-shared']),
    ('all', ['a-community', 'a-private', 'a-public', 'a-shared', 'b-community', 'b-public']),
])
def test_visibility_filter(db, world, alice, visibility, expected):
    assert list_names(db, alice, {'visibility': visibility}) == expected


def test_unknown_visibility_filter_is_invalid(db, alice):
    with pytest.raises(exceptions.InvalidFilter):
        list_names(db, alice, {'visibility': 'everyone'})


def test_hidden_images_only_when_asked(db, world, alice):
    assert list_names(db, alice, {'os_hidden': True}) == ['a-hidden']
    assert list_names(db, alice, {'os_hidden': 'true'}) == ['a-hidden']
    assert 'a-hidden' not in list_names(db, alice, {'os_hidden': 'false'})


def test_attribute_property_tag_and_size_filters(db, alice):
    new_image(db, alice, name='one', disk_format='qcow2', container_format='bare',
              properties={'os_distro': 'ubuntu'}, tags=['x', 'y'], protected=True)
    new_image(db, alice, name='two', disk_format='raw', properties={'os_distro': 'fedora'},
              tags=['x'])
    new_image(db, alice, name='three', disk_format='raw')
    assert list_names(db, alice, {'disk_format': 'raw'}) == ['three', 'two']
    assert list_names(db, alice, {'disk_format': ['qcow2', 'raw']}) == ['one', 'three', 'two']
    assert list_names(db, alice, {'os_distro': 'ubuntu'}) == ['one']
    assert list_names(db, alice, {'os_distro': 'ubuntu', 'disk_format': 'raw'}) == []
    assert list_names(db, alice, {'tags': ['x']}) == ['one', 'two']
    assert list_names(db, alice, {'tags': ['x', 'y']}) == ['one']
    assert list_names(db, alice, {'protected': 'true'}) == ['one']
    assert list_names(db, alice, {'protected': False}) == ['three', 'two']
    assert list_names(db, alice, {'name': 'two', 'status': 'queued',
                                  'owner': 'project-a'}) == ['two']
    assert list_names(db, alice, {'container_format': 'bare'}) == ['one']


def test_size_filters(db, alice):
    from registry_service import uploads
    from tests.unit.registry.helpers import ready_image
    for name, size in (('small', 10), ('medium', 100), ('big', 1000)):
        image = ready_image(db, alice, name=name)
        uploads.begin(db, alice, image['id'], 60)
        uploads.finish(db, alice, image['id'], 'file:///x', size, 'c' * 32, 'sha512', 'h')
    assert list_names(db, alice, {'size_min': 100}) == ['big', 'medium']
    assert list_names(db, alice, {'size_max': '100'}) == ['medium', 'small']
    assert list_names(db, alice, {'size_min': 11, 'size_max': 999}) == ['medium']
    with pytest.raises(exceptions.InvalidFilter):
        list_names(db, alice, {'size_min': 'big'})


@pytest.mark.parametrize('keys, dirs, error', [
    (['owner'], ['asc'], exceptions.InvalidSortKey),
    (['name'], ['up'], exceptions.InvalidSortDir),
])
def test_bad_sort_arguments(db, alice, keys, dirs, error):
    with pytest.raises(error):
        list_names(db, alice, sort_keys=keys, sort_dirs=dirs)


def test_default_sort_is_newest_first(db, alice):
    for name in ('first', 'second', 'third'):
        new_image(db, alice, name=name)
    result = list_images(db, alice, {}, None, None, None, None)
    assert names(result) == ['third', 'second', 'first']


def test_multi_key_sort_with_created_at_and_id_tie_breakers(db, alice):
    made = [new_image(db, alice, name=name, disk_format=fmt)
            for name, fmt in (('b', 'raw'), ('a', 'raw'), ('c', 'qcow2'), ('a', 'qcow2'))]
    result = list_images(db, alice, {}, None, None, ['disk_format', 'name'],
                                 ['desc', 'asc'])
    assert [(i['disk_format'], i['name']) for i in result] == [
        ('raw', 'a'), ('raw', 'b'), ('qcow2', 'a'), ('qcow2', 'c')]
    same = [new_image(db, alice, name='same') for _ in range(5)]
    # As upstream: created_at, then id, in the (single) given direction break the ties.
    result = list_images(db, alice, {'name': 'same'}, None, None, ['name'], ['asc'])
    assert [i['id'] for i in result] == [i['id'] for i in sorted(
        same, key=lambda i: (i['created_at'], i['id']))]
    result = list_images(db, alice, {'name': 'same'}, None, None, ['name'], ['desc'])
    assert [i['id'] for i in result] == [i['id'] for i in sorted(
        same, key=lambda i: (i['created_at'], i['id']), reverse=True)]
    assert made  # all created


def page_through(db, ctxt, limit, sort_keys, sort_dirs, filters=None):
    pages, marker = [], None
    while True:
        page = list_images(db, ctxt, filters or {}, marker, limit, sort_keys,
                                   sort_dirs)
        if not page:
            return pages
        pages.append(page)
        marker = page[-1]['id']


@pytest.mark.parametrize('sort_keys, sort_dirs', [
    (['created_at'], ['desc']), (['name'], ['asc']), (['name'], ['desc']),
    (['size', 'name'], ['asc', 'desc']), (['disk_format', 'created_at'], ['desc', 'asc']),
    (['status', 'name'], ['asc', 'asc']),
])
def test_marker_paging_visits_every_image_once_in_order(db, alice, sort_keys, sort_dirs):
    # Duplicated and NULL sort values, where naive keyset paging loses or repeats rows.
    for i in range(23):
        new_image(db, alice, name=None if i % 5 == 0 else 'n%d' % (i % 4),
                  disk_format=None if i % 3 == 0 else ['raw', 'qcow2'][i % 2])
    everything = list_images(db, alice, {}, None, None, sort_keys, sort_dirs)
    assert len(everything) == 23
    pages = page_through(db, alice, 4, sort_keys, sort_dirs)
    assert [len(p) for p in pages] == [4, 4, 4, 4, 4, 3]
    assert [i['id'] for p in pages for i in p] == [i['id'] for i in everything]


def test_marker_must_be_a_visible_image(db, alice, bob):
    private = new_image(db, alice, visibility='private')
    with pytest.raises(exceptions.MarkerNotFound):
        list_images(db, bob, {}, private['id'], 10, None, None)
    with pytest.raises(exceptions.MarkerNotFound):
        list_images(db, bob, {}, '00000000-0000-0000-0000-000000000000', 10,
                            None, None)


def test_limit_zero_returns_nothing(db, alice):
    new_image(db, alice)
    assert list_images(db, alice, {}, None, 0, None, None) == []


def test_listing_loads_tags_and_properties_of_each_image(db, alice):
    new_image(db, alice, name='p', properties={'k': 'v'}, tags=['t'])
    new_image(db, alice, name='q')
    result = list_images(db, alice, {}, None, None, ['name'], ['asc'])
    assert [(i['properties'], i['tags']) for i in result] == [({'k': 'v'}, ['t']), ({}, [])]


# -- operators, as upstream reads them ------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('a,b', ['a', 'b']),
    ('"a,b",c', ['a,b', 'c']),
    ('a,"b,c"', ['a', 'b,c']),
    ('one', ['one']),
])
def test_in_list_splits_on_commas_outside_quotes(value, expected):
    assert list_query.split_list(value) == expected


@pytest.mark.parametrize('value', ['a"b",c', '"a"b,c', '"a,b'])
def test_in_list_with_misplaced_quotes_is_invalid(value):
    with pytest.raises(exceptions.InvalidFilter):
        list_query.split_list(value)


def test_bare_iso_time_is_an_equality_not_an_operator():
    assert list_query.split_operator('2020-01-01T10:00:00Z') == ('eq', '2020-01-01T10:00:00Z')
    assert list_query.split_operator('gt:2020-01-01T10:00:00Z') == ('gt', '2020-01-01T10:00:00Z')
    assert list_query.split_operator('plain') == ('eq', 'plain')


def test_in_and_eq_operators_and_unknown_operator(db, alice):
    for name in ('a,b', 'c', 'd'):
        new_image(db, alice, name=name)
    assert list_names(db, alice, {'name': 'in:"a,b",d'}) == ['a,b', 'd']
    assert list_names(db, alice, {'name': 'eq:c'}) == ['c']
    with pytest.raises(exceptions.InvalidFilter):
        list_names(db, alice, {'name': 'like:c'})


def test_time_filters_compare_in_sql(db, alice):
    new_image(db, alice, name='old')
    rows = list_images(db, alice, {}, None, None, ['created_at'], ['asc'])
    stamp = rows[0]['created_at']
    new_image(db, alice, name='new')
    assert list_names(db, alice, {'created_at': 'gt:' + stamp}) == ['new']
    assert list_names(db, alice, {'created_at': 'lte:' + stamp}) == ['old']
    assert list_names(db, alice, {'created_at': 'neq:' + stamp}) == ['new']
    assert list_names(db, alice, {'created_at': stamp}) == ['old']
    assert list_names(db, alice, {'updated_at': 'gte:2000-01-01T00:00:00Z'}) == ['new', 'old']
    for bad in ('gt:yesterday', 'between:2000-01-01T00:00:00Z'):
        with pytest.raises(exceptions.InvalidFilter):
            list_names(db, alice, {'created_at': bad})


def test_integer_filters_and_bad_ranges(db, alice):
    new_image(db, alice, name='small', min_ram=128)
    new_image(db, alice, name='big', min_ram=4096)
    assert list_names(db, alice, {'min_ram': '4096'}) == ['big']
    assert list_names(db, alice, {'min_ram_min': '1000'}) == ['big']
    assert list_names(db, alice, {'min_ram_max': '1000'}) == ['small']
    with pytest.raises(exceptions.InvalidFilter):
        list_names(db, alice, {'size_min': 'ten'})
