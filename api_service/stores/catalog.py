"""The configured stores, keyed by backend id: which one takes new data, which one serves a
location.

Two ways to configure them, both as upstream Glance reads them:

- single-store: ``[glance_store] stores`` (the drivers) and ``default_store``; the store's
  id is its driver name ("file") and its options live in ``[glance_store]``;
- multi-store: ``[DEFAULT] enabled_backends = fast:file, cold:file`` and ``[glance_store]
  default_backend``; each backend has its own section (``[fast]``) with
  ``store_description``, ``weight`` and its driver's options.

A configuration Glimpse cannot serve (an unknown driver, one not available yet, a default
that names no store, a bad option value) is a ConfigurationError that names the option, so
glance-api (and glance-scrubber) stop at start instead of failing requests later.
"""

import functools
import logging
import os
import tempfile

from oslo_config import cfg

from api_service import config
from api_service import exceptions
from api_service.stores import filesystem
from api_service.stores import glance_store_bridge
from api_service.stores import http
from api_service.stores import s3
from api_service.stores import swift

LOG = logging.getLogger(__name__)

# driver name -> its Store class (one module each).
DRIVERS = {'file': filesystem.FilesystemStore, 'http': http.HttpStore,
           'swift': swift.SwiftStore, 's3': s3.S3Store}
# Other names a configuration may use for a driver.
ALIASES = {'filesystem': 'file', 'glance.store.filesystem.Store': 'file',
           'glance_store._drivers.filesystem.Store': 'file', 'https': 'http',
           'glance.store.http.Store': 'http', 'glance_store._drivers.http.Store': 'http',
           'swift+config': 'swift', 'swift+http': 'swift', 'swift+https': 'swift',
           'glance.store.swift.Store': 'swift', 'glance_store._drivers.swift.Store': 'swift',
           's3+http': 's3', 's3+https': 's3', 'glance.store.s3.Store': 's3',
           'glance_store._drivers.s3.Store': 's3'}
# Upstream's sheepdog driver, which upstream itself removed: refused by name.
NOT_AVAILABLE_YET = ('sheepdog',)
MiB = 1024 * 1024
# Backend ids upstream reserves for its own internal stores.
RESERVED_PREFIX = 'os_glance_'


class StoreCatalog:
    def __init__(self, stores, default):
        """``stores``: the Store objects (ids unique); ``default``: the one taking new data
        (a Store or its id)."""
        self._by_id = {}
        for store in stores:
            if store.store_id in self._by_id:
                raise exceptions.ConfigurationError('Two stores have the id %s.'
                                                    % store.store_id)
            self._by_id[store.store_id] = store
        self.default = self._by_id[default] if isinstance(default, str) else default
        self._by_id.setdefault(self.default.store_id, self.default)

    def all(self):
        """Every configured store, once, the default first."""
        return [self.default] + [s for s in self._by_id.values() if s is not self.default]

    def ids(self):
        return list(self._by_id)

    def get(self, store_id):
        try:
            return self._by_id[store_id]
        except KeyError:
            raise exceptions.UnknownStore(store=store_id) from None

    def weight_of(self, store_id):
        """The weight ([<backend>] weight) of store ``store_id``; 0 for none or a store
        this catalog does not know, as upstream."""
        store = self._by_id.get(store_id) if store_id is not None else None
        return store.weight if store is not None else 0

    def by_weight(self, items, store_id_of=None):
        """``items`` (store ids, or anything ``store_id_of`` gives the store id of) with
        the highest store weight first; equal weights keep their order (a stable sort, as
        upstream's sort_image_locations)."""
        def weight(item):
            return -self.weight_of(store_id_of(item) if store_id_of else item)
        return sorted(items, key=weight)

    def for_location(self, url, store_id=None):
        """The store holding ``url``: by ``store_id`` when the location has one this catalog
        knows, else the store that recognises the url (locations recorded before store ids,
        or under another configuration), else the first of its scheme."""
        if store_id is not None and store_id in self._by_id:
            return self._by_id[store_id]
        scheme = url.partition(':')[0]
        candidates = [s for s in self.all() if scheme in s.schemes]
        for store in candidates:
            if store.owns(url):
                return store
        if candidates:
            return candidates[0]
        raise exceptions.UnknownStoreScheme(scheme=scheme)

    # The name callers used before store ids.
    def for_uri(self, uri):
        return self.for_location(uri)


def _driver(name, option):
    name = name.strip()
    driver = ALIASES.get(name, name)
    if driver in DRIVERS:
        return driver
    if driver in NOT_AVAILABLE_YET or name.startswith('glance_store._drivers.') or \
            name.startswith('glance.store.'):
        raise exceptions.ConfigurationError(
            '%s: the store driver "%s" is not available in Glimpse yet (it has: %s). '
            'Remove it from %s.' % (option, name, ', '.join(sorted(DRIVERS)), option))
    raise exceptions.ConfigurationError('%s: unknown store driver "%s" (known: %s).'
                                        % (option, name, ', '.join(sorted(DRIVERS))))


def _was_set(conf, name, group):
    try:
        location = conf.get_location(name, group).location
    except (cfg.NoSuchOptError, AttributeError):
        return False
    return location not in (cfg.Locations.opt_default, cfg.Locations.set_default)


class _Checked:
    """What check() makes in place of a store: the id only, no directory touched."""

    def __init__(self, store_id=None, **_):
        self.store_id = store_id


def _filesystem(conf, group, section, store_id, description=None, weight=0,
                make=None):
    make = make or filesystem.FilesystemStore
    opts = getattr(conf, group)
    datadirs = None
    if opts.filesystem_store_datadirs:
        if _was_set(conf, 'filesystem_store_datadir', group):
            raise exceptions.ConfigurationError(
                '[%s] filesystem_store_datadir and filesystem_store_datadirs are both set; '
                'set only one.' % section)
        try:
            datadirs = filesystem.parse_datadirs(opts.filesystem_store_datadirs)
        except ValueError as exc:
            raise exceptions.ConfigurationError('[%s] filesystem_store_datadirs: %s'
                                                % (section, exc)) from None
    elif not opts.filesystem_store_datadir:
        raise exceptions.ConfigurationError(
            '[%s] filesystem_store_datadir (or filesystem_store_datadirs) must name a '
            'directory.' % section)
    perm = opts.filesystem_store_file_perm
    if perm < 0 or not set(str(perm)) <= set('01234567') or int(str(perm), 8) > 0o7777:
        raise exceptions.ConfigurationError(
            '[%s] filesystem_store_file_perm = %s is not a file mode in octal digits (e.g. '
            '640).' % (section, perm))
    if datadirs is None:
        datadir = os.path.abspath(opts.filesystem_store_datadir)
        datadirs = [(datadir, 0)]
    return make(store_id=store_id, description=description, weight=weight, datadirs=datadirs,
                file_perm=perm, chunk_size=conf.glance_store.filesystem_store_chunk_size)


def _http(conf, group, section, store_id, description=None, weight=0, make=None):
    opts = getattr(conf, group)
    ca_file = opts.https_ca_certificates_file
    if ca_file and not os.path.isfile(ca_file):
        raise exceptions.ConfigurationError(
            '[%s] https_ca_certificates_file = %s is not a file.' % (section, ca_file))
    return (make or http.HttpStore)(store_id=store_id, description=description,
                                    weight=weight, ca_file=ca_file,
                                    insecure=opts.https_insecure,
                                    proxies=opts.http_proxy_information)


def _swift(conf, group, section, store_id, description=None, weight=0, make=None):
    opts = getattr(conf, group)
    if not (opts.swift_store_container or '').strip():
        raise exceptions.ConfigurationError('[%s] swift_store_container is empty.' % section)
    common = {
        'store_id': store_id, 'description': description, 'weight': weight,
        'container': opts.swift_store_container.strip(),
        'create_container': opts.swift_store_create_container_on_put,
        'large_object_size': opts.swift_store_large_object_size * MiB,
        'large_object_chunk_size': opts.swift_store_large_object_chunk_size * MiB,
        'endpoint': opts.swift_store_endpoint, 'insecure': opts.swift_store_auth_insecure,
        'cacert': opts.swift_store_cacert, 'region': opts.swift_store_region,
        'service_type': opts.swift_store_service_type,
        'endpoint_type': opts.swift_store_endpoint_type,
        'retry_get_count': opts.swift_store_retry_get_count,
        'buffer_dir': _swift_buffer_dir(opts, section)}
    if opts.swift_store_multi_tenant:
        return _swift_multi_tenant(conf, opts, section, common, make)
    if not opts.swift_store_config_file:
        raise exceptions.ConfigurationError(
            '[%s] swift_store_config_file must name the file holding the swift store\'s '
            'credentials.' % section)
    try:
        reference = swift.read_reference(opts.swift_store_config_file,
                                         opts.default_swift_reference)
    except swift.BadReference as exc:
        raise exceptions.ConfigurationError('[%s] swift_store_config_file: %s'
                                            % (section, exc)) from None
    return (make or swift.SwiftStore)(
        reference=reference, reference_name=opts.default_swift_reference,
        containers_seed=opts.swift_store_multiple_containers_seed, **common)


def _swift_buffer_dir(opts, section):
    """swift_upload_buffer_dir when swift_buffer_on_upload is on (checked usable, as
    upstream checks it), else None."""
    if not opts.swift_buffer_on_upload:
        return None
    if not opts.swift_upload_buffer_dir:
        raise exceptions.ConfigurationError(
            '[%s] swift_buffer_on_upload = True needs swift_upload_buffer_dir, a directory '
            'for the segments\' temporary files.' % section)
    try:
        tempfile.TemporaryFile(dir=opts.swift_upload_buffer_dir).close()
    except OSError as exc:
        raise exceptions.ConfigurationError(
            '[%s] swift_upload_buffer_dir = %s cannot take temporary files (%s).'
            % (section, opts.swift_upload_buffer_dir, exc.strerror or exc)) from None
    return opts.swift_upload_buffer_dir


def _swift_multi_tenant(conf, opts, section, common, make):
    if opts.swift_store_config_file:
        # As upstream: the user's account, or the config file's, not both.
        raise exceptions.ConfigurationError(
            '[%s] swift_store_multi_tenant = True and swift_store_config_file are mutually '
            'exclusive: multi-tenant Swift writes to each user\'s own account with their '
            'token; unset swift_store_config_file.' % section)
    if make is _Checked:
        # glance-api's check at start (glance-scrubber makes its stores without it).
        _check_multi_tenant_api(conf, opts, section)
    return (make or swift.MultiTenantSwiftStore)(
        admin_tenants=opts.swift_store_admin_tenants, **common)


def _check_multi_tenant_api(conf, opts, section):
    strategy = config.auth_strategy(conf)
    if strategy != 'keystone':
        raise exceptions.ConfigurationError(
            '[%s] swift_store_multi_tenant = True needs auth_strategy = keystone (the '
            'user\'s token and service catalog); it is %s.' % (section, strategy))
    if opts.swift_store_use_trusts:
        LOG.warning('[%s] swift_store_use_trusts = True: Glimpse does not create Keystone '
                    'trusts; multi-tenant Swift transfers use the user\'s token, and one '
                    'that outlives it fails (and removes what it wrote). Set it to False to '
                    'acknowledge.', section)
    if conf.delayed_delete:
        LOG.warning('[%s] swift_store_multi_tenant = True with delayed_delete = True: '
                    'glance-scrubber has no user token to remove multi-tenant Swift data '
                    'with; such data stays recorded as left (remove it by hand).', section)


def _s3(conf, group, section, store_id, description=None, weight=0, make=None):
    opts = getattr(conf, group)
    for name in ('s3_store_host', 's3_store_access_key', 's3_store_secret_key',
                 's3_store_bucket'):
        if not (getattr(opts, name) or '').strip():
            raise exceptions.ConfigurationError('[%s] %s must be set for the s3 store.'
                                                % (section, name))
    host = opts.s3_store_host.strip()
    if '://' in host and not host.startswith(('http://', 'https://')):
        raise exceptions.ConfigurationError(
            '[%s] s3_store_host = %s: give a host (and port) or an http:// or https:// URL.'
            % (section, host))
    if opts.s3_store_large_object_chunk_size < s3.MIN_PART_SIZE // MiB:
        raise exceptions.ConfigurationError(
            '[%s] s3_store_large_object_chunk_size = %d: S3 takes parts of at least %d MB.'
            % (section, opts.s3_store_large_object_chunk_size, s3.MIN_PART_SIZE // MiB))
    if opts.s3_store_thread_pools <= 0:
        raise exceptions.ConfigurationError(
            '[%s] s3_store_thread_pools = %d: give a positive number.'
            % (section, opts.s3_store_thread_pools))
    if opts.s3_store_cacert and not os.path.isfile(opts.s3_store_cacert):
        raise exceptions.ConfigurationError('[%s] s3_store_cacert = %s is not a file.'
                                            % (section, opts.s3_store_cacert))
    protect = opts.s3_store_enable_data_integrity_protection
    return (make or s3.S3Store)(
        store_id=store_id, description=description, weight=weight, host=host,
        access_key=opts.s3_store_access_key.strip(),
        secret_key=opts.s3_store_secret_key.strip(), bucket=opts.s3_store_bucket.strip(),
        create_bucket=opts.s3_store_create_bucket_on_put,
        bucket_url_format=opts.s3_store_bucket_url_format,
        large_object_size=opts.s3_store_large_object_size * MiB,
        large_object_chunk_size=opts.s3_store_large_object_chunk_size * MiB,
        thread_pools=opts.s3_store_thread_pools,
        region_name=(opts.s3_store_region_name or '').strip(),
        cacert=opts.s3_store_cacert,
        request_checksum=(opts.s3_store_request_checksum_calculation if protect
                          else 'when_required'),
        response_checksum=(opts.s3_store_response_checksum_validation if protect
                           else 'when_required'),
        section=section)


# driver name -> the function making its store from its options.
_FACTORIES = {'file': _filesystem, 'http': _http, 'swift': _swift, 's3': _s3}
# rbd, cinder and vmware (and glance_store.file, which proves the bridge in the tests): Ceph,
# Cinder and vCenter cannot run here, so their stores are glance_store's own drivers behind
# the store contract (api_service/stores/glance_store_bridge.py).
DRIVERS.update(dict.fromkeys(glance_store_bridge.UPSTREAM,
                             glance_store_bridge.GlanceStoreDriver))
ALIASES.update(glance_store_bridge.ALIASES)
_FACTORIES.update({name: functools.partial(glance_store_bridge.store_from_options, name)
                   for name in glance_store_bridge.UPSTREAM})


def _single(conf, make):
    drivers = []
    for name in conf.glance_store.stores:
        if name.strip():
            driver = _driver(name, '[glance_store] stores')
            if driver not in drivers:
                drivers.append(driver)
    if not drivers:
        raise exceptions.ConfigurationError('[glance_store] stores names no store.')
    default_name = (conf.glance_store.default_store or '').strip()
    default = _driver(default_name, '[glance_store] default_store')
    if default not in drivers:
        raise exceptions.ConfigurationError(
            '[glance_store] default_store = %s is not one of [glance_store] stores (%s).'
            % (default_name, ', '.join(conf.glance_store.stores)))
    stores = [_FACTORIES[driver](conf, 'glance_store', 'glance_store', driver, make=make)
              for driver in drivers]
    return StoreCatalog(stores, default=default)


def _multi(conf, enabled, make):
    stores = []
    for backend_id, kind in enabled.items():
        backend_id = backend_id.strip()
        if not backend_id or backend_id.startswith(RESERVED_PREFIX) or \
                backend_id in ('DEFAULT', 'glance_store'):
            raise exceptions.ConfigurationError(
                '[DEFAULT] enabled_backends: "%s" cannot be a backend id (ids starting with '
                '%s, DEFAULT and glance_store are reserved).' % (backend_id, RESERVED_PREFIX))
        driver = _driver(kind or '', '[DEFAULT] enabled_backends (backend %s)' % backend_id)
        section = getattr(conf, backend_id)
        stores.append(_FACTORIES[driver](conf, backend_id, backend_id, backend_id,
                                         description=section.store_description,
                                         weight=section.weight, make=make))
    default = (conf.glance_store.default_backend or '').strip()
    if not default:
        raise exceptions.ConfigurationError(
            '[glance_store] default_backend must be set to one of [DEFAULT] '
            'enabled_backends (%s).' % ', '.join(enabled))
    if default not in enabled:
        raise exceptions.ConfigurationError(
            '[glance_store] default_backend = %s is not one of [DEFAULT] enabled_backends '
            '(%s).' % (default, ', '.join(enabled)))
    return StoreCatalog(stores, default=default)


def check(conf):
    """ConfigurationError naming the option when ``conf``'s stores cannot be served; no
    store is made and no directory touched (glance-api's master checks before it starts
    any worker)."""
    from_config(conf, make=_Checked)


def from_config(conf, make=None):
    """The StoreCatalog ``conf`` describes; ConfigurationError naming the option if it
    cannot be served."""
    try:
        enabled = config.register_backend_opts(conf)
    except cfg.Error as exc:
        raise exceptions.ConfigurationError('[DEFAULT] enabled_backends: %s' % exc) from None
    try:
        if enabled:
            return _multi(conf, enabled, make)
        return _single(conf, make)
    except cfg.Error as exc:
        raise exceptions.ConfigurationError(str(exc)) from None
