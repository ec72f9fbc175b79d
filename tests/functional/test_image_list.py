"""Listing over real HTTP: paging by limit + marker through the `next` link, and sorting.

Each test acts as a fresh project and filters on it, so other tests' images never show up.
"""

import urllib.parse

from tests.functional.one_database import database_independent

NAMES = ['delta', 'alpha', 'echo', 'charlie', 'bravo', 'golf', 'foxtrot']


def _create_named(images, names):
    return {images.create_ok(name=name)['id']: name for name in names}


def _follow_pages(images, first_url):
    """Every page from ``first_url`` on, following `next` until it is absent."""
    pages = []
    url = first_url
    while url is not None:
        resp = images.session.get(images.url(url), timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages.append(body)
        url = body.get('next')
        assert len(pages) <= 20, 'paging does not terminate'
    return pages


def test_list_shows_the_images_of_the_project_with_first_and_schema_links(images):
    created = _create_named(images, NAMES[:3])

    resp = images.list(owner=images.project_id)

    assert resp.status_code == 200
    body = resp.json()
    assert {i['id'] for i in body['images']} == set(created)
    assert body['schema'] == '/v2/schemas/images'
    assert body['first'].startswith('/v2/images')
    assert 'next' not in body
    assert all(i['self'] == f'/v2/images/{i["id"]}' for i in body['images'])


def test_list_pages_with_limit_and_marker_until_next_is_absent(images):
    created = _create_named(images, NAMES)
    query = urllib.parse.urlencode({'owner': images.project_id, 'limit': 2})

    pages = _follow_pages(images, f'/v2/images?{query}')

    assert [len(p['images']) for p in pages] == [2, 2, 2, 1]
    seen = [i['id'] for p in pages for i in p['images']]
    assert len(seen) == len(set(seen)), 'an image appeared on two pages'
    assert set(seen) == set(created)
    # `next` keeps the query and points after the last image of its page.
    for page in pages[:-1]:
        params = urllib.parse.parse_qs(urllib.parse.urlparse(page['next']).query)
        assert params['marker'] == [page['images'][-1]['id']]
        assert params['limit'] == ['2']
        assert params['owner'] == [images.project_id]


def test_list_default_order_is_created_at_descending(images):
    _create_named(images, NAMES[:4])

    listed = images.list(owner=images.project_id).json()['images']

    stamps = [i['created_at'] for i in listed]
    assert stamps == sorted(stamps, reverse=True)


def test_list_sorts_by_sort_key_and_sort_dir_across_pages(images):
    _create_named(images, NAMES)

    for sort_dir, expected in (('asc', sorted(NAMES)), ('desc', sorted(NAMES, reverse=True))):
        query = urllib.parse.urlencode({'owner': images.project_id, 'limit': 3,
                                        'sort_key': 'name', 'sort_dir': sort_dir})
        pages = _follow_pages(images, f'/v2/images?{query}')
        assert [i['name'] for p in pages for i in p['images']] == expected, sort_dir


def test_list_with_an_unknown_marker_is_400(images):
    resp = images.list(marker='00000000-0000-0000-0000-000000000000')

    assert resp.status_code == 400


@database_independent
def test_list_with_a_bad_sort_dir_is_400(images):
    assert images.list(sort_key='name', sort_dir='sideways').status_code == 400

