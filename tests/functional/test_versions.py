"""Version discovery over real HTTP: what clients probe before anything else."""

import requests

from tests.functional.one_database import database_independent

# What the api answers alone, never asking the registry.
pytestmark = database_independent


def _versions(resp):
    body = resp.json()
    assert isinstance(body['versions'], list) and body['versions']
    return body['versions']


def test_root_answers_300_multiple_choices_with_the_version_list(glance_service):
    resp = requests.get(glance_service.base_url + '/', timeout=10)

    assert resp.status_code == 300
    assert resp.headers['Content-Type'].startswith('application/json')
    ids = {v['id'] for v in _versions(resp)}
    assert 'v2.0' in ids


def test_versions_answers_200_with_one_current_v2_and_links_to_this_endpoint(glance_service):
    resp = requests.get(glance_service.base_url + '/versions', timeout=10)

    assert resp.status_code == 200
    versions = _versions(resp)
    current = [v for v in versions if v['status'] == 'CURRENT']
    assert len(current) == 1
    assert current[0]['id'].startswith('v2.')
    for version in versions:
        assert version['status'] in ('CURRENT', 'SUPPORTED', 'DEPRECATED')
        hrefs = [link['href'] for link in version['links'] if link['rel'] == 'self']
        assert hrefs, version
        assert hrefs[0].rstrip('/').startswith(glance_service.base_url + '/v2')
