"""The cache's files: ``<image_cache_dir>/<image id>`` holds a complete, verified copy;
``incomplete/<image id>`` one being filled; ``queue/<image id>`` an image queued for caching.

A download of an image that is not cached streams from the store through a FillingReader,
which hands each chunk to a writer thread through a bounded queue: the client never waits
for the cache. A writer that falls behind (md5 and the disk slower than the client) stops
taking the download's chunks and reads the rest from the store itself. The copy is
published (renamed into place) only when every byte went through and the md5 matches the
image's checksum; a client that hangs up early, a short read or a mismatch removes it. The
incomplete file is created with O_EXCL, so one fill per image runs on a node at a time (its
other downloads stream from the store as before).
"""

import hashlib
import io
import logging
import os
import queue
import threading
import time

LOG = logging.getLogger(__name__)

INCOMPLETE = 'incomplete'
QUEUE = 'queue'
# Chunks a fill may hold in memory before it is given up (the writer is too slow).
FILL_QUEUE_CHUNKS = 64
# An incomplete copy unwritten this long belongs to a fill that died with its worker: the
# next download of the image takes its place (image_cache_stall_time is for a clean).
ABANDONED_FILL_SECONDS = 60
_DONE = object()
_ABORT = object()
_CATCH_UP = object()
READ_CHUNK = 1024 * 1024


def _is_image_name(name):
    return len(name) == 36 and name.count('-') == 4


class DiskCache:
    """The files of the cache. ``on_published(image_id, size)`` runs in the fill's writer
    thread once a copy is in place (the registry record is made there)."""

    def __init__(self, directory, on_published=None):
        self.directory = directory
        self.on_published = on_published
        for sub in ('', INCOMPLETE, QUEUE):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)

    # -- paths ------------------------------------------------------------------------

    def path(self, image_id):
        return os.path.join(self.directory, image_id)

    def incomplete_path(self, image_id):
        return os.path.join(self.directory, INCOMPLETE, image_id)

    def queue_path(self, image_id):
        return os.path.join(self.directory, QUEUE, image_id)

    # -- reading ----------------------------------------------------------------------

    def open_cached(self, image_id, size):
        """-> (open file, size) of the cached copy, or None. A copy whose size is not the
        image's is removed (it cannot be the image's data)."""
        path = self.path(image_id)
        try:
            f = open(path, 'rb')  # noqa: SIM115 - the server closes it
        except FileNotFoundError:
            return None
        actual = os.fstat(f.fileno()).st_size
        if size is not None and actual != size:
            f.close()
            LOG.warning('Cached copy of image %s has %d bytes, not %d: removed.',
                        image_id, actual, size)
            self.remove(image_id)
            return None
        try:
            # The access time orders pruning (least recently used first).
            now = time.time()
            os.utime(path, (now, os.stat(path).st_mtime))
        except OSError:
            pass
        return f, actual

    def is_cached(self, image_id):
        return os.path.exists(self.path(image_id))

    def entries(self):
        """-> [{'image_id', 'size', 'last_accessed', 'last_modified'}] of complete copies."""
        found = []
        with os.scandir(self.directory) as it:
            for entry in it:
                if not entry.is_file() or not _is_image_name(entry.name):
                    continue
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                found.append({'image_id': entry.name, 'size': st.st_size,
                              'last_accessed': st.st_atime, 'last_modified': st.st_mtime})
        return found

    def total_size(self):
        return sum(e['size'] for e in self.entries())

    # -- filling ----------------------------------------------------------------------

    def start_fill(self, image_id, size, checksum, reopen=None):
        """-> a Fill, or None when another fill of the image runs (or the cache cannot).
        ``reopen()`` -> (file-like object, size) of the data from its start: a fill that
        falls behind the download reads the rest with it (without it, it gives up)."""
        path = self.incomplete_path(image_id)
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            except FileExistsError:
                try:
                    abandoned = time.time() - os.stat(path).st_mtime > ABANDONED_FILL_SECONDS
                except FileNotFoundError:
                    continue
                if not abandoned:
                    return None
                LOG.info('Taking over the abandoned cache fill of image %s.', image_id)
                self._unlink(path)
                continue
            except OSError as exc:
                LOG.warning('Cannot cache image %s: %s', image_id, exc)
                return None
            return Fill(self, image_id, fd, size, checksum, reopen)
        return None

    def _publish(self, image_id, incomplete, size):
        os.rename(incomplete, self.path(image_id))
        self.remove_queued(image_id)
        LOG.info('Image %s (%d bytes) is now cached.', image_id, size)
        if self.on_published is not None:
            try:
                self.on_published(image_id, size)
            except Exception as exc:
                LOG.warning('Cached image %s, but recording it failed: %s', image_id, exc)

    # -- removing ---------------------------------------------------------------------

    @staticmethod
    def _unlink(path):
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False

    def remove(self, image_id):
        """Remove the cached copy; -> whether there was one."""
        return self._unlink(self.path(image_id))

    def remove_all(self):
        return sum(1 for e in self.entries() if self.remove(e['image_id']))

    def remove_stalled(self, stall_time, now=None):
        """Remove incomplete copies untouched for ``stall_time`` seconds; -> how many."""
        now = time.time() if now is None else now
        removed = 0
        with os.scandir(os.path.join(self.directory, INCOMPLETE)) as it:
            for entry in it:
                try:
                    if now - entry.stat().st_mtime >= stall_time:
                        removed += self._unlink(entry.path)
                except FileNotFoundError:
                    continue
        return removed

    # -- the queue --------------------------------------------------------------------

    def queue(self, image_id):
        """Mark the image queued; -> False when it is cached or queued already."""
        if self.is_cached(image_id):
            return False
        try:
            os.close(os.open(self.queue_path(image_id), os.O_CREAT | os.O_EXCL, 0o640))
        except FileExistsError:
            return False
        return True

    def queued(self):
        paths = []
        with os.scandir(os.path.join(self.directory, QUEUE)) as it:
            for entry in it:
                try:
                    paths.append((entry.stat().st_mtime, entry.name))
                except FileNotFoundError:
                    continue
        return [name for _, name in sorted(paths)]

    def remove_queued(self, image_id):
        return self._unlink(self.queue_path(image_id))

    def remove_all_queued(self):
        return sum(1 for image_id in self.queued() if self.remove_queued(image_id))


class Fill:
    """One copy being written, by a thread of its own, from the chunks given to ``feed``."""

    def __init__(self, cache, image_id, fd, size, checksum, reopen=None):
        self._cache = cache
        self._reopen = reopen
        # The download's chunks are no longer taken; the writer reads the rest itself.
        self._detached = False
        self.image_id = image_id
        self._fd = fd
        self._size = size
        self._checksum = checksum
        self._queue = queue.Queue(maxsize=FILL_QUEUE_CHUNKS)
        self._given_up = False
        self._abandoned = False
        self._own_inode = os.fstat(fd).st_ino
        self.result = None      # 'published', 'removed' once the writer is done
        self._thread = threading.Thread(target=self._write, name='cache-fill-%s' % image_id,
                                        daemon=True)
        self._thread.start()

    def feed(self, chunk):
        if self._given_up or not chunk:
            return
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            # The download never waits for the disk: from here the writer reads the rest
            # from the store itself (or, unable to, gives up after its current chunk).
            self._given_up = True
            if self._reopen is not None:
                LOG.debug('Cache fill of image %s fell behind the download: it reads the '
                          'rest from the store.', self.image_id)
                self._detached = True
            else:
                LOG.info('Cache fill of image %s fell behind the download: given up.',
                         self.image_id)
                self._abandoned = True

    def wait_for_room(self):
        """For a reader nobody waits on (a prefetch): until the writer can take a chunk;
        -> False when the fill was given up."""
        while self._queue.full() and not self._abandoned:
            time.sleep(0.005)
        return not self._abandoned and self.result is None

    def finish(self, complete):
        """The download ended; ``complete``: every byte of the image went through feed()."""
        if self._given_up:
            return
        self._given_up = True
        # Blocks only until the writer takes the marker from a full queue; never on a disk
        # write, since the writer keeps taking.
        self._queue.put(_DONE if complete else _ABORT)

    def abort(self):
        self.finish(False)

    def wait(self, timeout=None):
        self._thread.join(timeout)
        return self.result

    def _write(self):
        path = self._cache.incomplete_path(self.image_id)
        md5 = hashlib.md5(usedforsecurity=False)
        written = 0
        ok = False
        try:
            with os.fdopen(self._fd, 'wb') as out:
                while True:
                    try:
                        item = self._queue.get(timeout=0.05)
                    except queue.Empty:
                        if not self._detached:
                            continue
                        item = _CATCH_UP
                    if item is _ABORT or self._abandoned:
                        break
                    if item is _CATCH_UP:
                        written = self._catch_up(out, md5, written)
                        item = _DONE
                    if item is _DONE:
                        ok = self._verified(written, md5.hexdigest())
                        if ok:
                            out.flush()
                            os.fdatasync(out.fileno())
                            ok = self._still_ours(out, path)
                        break
                    out.write(item)
                    md5.update(item)
                    written += len(item)
            if ok:
                self._cache._publish(self.image_id, path, written)
                self.result = 'published'
                return
        except Exception as exc:
            LOG.warning('Cache fill of image %s failed: %s', self.image_id, exc)
            self._given_up = True
            # Let a reader blocked on put() go on.
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        if self._own_inode is not None:
            try:
                if os.stat(path).st_ino == self._own_inode:
                    DiskCache._unlink(path)
            except FileNotFoundError:
                pass
        self.result = 'removed'

    def _catch_up(self, out, md5, written):
        """Copy the data from byte ``written`` on, read from the store; -> bytes written."""
        f, _ = self._reopen()
        try:
            skip = written
            try:
                f.seek(written)
                skip = 0
            except (OSError, io.UnsupportedOperation, AttributeError):
                pass
            while True:
                data = f.read(READ_CHUNK)
                if not data:
                    return written
                if skip:
                    dropped = min(skip, len(data))
                    skip -= dropped
                    data = data[dropped:]
                    if not data:
                        continue
                out.write(data)
                md5.update(data)
                written += len(data)
        finally:
            f.close()

    def _still_ours(self, out, path):
        # A fill taken over as abandoned must not publish the file that replaced its own.
        try:
            return os.fstat(out.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            return False

    def _verified(self, written, md5_hex):
        if self._size is not None and written != self._size:
            LOG.warning('Cache fill of image %s got %d bytes, not %d: not cached.',
                        self.image_id, written, self._size)
            return False
        if self._checksum and md5_hex != self._checksum:
            LOG.warning('Cache fill of image %s has md5 %s, not %s: not cached.',
                        self.image_id, md5_hex, self._checksum)
            return False
        return True


class FillingReader:
    """The store's file as the download reads it, each chunk also handed to a Fill.

    No fileno(): the server reads it (no sendfile) so the bytes pass through here. The
    fill is complete only when ``size`` bytes were read before close().
    """

    def __init__(self, f, fill, size):
        self._file = f
        self._fill = fill
        self._size = size
        self._read = 0
        self._closed = False

    def fileno(self):
        raise io.UnsupportedOperation('a cache fill reads the data itself')

    def read(self, size=-1):
        data = self._file.read(size)
        if data:
            self._read += len(data)
            self._fill.feed(data)
        return data

    def seek(self, position, whence=os.SEEK_SET):
        # Only a server that rewinds before reading does this; a fill cannot follow.
        if not (position == self._read == 0 and whence == os.SEEK_SET):
            self._fill.abort()
        return self._file.seek(position, whence)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            if self._read == self._size:
                # Anything left unread would make the copy short; the writer checks it.
                self._fill.finish(complete=True)
            else:
                self._fill.abort()
        finally:
            self._file.close()
