from tests.unit.api.conftest import ALICE


def test_root_answers_300_with_the_versions_document(client):
    response = client.get('/')
    assert response.status_code == 300
    assert response.get_json() == {'versions': [
        {'id': 'v2.17', 'status': 'SUPPORTED',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]},
        {'id': 'v2.12', 'status': 'SUPPORTED',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]},
        {'id': 'v2.7', 'status': 'SUPPORTED',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]},
        {'id': 'v2.6', 'status': 'SUPPORTED',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]},
        {'id': 'v2.1', 'status': 'CURRENT',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]},
        {'id': 'v2.0', 'status': 'SUPPORTED',
         'links': [{'rel': 'self', 'href': 'http://localhost/v2/'}]}]}


def test_versions_answers_200(client):
    response = client.get('/versions')
    assert response.status_code == 200
    assert [v['id'] for v in response.get_json()['versions']] == \
        ['v2.17', 'v2.12', 'v2.7', 'v2.6', 'v2.1', 'v2.0']


def test_public_endpoint_is_used_in_links(conf, registry):
    from api_service.wsgi import app as app_module
    conf.set_override('public_endpoint', 'https://image.example.org/')
    client = app_module.create_app(conf, registry=registry).test_client()
    href = client.get('/versions').get_json()['versions'][0]['links'][0]['href']
    assert href == 'https://image.example.org/v2/'


def test_minor_version_in_path_maps_to_v2(client, create_image):
    image = create_image()
    response = client.get('/v2.0/images/%s' % image['id'], headers=ALICE)
    assert response.status_code == 200
    assert response.get_json()['id'] == image['id']


def test_every_advertised_minor_version_in_path_maps_to_v2(client, create_image):
    image = create_image()
    response = client.get('/v2.1/images/%s' % image['id'], headers=ALICE)
    assert response.status_code == 200
    assert client.get('/v2.2/images/%s' % image['id'], headers=ALICE).status_code == 300


def test_unknown_version_in_path_gets_the_version_choices(client):
    response = client.get('/v3/images')
    assert response.status_code == 300
    assert 'versions' in response.get_json()
