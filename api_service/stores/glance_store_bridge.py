"""Upstream glance_store's own drivers behind Glimpse's store contract (base.py).

Glimpse has native drivers where they are tested here and faster (file, swift, s3, http).
Ceph RBD, Cinder and VMware need clusters this machine cannot run, so their stores come
through glance_store's drivers as they are: one driver instance per backend, configured from
glance-api's own oslo.config object and section (``[glance_store]`` in single-store, the
backend's section in multi-store, with ``[backend_defaults]`` behind it as upstream), with the
driver's own options (upstream's names, groups and help texts, since they are its objects).

The bridge only moves bytes: the upload pipeline hashes, caps and checks sizes. glance_store's
calls block; they run in the api worker's thread as they are (workers are threads, not
eventlet). Their libraries (rados/rbd, os-brick, oslo.vmware ...) are the operator's to
install; a missing one stops glance-api at start naming it (``check_libraries``).

``glance_store.file`` is glance_store's file driver through the bridge, in multi-store only
(its options would clash with the native file store's in [glance_store]). It exists to prove
the bridge with a driver that runs here; operators want ``file``.
"""

import dataclasses
import importlib
import logging
import urllib.parse

from oslo_config import cfg

from api_service import exceptions
from api_service.stores import base
from common import exceptions as common_exceptions

LOG = logging.getLogger(__name__)

# glance_store's group whose options back every backend section's (driver.SHARED_CONF_GROUP).
BACKEND_DEFAULTS = 'backend_defaults'


@dataclasses.dataclass(frozen=True)
class Upstream:
    """One glance_store driver: the module of its Store class, the Python libraries it needs
    (import name, what provides it) and its option names (globs, for the start-up audit when
    the module cannot even be imported)."""
    module: str
    libraries: tuple = ()
    option_names: tuple = ()


_CEPH = 'Ceph\'s python3-%s package (not on PyPI)'
# Glimpse's driver name -> the glance_store driver behind it.
UPSTREAM = {
    'rbd': Upstream('glance_store._drivers.rbd',
                    (('rados', _CEPH % 'rados'), ('rbd', _CEPH % 'rbd')),
                    ('rbd_*', 'rados_connect_timeout')),
    'cinder': Upstream('glance_store._drivers.cinder',
                       (('cinderclient', 'python-cinderclient'), ('os_brick', 'os-brick'),
                        ('oslo_privsep', 'oslo.privsep')),
                       ('cinder_*',)),
    'vmware': Upstream('glance_store._drivers.vmware_datastore',
                       (('oslo_vmware', 'oslo.vmware'),), ('vmware_*',)),
    'glance_store.file': Upstream('glance_store._drivers.filesystem'),
}
# Other names a configuration may use for them (upstream's schemes and class paths).
ALIASES = {'vsphere': 'vmware',
           'glance.store.rbd.Store': 'rbd', 'glance_store._drivers.rbd.Store': 'rbd',
           'glance.store.cinder.Store': 'cinder',
           'glance_store._drivers.cinder.Store': 'cinder',
           'glance.store.vmware_datastore.Store': 'vmware',
           'glance_store._drivers.vmware_datastore.Store': 'vmware'}
# Drivers whose options only make sense in a backend's own section (see the docstring).
MULTI_STORE_ONLY = ('glance_store.file',)
# glance_store's drivers hash whatever they write, always; Glimpse's pipeline has hashed it
# already, so the cheapest algorithm keeps that waste small.
_THROWAWAY_HASH = 'md5'


def resolve(name):
    """The bridged driver ``name`` means, or None."""
    name = (name or '').strip()
    name = ALIASES.get(name, name)
    return name if name in UPSTREAM else None


def driver_class(driver):
    """glance_store's Store class of ``driver``; ImportError when its module cannot load
    (the cinder driver's module needs os-brick)."""
    return importlib.import_module(UPSTREAM[driver].module).Store


def missing_libraries(driver):
    """[(import name, what provides it, why it failed)] of the libraries ``driver`` needs
    and this Python cannot import."""
    missing = []
    for name, provider in UPSTREAM[driver].libraries:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append((name, provider, str(exc)))
    return missing


def upstream_opts(driver):
    """glance_store's option objects of ``driver``; [] when its module cannot load."""
    try:
        return list(driver_class(driver).OPTIONS or ())
    except ImportError:
        return []


def single_store_opts():
    """The bridged drivers' options glance_store registers in [glance_store]."""
    return [opt for driver in UPSTREAM if driver not in MULTI_STORE_ONLY
            for opt in upstream_opts(driver)]


def sample_opts():
    """oslo.config.opts entry point (the sample): rbd's and vmware's options. cinder's are
    defined in a module that needs os-brick, so listing them would make the sample depend
    on what is installed."""
    return [('glance_store', upstream_opts('rbd') + upstream_opts('vmware'))]


def unloadable_option_names():
    """{driver: option globs} of the bridged drivers whose module cannot load here (their
    options are then registered nowhere)."""
    out = {}
    for driver, upstream in UPSTREAM.items():
        try:
            driver_class(driver)
        except ImportError:
            out[driver] = upstream.option_names
    return out


def register_opts(conf, driver, group, strict=True):
    """Register ``driver``'s options in ``group`` and in [backend_defaults], as glance_store
    does. An option glance-api registered under the same name with another meaning cannot
    be the driver's: ConfigurationError when ``strict``, else left as it is."""
    for opt in upstream_opts(driver):
        for where in dict.fromkeys((group, BACKEND_DEFAULTS)):
            try:
                conf.register_opt(opt, group=where)
            except cfg.DuplicateOptError:
                if not strict:
                    continue
                raise exceptions.ConfigurationError(
                    '[%s] %s: glance-api already has an option of that name, so the '
                    'glance_store driver "%s" cannot be configured in this section.'
                    % (where, opt.name, driver)) from None


def _read_all_options(conf, driver, group):
    """Read every option of the driver once, so a value of the wrong type stops the start
    instead of a request (oslo.config checks values when they are read)."""
    for opt in upstream_opts(driver):
        for where in dict.fromkeys((group, BACKEND_DEFAULTS)):
            getattr(getattr(conf, where), opt.dest)


def _capabilities(upstream_driver):
    from glance_store import capabilities as gs_caps
    caps = base.Capability.NONE
    if upstream_driver.is_capable(gs_caps.BitMasks.READ_ACCESS):
        caps |= base.Capability.READ
    # Glimpse asks for a range with an offset and a length: upstream's READ_RANDOM.
    if upstream_driver.is_capable(gs_caps.BitMasks.READ_RANDOM):
        caps |= base.Capability.READ_OFFSET
    # glance_store deletes only with write access.
    if upstream_driver.is_capable(gs_caps.BitMasks.WRITE_ACCESS):
        caps |= base.Capability.WRITE | base.Capability.DELETE
    return caps


def make_driver(conf, driver, group, where):
    """A configured glance_store driver for ``driver``, its options in ``group`` (None in
    single-store); -> the upstream Store. ``where`` names the option that enabled it, for
    the messages. Every failure is a ConfigurationError naming it: a missing library, a
    configuration glance_store rejects, a cluster it cannot reach at start."""
    missing = missing_libraries(driver)
    if missing:
        raise exceptions.ConfigurationError(
            '%s: the store driver "%s" is not available: glance_store\'s %s driver needs '
            'the Python %s %s, which glance-api cannot import (%s). Install %s, or remove '
            '"%s" from %s.' % (
                where, driver, driver,
                'library' if len(missing) == 1 else 'libraries',
                ', '.join(name for name, _, _ in missing),
                '; '.join(reason for _, _, reason in missing),
                ' and '.join(provider for _, provider, _ in missing), driver, where))
    section = group or 'glance_store'
    if group is None and driver in MULTI_STORE_ONLY:
        raise exceptions.ConfigurationError(
            '%s: "%s" is only available as a backend of [DEFAULT] enabled_backends; use '
            '"file" here.' % (where, driver))
    try:
        cls = driver_class(driver)
    except ImportError as exc:
        raise exceptions.ConfigurationError(
            '%s: glance_store\'s %s driver cannot be loaded: %s.' % (where, driver, exc)
        ) from None
    register_opts(conf, driver, section)
    from glance_store import exceptions as gs_exceptions
    try:
        _read_all_options(conf, driver, section)
        upstream = cls(conf, backend=group)
        upstream.configure(re_raise_bsc=True)
    except cfg.Error as exc:
        raise exceptions.ConfigurationError('[%s] %s' % (section, exc)) from None
    except gs_exceptions.GlanceStoreException as exc:
        raise exceptions.ConfigurationError(
            '[%s]: glance_store\'s %s driver refuses its configuration: %s'
            % (section, driver, _text(exc))) from None
    except Exception as exc:
        # A cluster unreachable at start, a library failing inside: upstream's start
        # fails as well; here it says where.
        raise exceptions.ConfigurationError(
            '[%s]: glance_store\'s %s driver could not be configured (%s: %s).'
            % (section, driver, type(exc).__name__, _text(exc))) from None
    return upstream


def store_from_options(driver, conf, group, section, store_id, description=None, weight=0,
                       make=None):
    """The catalog's factory for a bridged ``driver`` (bind ``driver`` first): its store
    from the options of ``group`` ('glance_store' in single-store, else the backend's id).
    ``make`` (catalog.check) gets the store's id in place of a store, once the driver has
    been configured."""
    single = group == 'glance_store'
    where = ('[glance_store] stores' if single
             else '[DEFAULT] enabled_backends (backend %s)' % store_id)
    upstream = make_driver(conf, driver, None if single else group, where)
    if make is not None:
        return make(store_id=store_id, description=description, weight=weight)
    return GlanceStoreDriver(upstream, driver, store_id=store_id, description=description,
                             weight=weight)


def _text(exc):
    return getattr(exc, 'msg', None) or str(exc) or type(exc).__name__


class _ChunksFile:
    """An upload's chunks as the file glance_store's add() reads: read(n) gives n bytes
    (fewer only at the end), b'' at the end. What the chunks raise (the client went away,
    the size cap ...) is kept, so the bridge raises it rather than the driver's wrapping."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._current = memoryview(b'')
        self._at = 0
        self.failure = None
        self.bytes_read = 0

    def _next_chunk(self):
        try:
            chunk = next(self._chunks)
        except StopIteration:
            return False
        except BaseException as exc:
            self.failure = exc
            raise
        self._current, self._at = memoryview(chunk), 0
        return True

    def read(self, size=-1):
        pieces = []
        wanted = size if size is not None and size >= 0 else None
        while wanted is None or wanted > 0:
            left = len(self._current) - self._at
            if left == 0:
                if not self._next_chunk():
                    break
                continue
            take = left if wanted is None else min(left, wanted)
            pieces.append(self._current[self._at:self._at + take])
            self._at += take
            if wanted is not None:
                wanted -= take
        data = b''.join(pieces)
        self.bytes_read += len(data)
        return data


class GlanceStoreDriver(base.Store):
    """One glance_store driver instance as a Glimpse store. ``upstream`` is the configured
    glance_store Store; ``driver`` the Glimpse name it was configured under."""

    # glance_store's calls take the request's context (the cinder driver uses its token
    # and catalog unless cinder_store_* credentials are set); None without a request.
    takes_context = True

    def __init__(self, upstream, driver, store_id=None, description=None, weight=0):
        self.driver = driver
        super().__init__(store_id=store_id, description=description, weight=weight)
        self.upstream = upstream
        self.schemes = tuple(upstream.get_schemes())
        self.capabilities = _capabilities(upstream)
        from glance_store import exceptions as gs_exceptions
        self._gs = gs_exceptions

    def properties(self):
        # As upstream's GET /v2/info/stores/detail shows these drivers.
        up = self.upstream
        conf = getattr(up, 'store_conf', None)
        if self.driver == 'rbd':
            prefix = urllib.parse.urlsplit(up.url_prefix or 'rbd://')
            return {'chunk_size': getattr(up, 'chunk_size', None),
                    'pool': getattr(up, 'pool', None),
                    'thin_provisioning': getattr(up, 'thin_provisioning', False),
                    'fsid': urllib.parse.unquote(prefix.netloc) or None}
        if self.driver == 'cinder':
            return {'volume_type': getattr(conf, 'cinder_volume_type', None),
                    'use_multipath': getattr(conf, 'cinder_use_multipath', False)}
        if self.driver == 'glance_store.file':
            return {'data_dir': up.datadir, 'chunk_size': up.chunk_size,
                    'thin_provisioning': up.thin_provisioning}
        return {}

    def _location(self, url):
        from glance_store import location as gs_location
        scheme = url.partition(':')[0]
        if scheme not in self.schemes:
            raise exceptions.StoreDataNotFound(uri=url)
        try:
            return gs_location.Location(scheme, self.upstream.get_store_location_class(),
                                        self.upstream.conf, uri=url,
                                        backend=self.upstream.backend_group)
        except self._gs.GlanceStoreException as exc:
            raise self._translated(exc, url) from None

    def _translated(self, exc, url=None):
        """The api_service.exceptions error meaning the glance_store error ``exc``."""
        gs = self._gs
        if isinstance(exc, (gs.NotFound, gs.BadStoreUri)):
            return exceptions.StoreDataNotFound(uri=url)
        if isinstance(exc, gs.StorageFull):
            return exceptions.StorageFull()
        if isinstance(exc, gs.StorageWriteDenied):
            return exceptions.StorageWriteDenied()
        if isinstance(exc, gs.Duplicate):
            return common_exceptions.Duplicate(
                'The store %s already holds data of this image.' % self.store_id)
        if isinstance(exc, gs.StoreAddDisabled):
            return exceptions.StoreReadOnly(store=self.store_id)
        if isinstance(exc, gs.StoreDeleteNotSupported):
            return exceptions.StoreCapabilityMissing(store=self.store_id,
                                                     what='delete image data')
        if isinstance(exc, gs.StoreGetNotSupported):
            return exceptions.StoreCapabilityMissing(store=self.store_id,
                                                     what='read image data')
        # BadStoreConfiguration at run time, BackendException, a remote service down,
        # authentication failed, a timeout, data in use (HasSnapshot, InUseByStore) ...
        return exceptions.StoreUnavailable(store=self.store_id, reason=_text(exc))

    def _call(self, url, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (self._gs.GlanceStoreException, self._gs.BackendException) as exc:
            raise self._translated(exc, url) from exc

    def add(self, image_id, chunks, size_hint=None, context=None):
        self.require(base.Capability.WRITE)
        source = _ChunksFile(chunks)
        try:
            url, size, _, _, metadata = self.upstream.add(
                image_id, source, size_hint or 0, _THROWAWAY_HASH, context=context)
        except BaseException as exc:
            if source.failure is not None and source.failure is not exc:
                # The driver wrapped what the pipeline raised; the pipeline's error says
                # what happened (the client left, the size cap ...).
                raise source.failure from None
            if isinstance(exc, (self._gs.GlanceStoreException, self._gs.BackendException)):
                raise self._translated(exc) from exc
            raise
        return base.Added(url=url, size=size, metadata=dict(metadata or {}))

    def get(self, location, offset=0, length=None, context=None):
        self.require(base.Capability.READ)
        ctx = context
        where = self._location(location)
        ranged = self.can(base.Capability.READ_OFFSET) and (offset or length is not None)
        if not ranged:
            chunks, size = self._call(location, self.upstream.get, where, context=ctx)
            if offset or length is not None:
                return base._skipping(self._guarded(chunks, location), offset, length), size
            return self._guarded(chunks, location), size
        # With a length glance_store answers the length, not the image's size.
        size = None
        if length is not None:
            size = self._call(location, self.upstream.get_size, where, context=ctx)
        chunks, answered = self._call(location, self.upstream.get, where, offset=offset,
                                      chunk_size=length or None, context=ctx)
        if length is not None:
            return base._skipping(self._guarded(chunks, location), 0, length), size
        return self._guarded(chunks, location), answered

    def _guarded(self, chunks, url):
        """``chunks`` with glance_store's errors while streaming translated."""
        try:
            yield from chunks
        except (self._gs.GlanceStoreException, self._gs.BackendException) as exc:
            raise self._translated(exc, url) from exc
        finally:
            close = getattr(chunks, 'close', None)
            if close is not None:
                close()

    def delete(self, location, context=None):
        if not self.can(base.Capability.DELETE):
            raise exceptions.StoreCapabilityMissing(store=self.store_id,
                                                    what='delete image data')
        where = self._location(location)
        self._call(location, self.upstream.delete, where, context=context)
