"""The staging area: where image data waits between its arrival and its import.

A filesystem store of its own: the reserved ``os_glance_staging_store`` with several stores
([os_glance_staging_store] filesystem_store_datadir), ``[DEFAULT] node_staging_uri``
(file:///DIR) otherwise; an image's staged data is the file named by its id, as upstream.

PUT /v2/images/{id}/stage is a plain upload (api_service/services/upload.py, with its
hashing, size cap, storage quota, format inspection, lease and cleanup) into this store,
whose registry calls are the staging ones (StageCalls: begin_stage ... abort_stage):
queued -> uploading, and back to queued with no file left when anything fails.
A web-download or a copy fills it with stage_chunks(): the same checks, with no lease of
its own (its task holds one).
"""

import logging
import os
from urllib import parse

from api_service import exceptions as api_exceptions
from api_service.services import format_inspection
from api_service.services import hashing
from api_service.services import upload
from api_service.stores import base
from api_service.stores import filesystem

LOG = logging.getLogger(__name__)

STORE_ID = 'os_glance_staging_store'


def staging_dir(conf):
    """The staging directory the configuration names; ConfigurationError when
    node_staging_uri is not file:///ABSOLUTE-PATH."""
    if conf.enabled_backends:
        return conf.os_glance_staging_store.filesystem_store_datadir
    uri = conf.node_staging_uri or ''
    parsed = parse.urlsplit(uri)
    if parsed.scheme != 'file' or parsed.netloc or not parsed.path.startswith('/'):
        raise api_exceptions.ConfigurationError(
            '[DEFAULT] node_staging_uri = %s: it must be file:// followed by an absolute '
            'directory path.' % uri)
    return parsed.path


class StageCalls:
    """The registry as upload.upload() sees it, answering with the staging calls: the
    same lease and claim, but queued -> uploading, and the image left uploading with its
    staged data (and the host holding it) when the bytes are in."""

    def __init__(self, registry, stage_host=None):
        self._registry = registry
        self._stage_host = stage_host

    def begin_upload(self, ctxt, **kwargs):
        return self._registry.begin_stage(ctxt, **kwargs)

    def renew_upload(self, ctxt, *, image_id, lease_seconds, upload_token=None):
        return self._registry.renew_stage(ctxt, image_id=image_id,
                                          lease_seconds=lease_seconds,
                                          upload_token=upload_token)

    def abort_upload(self, ctxt, *, image_id, upload_token=None):
        return self._registry.abort_stage(ctxt, image_id=image_id, upload_token=upload_token)

    def finish_upload(self, ctxt, *, image_id, size, upload_token=None, virtual_size=None,
                      **_hashes):
        # The hashes are the staged bytes'; the import computes the stored data's own.
        return self._registry.finish_stage(ctxt, image_id=image_id, size=size,
                                           upload_token=upload_token,
                                           stage_host=self._stage_host,
                                           virtual_size=virtual_size)


class Staged:
    """What stage_chunks() wrote: ``path``, ``size``, md5 ``checksum``, ``multihash``,
    ``virtual_size`` (None when not inspected)."""

    def __init__(self, path, size, checksum, multihash, virtual_size):
        self.path, self.size, self.checksum = path, size, checksum
        self.multihash, self.virtual_size = multihash, virtual_size


class Staging:
    def __init__(self, conf, store=None):
        self.conf = conf
        self.store = store or filesystem.FilesystemStore(
            datadir=staging_dir(conf), store_id=STORE_ID,
            chunk_size=conf.glance_store.filesystem_store_chunk_size)

    def path(self, image_id):
        return self.store.path_for(image_id)

    def has(self, image_id):
        return os.path.isfile(self.path(image_id))

    def stage_request(self, ctx, registry, image_id, stream, content_length,
                      expected_size=None, stage_host=None):
        """PUT /stage: the request body into the staging area (see the module doc)."""
        return upload.upload(ctx, StageCalls(registry, stage_host), self.store, self.conf,
                             image_id, stream, content_length, expected_size)

    def stage_chunks(self, image, chunks, budget=None, inspect=True):
        """Write ``chunks`` as ``image``'s staged data with the upload's checks (size cap,
        quota ``budget``, format inspection when ``inspect``); -> Staged. On failure
        nothing is left."""
        conf = self.conf
        cap = conf.image_size_cap
        inspection = format_inspection.for_image(conf, image) if inspect else None
        chunks = _limited(chunks, cap, budget)
        if inspection is not None:
            chunks = inspection.wrap(chunks)
        with hashing.DualHasher(conf.hashing_algorithm) as hasher:
            added = self.store.add(image['id'], hashing.hashed(chunks, hasher))
            checksum, multihash = hasher.hexdigests()
        try:
            virtual_size = inspection.verdict() if inspection is not None else None
        except BaseException:
            self.remove(image['id'])
            raise
        return Staged(self.store.path_of(added.url), added.size, checksum, multihash,
                      virtual_size)

    def remove(self, image_id, suffix=''):
        """Remove the image's staged data (and a plugin's ``suffix``ed file); True if there
        was some."""
        try:
            os.unlink(self.path(image_id) + suffix)
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            LOG.warning('Could not remove the staged data of image %s: %s', image_id, exc)
            return False

    def image_ids(self):
        """The ids of the images with staged files (plugins' outputs included)."""
        try:
            names = os.listdir(self.store.datadir)
        except OSError:
            return set()
        return {name.split('.', 1)[0] for name in names
                if not name.endswith(filesystem.PARTIAL_SUFFIX)}

    def remove_all_of(self, image_id):
        """Every staged file of ``image_id`` (its data and any plugin output)."""
        remove_files(self.store.datadir, image_id)


def remove_files(directory, image_id):
    """The staged files of ``image_id`` in ``directory`` (a partial one is its upload's
    to remove); nothing when the directory does not exist."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name == image_id or name.startswith(image_id + '.'):
            if name.endswith(filesystem.PARTIAL_SUFFIX):
                continue
            try:
                os.unlink(os.path.join(directory, name))
            except OSError as exc:
                LOG.warning('Could not remove staged file %s: %s', name, exc)


def _limited(chunks, cap, budget):
    """``chunks`` within the size cap (413) and the storage quota's ``budget``."""
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > cap:
            raise api_exceptions.ImageSizeLimitExceeded(cap=cap)
        if budget is not None and received > budget:
            raise upload._quota_exceeded(budget)
        yield chunk


def read_file(path, chunk_size):
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                return
            yield chunk


def require_writable(store):
    store.require(base.Capability.WRITE)
