"""The import options ([DEFAULT] worker_self_reference_url, which the cache uses too, is
in api_service/config.py), with upstream's names, groups and defaults (api_service/config.py
registers them)."""

from oslo_config import cfg

METHODS = ('glance-direct', 'web-download', 'copy-image', 'glance-download')
# Methods Glimpse does not implement: naming one in enabled_import_methods stops the start.
NOT_IMPLEMENTED_METHODS = ('glance-download',)

default_opts = [
    cfg.StrOpt('node_staging_uri', default='file:///tmp/staging/',
               help='Where image data waits between PUT /v2/images/{id}/stage (or a '
                    'web-download) and its import into a store, as file:// followed by an '
                    'absolute directory path (the only scheme supported). Used without '
                    '[DEFAULT] enabled_backends; with them the reserved store '
                    '[os_glance_staging_store] takes its place. Several api hosts: either a '
                    'directory they share, or worker_self_reference_url on each so that an '
                    'import is sent to the host holding the staged data. Do not use the '
                    'directory of an image store.'),
    cfg.ListOpt('enabled_import_methods',
                item_type=cfg.types.String(choices=list(METHODS), quotes=True),
                bounds=True, default=['glance-direct', 'web-download', 'copy-image'],
                help='The import methods offered (GET /v2/info/import, the '
                     'OpenStack-image-import-methods header): glance-direct, web-download, '
                     'copy-image (only with several stores, [DEFAULT] enabled_backends). '
                     'glance-download (federated clouds) is not implemented by Glimpse and '
                     'stops glance-api at start. Related: node_staging_uri.'),
]

image_import_opts = [
    cfg.ListOpt('image_import_plugins', item_type=cfg.types.String(quotes=True), bounds=True,
                default=[], sample_default='[no_op]',
                help='The plugins an import runs on the staged data before it goes to the '
                     'stores, in this order: image_conversion, image_decompression, '
                     'inject_image_metadata, no_op; in brackets, as upstream: '
                     '[image_conversion]. An unknown name stops glance-api at start.'),
]

import_filtering_opts = [
    cfg.ListOpt('allowed_schemes', item_type=cfg.types.String(quotes=True), bounds=True,
                default=['http', 'https'],
                help='URI schemes a web-download may use. When set, disallowed_schemes is '
                     'not used.'),
    cfg.ListOpt('disallowed_schemes', item_type=cfg.types.String(quotes=True), bounds=True,
                default=[],
                help='URI schemes a web-download may not use (only when allowed_schemes is '
                     'empty).'),
    cfg.ListOpt('allowed_hosts', item_type=cfg.types.String(quotes=True), bounds=True,
                default=[],
                help='Hosts (names or IP addresses) a web-download may reach. When set, '
                     'disallowed_hosts is not used. Beyond upstream: link-local and cloud '
                     'metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are '
                     'refused, after name resolution, unless listed here.'),
    cfg.ListOpt('disallowed_hosts', item_type=cfg.types.String(quotes=True), bounds=True,
                default=[],
                help='Hosts a web-download may not reach (only when allowed_hosts is '
                     'empty).'),
    cfg.ListOpt('allowed_ports', item_type=cfg.types.Integer(min=1, max=65535),
                bounds=True, default=[80, 443],
                help='Ports a web-download may reach. When set, disallowed_ports is not '
                     'used.'),
    cfg.ListOpt('disallowed_ports', item_type=cfg.types.Integer(min=1, max=65535),
                bounds=True, default=[],
                help='Ports a web-download may not reach (only when allowed_ports is '
                     'empty).'),
    cfg.IntOpt('web_download_timeout', default=60, min=1,
               help='Glimpse only: seconds a web-download waits to connect, or for the '
                    'next bytes of the answer, before it fails the import.'),
]

conversion_opts = [
    cfg.StrOpt('output_format', default='raw', choices=('qcow2', 'raw', 'vmdk'),
               help='The disk format the image_conversion plugin converts imported images '
                    'to (with qemu-img). Related: [image_import_opts] image_import_plugins, '
                    '[image_format] disk_formats.'),
]

inject_metadata_opts = [
    cfg.ListOpt('ignore_user_roles', default=['admin'],
                help='Users with any of these roles get no properties injected by the '
                     'inject_image_metadata plugin.'),
    cfg.DictOpt('inject', default={},
                help='Properties the inject_image_metadata plugin sets on imported images, '
                     'as key:value pairs (keys of at most 255 characters).'),
]

staging_store_opts = [
    cfg.StrOpt('filesystem_store_datadir', default='/var/lib/glance/staging/',
               help='With [DEFAULT] enabled_backends: the directory of the reserved '
                    'staging store, where image data waits for its import.'),
]

GROUPS = (
    (None, default_opts),
    ('image_import_opts', image_import_opts),
    ('import_filtering_opts', import_filtering_opts),
    ('image_conversion', conversion_opts),
    ('inject_metadata_properties', inject_metadata_opts),
    ('os_glance_staging_store', staging_store_opts),
)


def register(conf):
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)


def list_opts():
    return [(group or 'DEFAULT', opts) for group, opts in GROUPS]


def list_plugin_opts():
    """The groups of upstream's glance-image-import.conf (its sample)."""
    return [(group, opts) for group, opts in GROUPS
            if group in ('image_import_opts', 'import_filtering_opts', 'image_conversion',
                         'inject_metadata_properties')]
