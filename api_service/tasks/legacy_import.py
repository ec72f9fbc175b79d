"""The ``import`` task of POST /v2/tasks (upstream's legacy import): make an image from
``input.image_properties``, fetch ``input.import_from`` over http(s) and upload it through
the normal upload pipeline (api_service/services/upload.py: quotas, size cap, hashing, format
checks), ending with the result ``{'image_id': ...}``.

check_create() refuses at once (400) a source that is not http(s) or, when glance-api has
the import filters (api_service/imports/filtering.py, [import_filtering_opts]), that does not
pass them; the run checks each URL again, redirects included, before requesting it. Any
failure after the image was made deletes it (it has no data: the upload returned it to
queued), so a failed task leaves nothing behind; the task's message says what went wrong.
"""

import logging
from urllib import parse

import requests

from api_service import policy
from api_service.http import image_requests
from api_service.services import upload
from api_service.tasks import runner
from common import exceptions

try:
    from api_service.imports import filtering
except ImportError:  # glance-api without the import API's filters
    filtering = None

LOG = logging.getLogger(__name__)

SCHEMES = ('http', 'https')
REQUIRED_INPUT = ('import_from', 'import_from_format', 'image_properties')
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = 60
# Upstream's image defaults when image_properties is empty.
EMPTY_PROPERTIES_DEFAULTS = {'disk_format': 'qcow2', 'container_format': 'bare'}


class Refused(exceptions.Invalid):
    """import_from is not a URI the legacy import may fetch (400 at create)."""


def check_uri(conf, uri):
    """Refused unless ``uri`` is an http(s) URI passing [import_filtering_opts]."""
    if not uri or not isinstance(uri, str):
        raise Refused('Invalid location: %s' % (uri,))
    scheme = parse.urlsplit(uri).scheme.lower()
    if scheme in ('file', 'filesystem'):
        raise Refused('File based imports are not allowed. Please use a non-local source '
                      'of image data.')
    if scheme not in SCHEMES:
        raise Refused('The given uri is not valid. Please specify a valid uri from the '
                      'following list of supported uri %s' % list(SCHEMES))
    if filtering is not None and hasattr(conf, 'import_filtering_opts'):
        try:
            filtering.check_uri(conf.import_filtering_opts, uri)
        except filtering.Refused as exc:
            raise Refused('URI for legacy import task does not pass filtering: %s' % uri) \
                from exc
    return uri


def check_create(conf, task_input):
    """What POST /v2/tasks checks of an import task's input before it is created."""
    check_uri(conf, (task_input or {}).get('import_from'))


def _timeout(conf):
    opts = getattr(conf, 'import_filtering_opts', None)
    return getattr(opts, 'web_download_timeout', None) or DEFAULT_TIMEOUT


class _Body:
    """A streamed HTTP answer read as a file; a broken transfer is remembered (the upload
    pipeline reports it as a vanished client)."""

    def __init__(self, response):
        self._raw = response.raw
        self.error = None

    def read(self, size):
        try:
            return self._raw.read(size, decode_content=False)
        except Exception as exc:
            self.error = exc
            raise


def _fetch_failed(uri, reason):
    return runner.TaskFailed('The image data at %s could not be fetched: %s' % (uri, reason))


def _reason(url, exc, conf):
    """What went wrong with a request, in a few words (not requests' nested reprs)."""
    host = parse.urlsplit(url).netloc
    if isinstance(exc, requests.Timeout):
        return 'no answer from %s within %d s' % (host, _timeout(conf))
    if isinstance(exc, requests.ConnectionError):
        return 'cannot connect to %s' % host
    return type(exc).__name__


def open_source(conf, uri):
    """The streamed GET of ``uri``, redirects followed (each target checked)."""
    session = requests.Session()
    url = uri
    for _ in range(MAX_REDIRECTS + 1):
        try:
            check_uri(conf, url)
            if filtering is not None and hasattr(conf, 'import_filtering_opts'):
                filtering.check_before_request(conf.import_filtering_opts, url)
        except exceptions.Invalid as exc:
            session.close()
            raise _fetch_failed(uri, exc) from exc
        try:
            response = session.get(url, stream=True, allow_redirects=False,
                                   timeout=_timeout(conf))
        except requests.RequestException as exc:
            session.close()
            raise _fetch_failed(uri, _reason(url, exc, conf)) from exc
        if response.is_redirect:
            url = parse.urljoin(url, response.headers['Location'])
            response.close()
            continue
        if response.status_code != 200:
            response.close()
            session.close()
            raise _fetch_failed(uri, 'HTTP %d %s' % (response.status_code, response.reason))
        return session, response
    session.close()
    raise _fetch_failed(uri, 'more than %d redirects' % MAX_REDIRECTS)


def _length(response):
    try:
        length = int(response.headers['Content-Length'])
    except (KeyError, ValueError):
        return None
    return length if length >= 0 else None


class LegacyImport:
    """The work of one import task (see the module docstring)."""

    def __init__(self, conf, store, schemas, policy_engine):
        self._conf = conf
        self._store = store
        self._schemas = schemas
        self._policy = policy_engine

    def __call__(self, handle):
        task_input = handle.task['input'] or {}
        for key in REQUIRED_INPUT:
            if key not in task_input:
                raise runner.TaskFailed("Input does not contain '%s' field" % key)
        try:
            uri = check_uri(self._conf, task_input['import_from'])
        except Refused as exc:
            raise runner.TaskFailed(exc.msg) from exc
        image = self._create_image(handle, task_input['image_properties'])
        try:
            handle.registry.task_update(handle.context, task_id=handle.task_id,
                                        values={'image_id': image['id']},
                                        holder=handle.holder)
            self._upload(handle, image['id'], uri)
        except BaseException:
            self._delete_image(handle, image['id'])
            raise
        return {'image_id': image['id']}

    def _create_image(self, handle, image_properties):
        ctx = handle.context
        if not isinstance(image_properties, dict):
            raise runner.TaskFailed('image_properties must be an object.')
        body = dict(image_properties) or dict(EMPTY_PROPERTIES_DEFAULTS)
        try:
            values, properties, tags = image_requests.parse_create(body, ctx, self._schemas)
            policy.check_create(self._policy, ctx, values)
            return handle.registry.image_create(ctx, values=values, properties=properties,
                                                tags=tags,
                                                quotas=image_requests.quotas(self._conf))
        except (exceptions.Invalid, exceptions.Forbidden, exceptions.Conflict,
                exceptions.QuotaExceeded) as exc:
            raise runner.TaskFailed('The image could not be created: %s'
                                    % getattr(exc, 'msg', exc)) from exc

    def _upload(self, handle, image_id, uri):
        handle.check()
        session, response = open_source(self._conf, uri)
        body = _Body(response)
        try:
            upload.upload(handle.context, handle.registry, self._store, self._conf, image_id,
                          body, None, expected_size=_length(response))
        except exceptions.GlimpseError as exc:
            if body.error is not None:
                raise _fetch_failed(uri, 'the transfer broke off (%s)' % body.error) from exc
            raise runner.TaskFailed('The image data at %s could not be stored: %s'
                                    % (uri, getattr(exc, 'msg', exc))) from exc
        finally:
            response.close()
            session.close()

    @staticmethod
    def _delete_image(handle, image_id):
        try:
            handle.registry.image_delete(handle.context, image_id=image_id)
        except exceptions.ImageNotFound:
            pass
        except Exception as exc:
            LOG.warning('Task %s: could not delete image %s it made before failing: %s',
                        handle.task_id, image_id, exc)
