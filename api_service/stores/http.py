"""Image data on a web server, read only (upstream's ``http`` store).

Images live here only by location (an http or https URL someone registered); the store
never writes nor deletes. A read asks for the bytes it needs with a ``Range`` header, so a
range of the image costs only that range; a server that ignores Range (200 with the whole
file) is read from the start and skipped. Redirects are followed up to MAX_REDIRECTS.

Every failure is one of the store contract's errors, so the HTTP table answers it clearly:
a 404 (or 410) at the location is StoreDataNotFound, a server that cannot be reached, a
redirect loop or another error answer is StoreUnreachable (503, as upstream's
RemoteServiceUnavailable).
"""

import logging
import re

import requests

from api_service import exceptions
from api_service.stores import base

LOG = logging.getLogger(__name__)

# As upstream's http store.
MAX_REDIRECTS = 5
# Seconds to connect, and between two reads of the answer.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
CHUNK_SIZE = 64 * 1024
_CONTENT_RANGE = re.compile(r'^bytes\s+(\d+)-(\d+)/(\d+|\*)$')


class HttpStore(base.Store):
    driver = 'http'
    schemes = ('http', 'https')
    capabilities = base.Capability.READ | base.Capability.READ_OFFSET

    def __init__(self, store_id=None, description=None, weight=0, ca_file=None,
                 insecure=True, proxies=None, chunk_size=CHUNK_SIZE):
        super().__init__(store_id=store_id, description=description, weight=weight)
        # https_insecure (upstream's default True) skips the certificate check unless a CA
        # file is given.
        self.verify = ca_file if ca_file else not insecure
        self.proxies = dict(proxies or {})
        self.chunk_size = chunk_size

    def add(self, image_id, chunks, size_hint=None):
        self.require(base.Capability.WRITE)

    def delete(self, location):
        self.require(base.Capability.DELETE)

    def _session(self):
        session = requests.Session()
        session.max_redirects = MAX_REDIRECTS
        session.verify = self.verify
        if self.proxies:
            session.proxies.update(self.proxies)
        return session

    def _request(self, location, headers):
        session = self._session()
        try:
            response = session.get(location, headers=headers, stream=True,
                                   timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        except requests.TooManyRedirects:
            session.close()
            raise exceptions.StoreUnreachable(
                uri=location, reason='more than %d redirects' % MAX_REDIRECTS) from None
        except requests.RequestException as exc:
            session.close()
            raise exceptions.StoreUnreachable(uri=location,
                                              reason=type(exc).__name__) from None
        return session, response

    def size(self, location):
        """The size of the data at ``location`` from a HEAD request's Content-Length, as
        upstream's http store finds it (redirects followed): None when the server does
        not say; StoreDataNotFound for a 404 or 410, StoreUnreachable otherwise."""
        session = self._session()
        try:
            response = session.head(location, headers={'Accept-Encoding': 'identity'},
                                    allow_redirects=True,
                                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        except requests.TooManyRedirects:
            raise exceptions.StoreUnreachable(
                uri=location, reason='more than %d redirects' % MAX_REDIRECTS) from None
        except requests.RequestException as exc:
            raise exceptions.StoreUnreachable(uri=location,
                                              reason=type(exc).__name__) from None
        finally:
            session.close()
        if response.status_code in (404, 410):
            raise exceptions.StoreDataNotFound(uri=location)
        if response.status_code != 200:
            raise exceptions.StoreUnreachable(uri=location,
                                              reason='HTTP %d' % response.status_code)
        declared = response.headers.get('Content-Length', '')
        return int(declared) if declared.isdigit() else None

    def get(self, location, offset=0, length=None):
        headers = {'Accept-Encoding': 'identity'}
        if offset or length is not None:
            last = '' if length is None else str(offset + length - 1)
            headers['Range'] = 'bytes=%d-%s' % (offset, last)
        session, response = self._request(location, headers)
        try:
            skip, size = self._check(location, response, offset, length)
        except BaseException:
            response.close()
            session.close()
            raise
        chunks = self._chunks(location, session, response)
        if skip or (length is not None and response.status_code == 200):
            chunks = base._skipping(chunks, skip, length)
        return chunks, size

    def _check(self, location, response, offset, length):
        """-> (bytes to skip, size of the whole image or None) for a usable answer."""
        status = response.status_code
        if status in (404, 410):
            raise exceptions.StoreDataNotFound(uri=location)
        if status == 416:
            # A range past the end (the data is shorter than the image says).
            raise exceptions.StoreDataNotFound(uri=location)
        if status == 206:
            match = _CONTENT_RANGE.match(response.headers.get('Content-Range', '').strip())
            if not match or int(match.group(1)) != offset:
                raise exceptions.StoreUnreachable(
                    uri=location, reason='an answer for another range than asked')
            size = None if match.group(3) == '*' else int(match.group(3))
            return 0, size
        if status == 200:
            declared = response.headers.get('Content-Length')
            size = int(declared) if declared and declared.isdigit() else None
            return offset, size
        raise exceptions.StoreUnreachable(uri=location, reason='HTTP %d' % status)

    def _chunks(self, location, session, response):
        try:
            for chunk in response.iter_content(self.chunk_size):
                if chunk:
                    yield chunk
        except requests.RequestException as exc:
            raise exceptions.StoreUnreachable(uri=location,
                                              reason=type(exc).__name__) from None
        finally:
            response.close()
            session.close()
