"""What glance-api.conf may say that glance-api does not do: the table of upstream options
Glimpse knows but does not implement, and the names keystonemiddleware will read.

The table shrinks as features land: tests/unit/api/test_config_audit.py fails when an entry
names an option Glimpse registers itself (it became real and must leave the table).
"""

from oslo_config import cfg

from api_service import config as api_config
from api_service.stores import glance_store_bridge
from common import config_audit
from common.config_audit import NotImplementedOption as Entry

KEYSTONE = 'keystone_authtoken'

NOT_IMPLEMENTED = (
    # The scrubber's options, which upstream's glance-api.conf also lists: glance-scrubber
    # reads them from its own file.
    Entry('DEFAULT', 'scrub_time', 'glance-scrubber reads it from glance-scrubber.conf'),
    Entry('DEFAULT', 'scrub_pool_size', 'glance-scrubber reads it from '
          'glance-scrubber.conf'),
    Entry('DEFAULT', 'wakeup_time', 'glance-scrubber reads it from glance-scrubber.conf'),
    # The image cache.
    Entry('DEFAULT', 'image_cache_sqlite_db', 'the cache keeps its records in the '
          'registry (image_cache_driver = centralized_db)'),
    Entry('DEFAULT', 'cache_prefetcher_interval', 'an image queued with PUT /v2/cache/{id} '
          'is cached at once by the worker that queued it'),
    # API versions and import.
    Entry('DEFAULT', 'enable_v1_api', 'only the Images API v2 is served',
          config_audit.is_false),
    Entry('DEFAULT', 'enable_v2_api', 'the Images API v2 is always served',
          config_audit.is_true),
    Entry('DEFAULT', 'enable_image_import', 'interoperable image import is always '
          'enabled (upstream removed the option); choose the methods with '
          'enabled_import_methods', config_audit.is_true),
    Entry('DEFAULT', 'property_protection_file', 'property protections are not '
          'implemented'),
    Entry('DEFAULT', 'property_protection_rule_format', 'property protections are not '
          'implemented'),
    Entry('DEFAULT', 'use_keystone_limits', 'unified limits are not implemented; the '
          'quotas are user_storage_quota and the image_*_quota options',
          config_audit.is_false),
    Entry('DEFAULT', 'allow_anonymous_access', 'every request but the version documents '
          'and the health check needs a token', config_audit.is_false),
    # Notifications: upstream's old name of the driver option.
    Entry('DEFAULT', 'notification_driver', 'the option moved to '
          '[oslo_messaging_notifications] driver long ago; set that instead',
          lambda value: value.strip() in ('', 'noop')),
    # The old registry client: Glimpse reaches its registry over the message bus.
    Entry('DEFAULT', 'data_api', 'glance-api always reaches glance-registry over the '
          'message bus ([registry] topic, transport_url)'),
    Entry('DEFAULT', 'registry_client_*', 'glance-api reaches glance-registry over the '
          'message bus, not HTTP'),
    Entry('DEFAULT', 'use_user_token', 'the caller\'s context travels with every registry '
          'call; no token is passed on'),
    Entry('DEFAULT', 'send_identity_headers', 'the caller\'s context travels with every '
          'registry call'),
    # The eventlet server's options: gunicorn serves here.
    Entry('DEFAULT', 'backlog', 'gunicorn\'s default backlog (2048) applies'),
    Entry('DEFAULT', 'tcp_keepidle', 'the system\'s TCP keepalive settings apply'),
    Entry('DEFAULT', 'client_socket_timeout', 'idle connections are closed after '
          'gunicorn\'s keepalive time'),
    Entry('DEFAULT', 'http_keepalive', 'HTTP keep-alive is always on'),
    Entry('DEFAULT', 'max_header_line', 'gunicorn\'s limits apply (8190 bytes per header '
          'line)'),
    Entry('DEFAULT', 'cert_file', 'glance-api does not terminate TLS; put a TLS proxy in '
          'front of it'),
    Entry('DEFAULT', 'key_file', 'glance-api does not terminate TLS; put a TLS proxy in '
          'front of it'),
    Entry('DEFAULT', 'ca_file', 'glance-api does not terminate TLS; put a TLS proxy in '
          'front of it'),
    Entry('DEFAULT', 'secure_proxy_ssl_header', 'version links use public_endpoint when it '
          'is set, else the URL the request came to'),
    Entry('DEFAULT', 'location_strategy', 'locations are listed in the order they were '
          'added (upstream\'s location_order)',
          lambda value: value.strip() in ('', 'location_order')),
    Entry('DEFAULT', 'owner_is_tenant', 'the owner of an image is always its project'),
    Entry('DEFAULT', 'admin_role', 'who is admin is the policy\'s context_is_admin rule'),
    Entry('DEFAULT', 'allow_additional_image_properties', 'extra properties are always '
          'allowed, up to image_property_quota', config_audit.is_true),
    # Stores: the filesystem store only ([glance_store] stores / enabled_backends naming
    # another driver stop glance-api at start: api_service/stores/catalog.py).
    Entry('glance_store', 'filesystem_store_metadata_file', 'the filesystem store keeps no '
          'location metadata'),
    Entry('glance_store', 'swift_store_expire_soon_interval', 'the swift store checks its '
          'token before each object or segment it writes'),
    Entry('glance_store', 'swift_store_ssl_compression', 'TLS compression is never used '
          '(python-swiftclient ignores the setting and OpenSSL 3 offers none)',
          config_audit.is_false),
    Entry('glance_store', 'swift_store_auth_address', 'write the credentials in '
          'swift_store_config_file'),
    Entry('glance_store', 'swift_store_auth_version', 'write the credentials in '
          'swift_store_config_file'),
    Entry('glance_store', 'swift_store_user', 'write the credentials in '
          'swift_store_config_file'),
    Entry('glance_store', 'swift_store_key', 'write the credentials in '
          'swift_store_config_file'),
    # Whole sections of upstream features Glimpse does not have.
    Entry('database', '*', 'glance-api never opens the image database; glance-registry '
          'does (set [database] in glance-registry.conf)'),
    Entry('paste_deploy', 'config_file', 'glance-api has no paste pipeline; [paste_deploy] '
          'flavor alone is read'),
    Entry('os_glance_tasks_store', '*', 'tasks keep no files of their own (the legacy import '
          'streams into the image\'s store)'),
    Entry('taskflow_executor', 'conversion_format', 'tasks do not convert images'),
    Entry('task', 'work_dir', 'tasks stream image data and keep no work directory'),
    Entry('wsgi', 'task_pool_threads', 'each api worker runs tasks in a pool of '
          '[taskflow_executor] max_workers threads'),
    Entry('wsgi', 'python_interpreter', 'qemu-img runs under resource limits set in '
          'the api worker itself, with no helper interpreter'),
    Entry('oslo_limit', '*', 'unified limits are not implemented'),
    Entry('cors', '*', 'CORS is not implemented; a proxy in front may add the headers'),
    Entry('oslo_middleware', '*', 'proxy headers are not parsed; set public_endpoint for '
          'the version links'),
    Entry('healthcheck', '*', 'the health check is always at /healthcheck'),
    Entry('profiler', '*', 'osprofiler is not supported'),
    Entry('store_type_location_strategy', '*', 'locations are listed in the order they '
          'were added (location_strategy is location_order)'),
    # keystonemiddleware dropped auth_uri (Queens); it now ignores the name.
    Entry(KEYSTONE, 'auth_uri', 'keystonemiddleware no longer reads it: write '
          'www_authenticate_uri instead'),
)


def _keystone_names(sections):
    """(names [keystone_authtoken] accepts, the groups whose names cannot be known)."""
    from keystoneauth1 import loading
    from keystonemiddleware import opts as ktm_opts

    names = {opt.name for _, opts in ktm_opts.list_auth_token_opts() for opt in opts}
    names.update(d.name for _, opts in ktm_opts.list_auth_token_opts() for opt in opts
                 for d in opt.deprecated_opts if d.name)
    section = sections.get(KEYSTONE, {})
    open_groups = set()
    # The auth plugin's options may live in another section (auth_section).
    plugin_group = section.get('auth_section') or KEYSTONE
    plugin = (sections.get(plugin_group, {}).get('auth_type')
              or sections.get(plugin_group, {}).get('auth_plugin'))
    if plugin_group != KEYSTONE:
        open_groups.add(plugin_group)
    if not plugin:
        # keystonemiddleware chooses no plugin then; the options left are not ours to judge.
        open_groups.add(KEYSTONE)
        return names, open_groups
    try:
        plugin_opts = loading.get_auth_plugin_conf_options(plugin)
    except Exception:
        # An unknown plugin: keystonemiddleware fails on its own with a clearer message.
        open_groups.add(KEYSTONE)
        return names, open_groups
    names.update(opt.name for opt in plugin_opts)
    names.update(d.name for opt in plugin_opts for d in opt.deprecated_opts if d.name)
    return names, open_groups


def _sections(conf):
    out = {}
    for _, section, name, value in config_audit.read_files(config_audit.config_files(conf)):
        out.setdefault(section, {})[name.replace('-', '_')] = value
    return out


def audit(conf, logger=None):
    """Warn once per option of glance-api's files that glance-api will not honour."""
    # Registered by the libraries only once a worker builds the app; the same option
    # objects, so registering them here first changes nothing.
    from oslo_policy import opts as policy_opts
    for group, opts in policy_opts.list_opts():
        try:
            conf.register_opts(opts, group=group)
        except cfg.DuplicateOptError:
            pass
    try:
        # The sections of [DEFAULT] enabled_backends are the backends' own.
        api_config.register_backend_opts(conf)
    except cfg.Error:
        pass
    try:
        names, open_groups = _keystone_names(_sections(conf))
    except Exception:
        names, open_groups = set(), {KEYSTONE}
    names = {n.replace('-', '_') for n in names}
    table = NOT_IMPLEMENTED + _unloadable_store_options()
    if _strategy(conf) == 'noauth':
        table = (Entry(KEYSTONE, '*', 'auth_strategy is noauth, so no token is checked '
                                      '(set auth_strategy = keystone to use this section)'),
                 ) + table
    return config_audit.audit(conf, table, library_names={KEYSTONE: names},
                              open_groups=open_groups, logger=logger)


def _unloadable_store_options():
    """Entries for the options of a glance_store driver whose module cannot be loaded here
    (cinder's needs os-brick): they are registered nowhere then, and have no effect."""
    return tuple(Entry('glance_store', name, 'glance_store\'s %s driver cannot be loaded '
                                             '(its libraries are not installed)' % driver)
                 for driver, names in glance_store_bridge.unloadable_option_names().items()
                 for name in names)


def _strategy(conf):
    from api_service import config
    try:
        return config.auth_strategy(conf)
    except Exception:
        # A flavor glance-api refuses: the start stops with that error anyway.
        return None
