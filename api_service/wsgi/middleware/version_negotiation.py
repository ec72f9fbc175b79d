"""Maps /v2.N/... onto the /v2/... routes, as upstream's version negotiation does; any
other path, but the few routes outside the versions, gets the versions document (300)."""

import re

from api_service.http import versions

# DOTALL and \Z: a path with a newline in it (%0A) is still a versioned path (the route
# then answers for it), not a path naming no version.
_VERSIONED_PATH = re.compile(r'^/v(\d+)(?:\.(\d+))?(/.*)?\Z', re.DOTALL)
# Routes that live outside the version prefix.
UNVERSIONED = frozenset(['/', '/versions', '/healthcheck'])


class VersionNegotiationMiddleware:
    def __init__(self, app, cache=False, multi_store=False):
        self.app = app
        # With the image cache on, or several stores, their minors
        # (api_service/http/versions.py) are known too.
        self._minors = versions.known_minors(cache, multi_store)

    def __call__(self, environ, start_response):
        match = _VERSIONED_PATH.match(environ.get('PATH_INFO', ''))
        if match:
            major, minor, rest = match.groups()
            if int(major) == versions.MAJOR and (
                    minor is None or int(minor) in self._minors):
                environ['PATH_INFO'] = '/v%d%s' % (versions.MAJOR, rest or '')
            else:
                # An unknown version gets the list of versions to choose from (300).
                environ['PATH_INFO'] = '/'
        elif (environ.get('PATH_INFO', '').rstrip('/') or '/') not in UNVERSIONED:
            # As upstream: a path naming no version is answered with the versions.
            environ['PATH_INFO'] = '/'
        return self.app(environ, start_response)
