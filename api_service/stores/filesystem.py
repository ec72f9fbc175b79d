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


def parse_datadirs(entries):
    """``filesystem_store_datadirs`` entries (``PATH`` or ``PATH:PRIORITY``) -> [(path,
    priority)], highest priority first. A bad entry is a ValueError naming it."""
    dirs = []
    for entry in entries:
        path, sep, priority = entry.strip().rpartition(':')
        if not sep or not priority.strip().lstrip('-').isdigit():
            path, priority = entry.strip(), '0'
        path = path.strip()
        if not path:
            raise ValueError('empty directory in %r' % entry)
        path = os.path.abspath(path)
        if any(path == known for known, _ in dirs):
            raise ValueError('directory %s is listed twice' % path)
        dirs.append((path, int(priority)))
    return sorted(dirs, key=lambda item: -item[1])


class FilesystemStore(base.Store):
    driver = 'file'
    schemes = ('file', 'filesystem')
    capabilities = (base.Capability.READ | base.Capability.READ_OFFSET |
                    base.Capability.WRITE | base.Capability.DELETE |
                    base.Capability.SENDFILE)

    def __init__(self, datadir=None, store_id=None, description=None, weight=0,
                 datadirs=None, file_perm=0, chunk_size=1024 * 1024):
        """``datadir`` (filesystem_store_datadir) or ``datadirs`` ([(path, priority)], see
        parse_datadirs); ``file_perm`` (filesystem_store_file_perm, octal digits as an int,
        0: the default 0640) the mode of image files."""
        super().__init__(store_id, description, weight)
        self.datadirs = list(datadirs) if datadirs else [(os.path.abspath(datadir), 0)]
        self.datadir = self.datadirs[0][0]
        self.file_mode = int(str(file_perm), 8) if file_perm else 0o640
        self.file_perm_set = bool(file_perm)
        self.chunk_size = chunk_size
        usable = []
        for path, _ in self.datadirs:
            try:
                os.makedirs(path, exist_ok=True)
                usable.append(path)
            except OSError as exc:
                # Like glance_store: a store whose data directory cannot be set up still
                # serves what it can read, but refuses writes.
                LOG.error('Filesystem store datadir %s is not usable (%s); the store is '
                          'read-only.', path, exc)
        if len(usable) < len(self.datadirs):
            self.capabilities = self.capabilities & ~base.Capability.WRITE

    def properties(self):
        # As upstream's stores detail shows a file store.
        return {'data_dir': self.datadir, 'chunk_size': self.chunk_size,
                'thin_provisioning': False}

    def path_for(self, image_id, datadir=None):
        return os.path.join(datadir or self.datadir, image_id)

    def uri_for(self, image_id):
        return 'file://' + self.path_for(image_id)

    @staticmethod
    def path_of(uri):
        parsed = parse.urlsplit(uri)
        return parse.unquote(parsed.netloc + parsed.path)

    def owns(self, url):
        if not super().owns(url):
            return False
        directory = os.path.dirname(self.path_of(url))
        return any(directory == path for path, _ in self.datadirs)

    def _choose_datadir(self, size_hint):
        """The directory of highest priority with room for ``size_hint`` bytes (the most
        free space among equals); the first one when none has room (the write then fails
        with StorageFull)."""
        if len(self.datadirs) == 1:
            return self.datadir
        best = None
        for priority in sorted({p for _, p in self.datadirs}, reverse=True):
            for path, _ in [d for d in self.datadirs if d[1] == priority]:
                try:
                    st = os.statvfs(path)
                except OSError:
                    continue
                free = st.f_bavail * st.f_frsize
                if free >= (size_hint or 0) and (best is None or free > best[1]):
                    best = (path, free)
            if best is not None:
                return best[0]
        return self.datadir

    def add(self, image_id, chunks, size_hint=None):
        self.require(base.Capability.WRITE)
        datadir = self._choose_datadir(size_hint)
        final_path = self.path_for(image_id, datadir)
        partial_path = '%s.%s.%s%s' % (final_path, upload_claim.worker_tag(),
                                        uuid.uuid4().hex, PARTIAL_SUFFIX)
        size = 0
        try:
            try:
                fd = os.open(partial_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             self.file_mode)
                with file_writer.SyncingWriter(fd) as out:
                    if self.file_perm_set:
                        # The umask does not get a say in filesystem_store_file_perm.
                        os.fchmod(fd, self.file_mode)
                    for chunk in chunks:
                        if not chunk:
                            continue
                        out.write(chunk)
                        size += len(chunk)
                    out.finish()
                try:
                    os.rename(partial_path, final_path)
                except FileNotFoundError as exc:
                    # The sweep of stale partial files (or an operator) took it: the
                    # writes went to a file nobody will ever see.
                    raise exceptions.PartialDataRemoved(image_id=image_id) from exc
                self._fsync_dir(datadir)
            except OSError as exc:
                translated = _translate_write_error(exc)
                if translated is None:
                    raise
                raise translated from exc
        except BaseException:
            self._remove_quietly(partial_path)
            raise
        return base.Added('file://' + final_path, size)

    @staticmethod
    def _fsync_dir(datadir):
        fd = os.open(datadir, os.O_RDONLY)
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

    def _entries(self, why):
        """The entries of every data directory (one that cannot be listed is logged)."""
        entries = []
        for path, _ in self.datadirs:
            try:
                entries.extend(os.scandir(path))
            except OSError as exc:
                LOG.warning('Cannot list %s %s: %s', path, why, exc)
        return entries

    def remove_partials_of(self, worker_tag):
        """Remove the partial files of the worker ``worker_tag`` (it died); -> their names."""
        removed = []
        for entry in self._entries('to remove the partial uploads of worker %s' % worker_tag):
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
        for entry in self._entries('to sweep partial uploads'):
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

    def open_file(self, location):
        path = self.path_of(location)
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            raise exceptions.StoreDataNotFound(uri=location) from None
        return f, os.fstat(f.fileno()).st_size

    def get(self, location, offset=0, length=None):
        f, size = self.open_file(location)
        try:
            f.seek(offset)
        except BaseException:
            f.close()
            raise
        return self._chunks(f, length), size

    def _chunks(self, f, length):
        with f:
            while length is None or length > 0:
                data = f.read(self.chunk_size if length is None
                              else min(self.chunk_size, length))
                if not data:
                    return
                if length is not None:
                    length -= len(data)
                yield data

    def delete(self, location):
        try:
            os.unlink(self.path_of(location))
        except FileNotFoundError:
            raise exceptions.StoreDataNotFound(uri=location) from None
