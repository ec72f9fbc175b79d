"""A thin requests wrapper over the Images API v2, acting as one project.

It returns raw responses: tests assert status codes, headers and bodies themselves.
"""

import requests

from tests.functional import daemons

JSON_PATCH = 'application/openstack-images-v2.1-json-patch'
# Every request is bounded: a hang is a failure, never a stuck test run.
TIMEOUT = 30


class ImagesApi:
    def __init__(self, base_url, project_id, roles='member,reader'):
        self.base_url = base_url
        self.project_id = project_id
        self.session = requests.Session()
        self.session.headers.update(daemons.project_headers(project_id, roles=roles))

    def url(self, path):
        return self.base_url + path

    def request(self, method, path, **kwargs):
        kwargs.setdefault('timeout', TIMEOUT)
        return self.session.request(method, self.url(path), **kwargs)

    # -- metadata --------------------------------------------------------------------------

    def create(self, /, **body):
        return self.request('POST', '/v2/images', json=body)

    def create_ok(self, /, **body):
        """Create and return the image dict; fails the test on anything but 201."""
        body.setdefault('disk_format', 'raw')
        body.setdefault('container_format', 'bare')
        resp = self.create(**body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def show(self, image_id):
        return self.request('GET', f'/v2/images/{image_id}')

    def list(self, **params):
        return self.request('GET', '/v2/images', params=params)

    def patch(self, image_id, ops, content_type=JSON_PATCH):
        return self.request('PATCH', f'/v2/images/{image_id}', json=ops,
                            headers={'Content-Type': content_type})

    def delete(self, image_id):
        return self.request('DELETE', f'/v2/images/{image_id}')

    # -- data ------------------------------------------------------------------------------

    def upload(self, image_id, data, headers=None):
        """PUT the bytes; ``data`` as bytes sends Content-Length, a generator goes chunked."""
        hdrs = {'Content-Type': 'application/octet-stream', **(headers or {})}
        return self.request('PUT', f'/v2/images/{image_id}/file', data=data, headers=hdrs)

    def download(self, image_id, **kwargs):
        return self.request('GET', f'/v2/images/{image_id}/file', **kwargs)
