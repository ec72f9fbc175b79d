"""web-download: the bytes at ``method.uri``, fetched with every filter applied.

Each request (the first and each redirect, followed by hand up to MAX_REDIRECTS) is
checked first with filtering.check_before_request (scheme, host, port, and the addresses
the host resolves to). Connecting and each read wait at most [import_filtering_opts]
web_download_timeout seconds. An answer other than 200 fails the download saying which.
"""

import hashlib
import logging
from urllib import parse

import requests

from api_service.imports import filtering

LOG = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class DownloadFailed(Exception):
    """The download cannot give the image's data; the message says why (the task's)."""


def _redact(uri):
    """The URI without credentials, for messages."""
    parsed = parse.urlsplit(uri)
    if parsed.username or parsed.password:
        netloc = parsed.hostname + (':%d' % parsed.port if parsed.port else '')
        return parse.urlunsplit(parsed._replace(netloc=netloc))
    return uri


def open_uri(opts, uri, resolver=filtering.resolve, session=None):
    """-> (response, final uri) for a 200 answer, the body not yet read; DownloadFailed or
    filtering.Refused otherwise."""
    session = session or requests.Session()
    timeout = opts.web_download_timeout
    for _ in range(MAX_REDIRECTS + 1):
        filtering.check_before_request(opts, uri, resolver)
        try:
            response = session.get(uri, stream=True, allow_redirects=False,
                                   timeout=(timeout, timeout))
        except requests.Timeout as exc:
            raise DownloadFailed('web-download of %s timed out after %d s '
                                 '([import_filtering_opts] web_download_timeout).'
                                 % (_redact(uri), timeout)) from exc
        except requests.RequestException as exc:
            raise DownloadFailed('web-download of %s failed: %s'
                                 % (_redact(uri), exc)) from exc
        if response.status_code in REDIRECTS and response.headers.get('Location'):
            response.close()
            uri = parse.urljoin(uri, response.headers['Location'])
            continue
        if response.status_code != 200:
            response.close()
            raise DownloadFailed('web-download of %s failed: the server answered %d %s.'
                                 % (_redact(uri), response.status_code, response.reason))
        return response, uri
    raise DownloadFailed('web-download of %s: more than %d redirects.'
                         % (_redact(uri), MAX_REDIRECTS))


def chunks(response, chunk_size, timeout):
    """The body of ``response`` in chunks; DownloadFailed when it stalls or breaks."""
    try:
        for chunk in response.iter_content(chunk_size):
            if chunk:
                yield chunk
    except requests.exceptions.ConnectionError as exc:
        if 'timed out' in str(exc).lower():
            raise DownloadFailed('web-download stalled: no data for %d s '
                                 '([import_filtering_opts] web_download_timeout).'
                                 % timeout) from exc
        raise DownloadFailed('web-download broke off: %s' % exc) from exc
    except requests.RequestException as exc:
        raise DownloadFailed('web-download broke off: %s' % exc) from exc
    finally:
        response.close()


class ExpectedHash:
    """The hash the request says the data has (Glimpse's ``method.expected_hash``):
    "ALGORITHM:HEXDIGEST" (any hashlib algorithm, e.g. sha256:...) or a bare hex digest
    of [DEFAULT] hashing_algorithm."""

    def __init__(self, value, default_algorithm):
        if not isinstance(value, str) or not value.strip():
            raise ValueError('method.expected_hash must be a string "ALGORITHM:HEXDIGEST".')
        algorithm, sep, digest = value.strip().partition(':')
        if not sep:
            algorithm, digest = default_algorithm, value.strip()
        algorithm = algorithm.lower()
        if algorithm not in hashlib.algorithms_available:
            raise ValueError('method.expected_hash: unknown hash algorithm %r.' % algorithm)
        digest = digest.lower()
        if not digest or any(c not in '0123456789abcdef' for c in digest) or \
                len(digest) != hashlib.new(algorithm).digest_size * 2:
            raise ValueError('method.expected_hash: %r is not a %s hex digest.'
                             % (digest, algorithm))
        self.algorithm, self.digest = algorithm, digest

    def hashing(self, chunks):
        """-> (chunks passed on, a function checking the digest once they are through)."""
        hasher = hashlib.new(self.algorithm)

        def passing():
            for chunk in chunks:
                hasher.update(chunk)
                yield chunk

        def check():
            got = hasher.hexdigest()
            if got != self.digest:
                raise DownloadFailed('The downloaded data does not have the expected hash: '
                                     '%s is %s, the request expected %s.'
                                     % (self.algorithm, got, self.digest))
        return passing(), check
