"""Image data as files in one directory (local disk or a shared NFS mount).

A write goes to ``<id>.<worker tag>.<random>.partial`` in the data directory, is fsynced,
and is then renamed to ``<id>``: readers never see a half-written image, and a worker that
dies mid-upload leaves only ``*.partial`` files. glance-api's master removes a dead
worker's at once by their worker tag (remove_partials_of(), called from
api_service/wsgi/worker_deaths.py); remove_stale_partials() recognises the rest (a whole
host died) by their name and age (partial_sweeper.py calls it from every api worker).
"""

import errno
import logging
import os
import time
import uuid
from urllib import parse

from api_service import exceptions
from api_service.services import file_writer
from api_service.services import hashing
from api_service.services import upload_claim
from api_service.stores import base

LOG = logging.getLogger(__name__)

PARTIAL_SUFFIX = '.partial'
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def _translate_write_error(exc):
    if exc.errno in _FULL_ERRNOS:
        return exceptions.StorageFull()
    if exc.errno in _DENIED_ERRNOS:
        return exceptions.StorageWriteDenied()
    return None


def _of_a_live_sibling(name):
    """True for a partial file of a live worker of this glance-api (or of this process)."""
    parts = name.split('.')
    if len(parts) != 4:
        return False
    instance, _, pid = parts[1].rpartition('-')
    if instance != upload_claim.INSTANCE or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        # EPERM: the process exists.
        return True
    return True


class FilesystemStore(base.Store):
    schemes = ('file', 'filesystem')
    capabilities = (base.Capability.READ | base.Capability.READ_OFFSET |
                    base.Capability.WRITE | base.Capability.DELETE |
                    base.Capability.SENDFILE)

    def __init__(self, datadir, hashing_algorithm, file_mode=0o640):
        self.datadir = os.path.abspath(datadir)
        self.hashing_algorithm = hashing_algorithm
        self.file_mode = file_mode
        try:
            os.makedirs(self.datadir, exist_ok=True)
        except OSError as exc:
            # Like glance_store: a store whose data directory cannot be set up still
            # serves what it can read, but refuses writes.
            LOG.error('Filesystem store datadir %s is not usable (%s); the store is '
                      'read-only.', self.datadir, exc)
            self.capabilities = self.capabilities & ~base.Capability.WRITE

    def path_for(self, image_id):
        return os.path.join(self.datadir, image_id)

    def uri_for(self, image_id):
        return 'file://' + self.path_for(image_id)

    @staticmethod
    def path_of(uri):
        parsed = parse.urlsplit(uri)
        return parse.unquote(parsed.netloc + parsed.path)

    def add(self, image_id, chunks):
        if not self.can(base.Capability.WRITE):
            raise exceptions.StorageWriteDenied()
        final_path = self.path_for(image_id)
        partial_path = '%s.%s.%s%s' % (final_path, upload_claim.worker_tag(),
                                        uuid.uuid4().hex, PARTIAL_SUFFIX)
        size = 0
        try:
            with hashing.DualHasher(self.hashing_algorithm) as hasher:
                try:
                    fd = os.open(partial_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                 self.file_mode)
                    with file_writer.SyncingWriter(fd) as out:
                        for chunk in chunks:
                            if not chunk:
                                continue
                            hasher.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
                        out.finish()
                    try:
                        os.rename(partial_path, final_path)
                    except FileNotFoundError as exc:
                        # The sweep of stale partial files (or an operator) took it: the
                        # writes went to a file nobody will ever see.
                        raise exceptions.PartialDataRemoved(image_id=image_id) from exc
                    self._fsync_dir()
                except OSError as exc:
                    translated = _translate_write_error(exc)
                    if translated is None:
                        raise
                    raise translated from exc
                md5_hex, multihash_hex = hasher.hexdigests()
        except BaseException:
            self._remove_quietly(partial_path)
            raise
        return 'file://' + final_path, size, md5_hex, multihash_hex

    def _fsync_dir(self):
        fd = os.open(self.datadir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _remove_quietly(path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            LOG.warning('Could not remove partial image file %s: %s', path, exc)

    def remove_partials_of(self, worker_tag):
        """Remove the partial files of the worker ``worker_tag`` (it died); -> their names."""
        removed = []
        try:
            entries = list(os.scandir(self.datadir))
        except OSError as exc:
            LOG.warning('Cannot list %s to remove the partial uploads of worker %s: %s',
                        self.datadir, worker_tag, exc)
            return removed
        for entry in entries:
            parts = entry.name.split('.')
            if len(parts) != 4 or parts[1] != worker_tag or \
                    not entry.name.endswith(PARTIAL_SUFFIX):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                LOG.warning('Could not remove partial upload %s: %s', entry.path, exc)
                continue
            LOG.warning('Removed %s: partial data of an upload whose api worker died.',
                        entry.path)
            removed.append(entry.name)
        return removed

    def remove_stale_partials(self, max_age, now=None):
        """Remove the partial files not written to for ``max_age`` seconds; -> their names.

        A file of a live worker of this glance-api (same instance in its worker tag) is
        kept whatever its age: its upload is slow, not dead. Several workers (and hosts
        sharing the directory) may sweep at once: a file that vanishes under one of them was
        removed by another, which is what both wanted.
        """
        now = time.time() if now is None else now
        removed = []
        try:
            entries = list(os.scandir(self.datadir))
        except OSError as exc:
            LOG.warning('Cannot list %s to sweep partial uploads: %s', self.datadir, exc)
            return removed
        for entry in entries:
            if not entry.name.endswith(PARTIAL_SUFFIX) or _of_a_live_sibling(entry.name):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
                if not entry.is_file(follow_symlinks=False) or \
                        now - stat.st_mtime < max_age:
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                LOG.warning('Could not remove stale partial upload %s: %s', entry.path, exc)
                continue
            LOG.warning('Removed %s: partial data of an abandoned upload, not written to '
                        'for %.0f s.', entry.path, now - stat.st_mtime)
            removed.append(entry.name)
        return removed

    def open(self, uri):
        path = self.path_of(uri)
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            raise exceptions.StoreDataNotFound(uri=uri) from None
        return f, os.fstat(f.fileno()).st_size

    def delete(self, uri):
        try:
            os.unlink(self.path_of(uri))
        except FileNotFoundError:
            raise exceptions.StoreDataNotFound(uri=uri) from None
