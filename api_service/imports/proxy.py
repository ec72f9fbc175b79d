"""Sending an import to the api worker holding the image's staged data (upstream's
_proxy_request_to_host): the same request, with the caller's token, to
``os_glance_stage_host`` + the path; its answer (status, JSON body, request id) becomes ours.
A worker that cannot be reached is a 503 here.
"""

import logging

import requests

from api_service import exceptions as api_exceptions

LOG = logging.getLogger(__name__)

TIMEOUT = 60
PASSED_HEADERS = ('X-Auth-Token', 'X-Roles', 'X-User-Id', 'X-Project-Id', 'X-Tenant-Id',
                  'X-Identity-Status', 'X-Service-Catalog', 'X-Image-Meta-Store',
                  'X-Openstack-Request-Id', 'Content-Type')


class Proxied:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers


def forward(host, path, body, headers):
    """-> the Proxied answer of ``host`` to POST ``path``; StoreUnreachable (503) when
    the worker cannot be reached."""
    url = host.rstrip('/') + path
    sent = {name: headers[name] for name in PASSED_HEADERS if name in headers}
    LOG.info('Proxying the import to %s, which holds the staged data.', host)
    try:
        answer = requests.post(url, json=body, headers=sent, timeout=TIMEOUT,
                               allow_redirects=False)
    except requests.RequestException as exc:
        raise api_exceptions.StoreUnreachable(
            'The api worker holding the staged data (%s) cannot be reached: %s'
            % (host, exc)) from exc
    kept = {name: value for name, value in answer.headers.items()
            if name.lower() in ('content-type', 'x-openstack-request-id')}
    return Proxied(answer.status_code, answer.content, kept)
