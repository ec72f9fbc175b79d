"""The work of one 'api_image_import' task, run by the TaskRunner in a pool thread.

1. the data, into the staging area: already there (glance-direct), downloaded
   (web-download: web_download.py, with the upload's size cap, quota, format checks and the
   optional expected hash), or read from a store holding it (copy-image);
2. the plugins (plugins.py; not for copy-image, as upstream) on the staged file;
3. into each target store in turn: the staged bytes hashed as they go
   (import_store_done records the location, size and hashes; a copy must hash to the
   image's checksum); a store that fails is recorded (import_store_failed) and, with
   all_stores_must_succeed, fails the import;
4. end_import: the lock released, an importing image active, or on failure queued again
   with the data this import wrote removed (the image stays active for copy-image).

The staged data goes in every case. The task's result is {'image_id', 'stores'}; a failure
is TaskFailed with the reason.
"""

import copy
import logging
import os

from api_service.imports import plugins as import_plugins
from api_service.imports import staging as staging_mod
from api_service.imports import web_download
from api_service.services import hashing
from api_service.services import store_acls
from api_service.stores import base as stores_base
from api_service.tasks import runner as task_runner
from common import exceptions

LOG = logging.getLogger(__name__)

COPY_IMAGE = 'copy-image'
WEB_DOWNLOAD = 'web-download'
GLANCE_DIRECT = 'glance-direct'


def elevated(ctx):
    """An admin copy of ``ctx`` (copy-image runs as admin once its policy passed)."""
    admin = copy.copy(ctx)
    admin.is_admin = True
    return admin


class ImportFailed(Exception):
    """The import cannot complete; the message is the task's."""


class ImportWork:
    """What the task runs: ``__call__(task_handle)`` -> the task's result."""

    def __init__(self, parts, ctx, image, task_id, method, stores, all_stores_must_succeed,
                 uri=None, expected_hash=None):
        self.parts = parts          # imports.runtime.ImportParts
        self.ctx = ctx
        self.image = image
        self.image_id = image['id']
        self.task_id = task_id
        self.method = method
        self.stores = stores         # store ids; [None] with one store
        self.all_must_succeed = all_stores_must_succeed
        self.uri = uri
        self.expected_hash = expected_hash
        self._handle = None

    # -- the steps ----------------------------------------------------------------------------

    def _download(self):
        parts = self.parts
        opts = parts.conf.import_filtering_opts
        response, _ = web_download.open_uri(opts, self.uri, resolver=parts.resolver)
        chunks = web_download.chunks(response, parts.chunk_size, opts.web_download_timeout)
        check_hash = None
        if self.expected_hash is not None:
            chunks, check_hash = self.expected_hash.hashing(chunks)
        staged = parts.staging.stage_chunks(self.image, chunks,
                                            budget=self.image.get('upload_budget'))
        if check_hash is not None:
            check_hash()
        return staged

    def _copy_source(self):
        parts = self.parts
        image = parts.registry.image_get(self.ctx, image_id=self.image_id, internal=True)
        store = parts.stores.for_location(image['location'], image.get('store_id'))
        chunks, _ = stores_base.read(store, image['location'], context=self.ctx)
        return parts.staging.stage_chunks(image, chunks, inspect=False)

    def _data(self):
        if self.method == GLANCE_DIRECT:
            if not self.parts.staging.has(self.image_id):
                raise ImportFailed('The staged data of image %s is missing (stage it again).'
                                   % self.image_id)
            # As the stage's inspection found it (a plugin may change it).
            return self.parts.staging.path(self.image_id), self.image.get('virtual_size')
        if self.method == WEB_DOWNLOAD:
            staged = self._download()
            return staged.path, staged.virtual_size
        staged = self._copy_source()
        return staged.path, None

    def _run_plugins(self, job):
        for plugin in self.parts.plugins:
            plugin.run(job)
        if job.properties:
            self.parts.registry.image_update(
                self.ctx, image_id=self.image_id,
                changes=[{'op': 'add', 'path': name, 'value': value}
                         for name, value in sorted(job.properties.items())])

    def _to_store(self, job, store_id):
        parts = self.parts
        store = parts.stores.get(store_id) if store_id else parts.stores.default
        conf = parts.conf
        parts.notifier.import_store_began(self.image)
        with hashing.DualHasher(conf.hashing_algorithm) as hasher:
            # The size is known: a store may choose by it (one Swift object, not segments).
            added = stores_base.add(store, self.image_id, hashing.hashed(
                staging_mod.read_file(job.path, parts.chunk_size), hasher),
                size_hint=os.path.getsize(job.path), context=self.ctx)
            checksum, multihash = hasher.hexdigests()
        if self.method == COPY_IMAGE and checksum != self.image.get('checksum'):
            _delete_quietly(store, added.url, self.ctx)
            raise ImportFailed('The copy in store %s has checksum %s, not the image\'s %s.'
                               % (store_id, checksum, self.image.get('checksum')))
        try:
            self.image = parts.registry.import_store_done(
                self.ctx, image_id=self.image_id, task_id=self.task_id,
                store_id=store.store_id if store_id else (store.store_id or ''),
                location=added.url, size=added.size, checksum=checksum,
                os_hash_algo=conf.hashing_algorithm, os_hash_value=multihash,
                virtual_size=job.virtual_size,
                disk_format=job.disk_format if job.disk_format != self.image.get(
                    'disk_format') else None)
        except BaseException:
            _delete_quietly(store, added.url, self.ctx)
            raise
        parts.notifier.import_store_finished(self.image)

    def _to_stores(self, job):
        done, failures = [], []
        for store_id in self.stores:
            if self._handle is not None:
                # The sweep failed the task and handed the image back: stop here.
                self._handle.check()
            try:
                self._to_store(job, store_id)
                done.append(store_id)
            except (exceptions.Conflict, exceptions.NotFound):
                # The lock was taken over or the image deleted: nothing more to do.
                raise
            except Exception as exc:
                LOG.warning('Import of image %s into store %s failed: %s', self.image_id,
                            store_id, exc)
                failures.append('%s: %s' % (store_id or 'default store', exc))
                if store_id:
                    self.parts.registry.import_store_failed(
                        self.ctx, image_id=self.image_id, task_id=self.task_id,
                        store_id=store_id)
                if self.all_must_succeed:
                    raise ImportFailed('Import of image %s into store %s failed: %s'
                                       % (self.image_id, store_id or 'default', exc)) \
                        from exc
        if not done:
            raise ImportFailed('Import of image %s failed in every store (%s).'
                               % (self.image_id, '; '.join(failures)))
        return done

    # -- the whole --------------------------------------------------------------------------

    def __call__(self, task_handle=None):
        parts = self.parts
        self._handle = task_handle
        try:
            path, virtual_size = self._data()
            job = import_plugins.ImportJob(self.image, path, roles=self.ctx.roles)
            job.virtual_size = virtual_size
            if self.method != COPY_IMAGE:
                self._run_plugins(job)
            done = self._to_stores(job)
        except BaseException as exc:
            if isinstance(exc, task_runner.TaskLost):
                # The registry's sweep already failed the task and released the image;
                # the staged data is the only thing left to this worker.
                parts.staging.remove_all_of(self.image_id)
                raise
            reason = _reason(exc)
            LOG.warning('Import task %s of image %s failed: %s', self.task_id, self.image_id,
                        reason)
            self._end(failed=True)
            parts.staging.remove_all_of(self.image_id)
            parts.notifier.upload_failed(self.image_id, reason)
            raise parts.task_failed(reason) from exc
        parts.staging.remove_all_of(self.image_id)
        ended = self._end(failed=False)
        if ended is not None and ended['status'] == 'active':
            # As upstream on activation (and a copy's new location): the image's readers
            # may read its data in a store keeping per-image lists.
            store_acls.update_acls(self.ctx, parts.registry, parts.stores, ended)
        if ended is not None and ended['status'] == 'active' and self.method != COPY_IMAGE:
            parts.notifier.image('image.activate', ended)
            parts.notifier.image('image.update', ended)
        return {'image_id': self.image_id, 'stores': [s for s in done if s]}

    def _end(self, failed):
        try:
            ended = self.parts.registry.end_import(self.ctx, image_id=self.image_id,
                                                   task_id=self.task_id, failed=failed)
        except Exception as exc:
            # The task's lease sweep hands the image back when this cannot.
            LOG.warning('Could not end the import of image %s: %s', self.image_id, exc)
            return None
        for location in ended.get('removed_locations') or ():
            try:
                store = self.parts.stores.for_location(location['url'],
                                                       location.get('store_id'))
                _delete_quietly(store, location['url'], self.ctx)
            except Exception as exc:
                LOG.warning('Could not remove %s after a failed import: %s',
                            location['url'], exc)
        return ended


def _reason(exc):
    if isinstance(exc, (ImportFailed, web_download.DownloadFailed,
                        import_plugins.PluginFailed)):
        return str(exc)
    if isinstance(exc, exceptions.GlimpseError):
        return '%s: %s' % (type(exc).__name__, exc)
    return 'Import failed: %s: %s' % (type(exc).__name__, exc)


def _delete_quietly(store, url, ctx=None):
    try:
        stores_base.remove(store, url, context=ctx)
    except Exception as exc:
        LOG.warning('Could not remove image data %s: %s', url, exc)
