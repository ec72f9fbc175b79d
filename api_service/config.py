"""Options glance-api reads, with upstream Glance's names and sections where the feature matches,
and loading them from the files and command line into a private ConfigOpts."""

import os

from oslo_config import cfg
from oslo_log import log as logging

from api_service import exceptions
from api_service.imports import options as import_options
from api_service.stores import glance_store_bridge
from api_service.tasks import options as task_options
from common import config as common_config
from common import notifications
from common import version
from common.rpc import transport as rpc_transport

GiB = 1024 ** 3
MiB = 1024 ** 2

server_opts = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address glance-api listens on. Related: bind_port.'),
    cfg.PortOpt('bind_port', default=9292,
                help='TCP port glance-api listens on. Related: bind_host.'),
    cfg.IntOpt('workers', default=2, min=1,
               help='Number of gunicorn worker processes. Each one holds its own '
                    'connection to the message bus and serves `threads` requests at once. '
                    'Related: threads.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Threads per worker process (gunicorn gthread worker). Each in-flight '
                    'request, including a long upload or download, occupies one thread. '
                    'Related: workers.'),
    cfg.StrOpt('auth_strategy', default='noauth', choices=['keystone', 'noauth'],
               help='How requests are authenticated. "keystone": keystonemiddleware\'s '
                    'auth_token validates the X-Auth-Token of every request (configured in '
                    '[keystone_authtoken]); only /, /versions and /healthcheck need no '
                    'token. "noauth" trusts the X-User-Id, X-Project-Id and X-Roles headers '
                    'as sent (a caller naming no roles is a member): use it only for '
                    'testing or behind a trusted proxy. When this option is not set in '
                    'the configuration, [paste_deploy] flavor decides if it is set; when '
                    'both are set, this option wins. Related: [paste_deploy] flavor, [oslo_policy] '
                    'policy_file.'),
    cfg.StrOpt('public_endpoint',
               help='Public URL of this service (e.g. https://image.example.com) used in '
                    'the version document links. Unset: the URL the request came to.'),
    cfg.BoolOpt('access_log', default=True,
                help='Log one INFO line per request once its response is sent: client '
                     'address, "METHOD /path HTTP/1.1", status, body bytes, seconds, with '
                     'the request id, user and project in the context part of the line. '
                     'Setting default_log_levels with '
                     'api_service.wsgi.middleware.access_log=WARN also silences it.'),
    cfg.IntOpt('max_request_id_length', default=64, min=0,
               help='Longest X-Openstack-Request-ID a caller may send; a longer one is '
                    'refused with 431. A request without one gets a generated '
                    'req-<uuid>.'),
]

# Upstream Glance picks its paste pipeline by flavor; glimpse has no paste file but accepts
# the option so an existing glance-api.conf keeps its meaning.
KEYSTONE_FLAVORS = ('keystone', 'keystone+caching', 'keystone+cachemanagement')
NOAUTH_FLAVORS = ('', 'caching', 'cachemanagement')

paste_deploy_opts = [
    cfg.StrOpt('flavor',
               help='Accepted for compatibility with upstream Glance configuration files: '
                    '"keystone", "keystone+caching" and "keystone+cachemanagement" mean '
                    'auth_strategy = keystone; unset, "caching" and "cachemanagement" mean '
                    'noauth. Any other value stops glance-api at start. An explicit '
                    '[DEFAULT] auth_strategy wins over it. Related: auth_strategy.'),
]

image_opts = [
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm used for os_hash_value while image data is '
                    'uploaded (alongside the md5 checksum). Possible values: any name '
                    'hashlib.new() accepts, e.g. sha256, sha512.'),
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Page size of an image list when the caller gives no limit. '
                    'Related: api_limit_max.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Largest page size an image list returns, whatever limit the caller '
                    'asks for. Related: limit_param_default.'),
    cfg.IntOpt('image_size_cap', default=1024 * GiB, min=0,
               help='Largest image, in bytes, that may be uploaded (default 1 TiB). An '
                    'upload is stopped with 413 as soon as it passes this size.'),
    cfg.IntOpt('upload_lease_seconds', default=90, min=1,
               help='Length, in seconds, of the lease under which an upload holds its image '
                    'in "saving". The worker receiving the data renews it every third of '
                    'this time (one small registry call), so uploads may last as long as '
                    'they need. If a worker dies, glance-api\'s master returns its images '
                    'to "queued" and removes their partial data at once; if that fails, or '
                    'the whole host died, the registry returns them within this time plus '
                    'glance-registry\'s upload_sweep_interval (with the defaults, within 2 '
                    'minutes). An upload whose worker cannot reach any registry for a whole '
                    'lease is stopped (409), since its image may have been returned to '
                    '"queued" meanwhile: a longer lease rides out longer registry outages '
                    'at the cost of slower recovery after a host dies. Values under 60 '
                    'suit tests only. Related: [glance_store] '
                    'filesystem_store_partial_sweep_interval, [registry] version_cap (a cap '
                    'below 1.3 turns renewal off, below 1.5 the hand-back by the master).'),
]

delete_opts = [
    cfg.BoolOpt('delayed_delete', default=False,
                help='Delete image data later rather than at once. A deleted image that has '
                     'data goes to "pending_delete": it is gone from lists and shows as not '
                     'found, as a deleted image does, but its data stays in its store until '
                     'glance-scrubber removes it (after its scrub_time) and marks the image '
                     '"deleted"; until then "glance-scrubber --restore IMAGE_ID" brings it '
                     'back. Run glance-scrubber (from cron, or with --daemon) when this is '
                     'on, or the stores fill up. Off, a delete removes the data at once, and '
                     'data a store could not remove then is left to glance-scrubber too. '
                     'Related: glance-scrubber.conf scrub_time, wakeup_time.'),
]

cache_opts = [
    cfg.StrOpt('image_cache_dir',
               help='Directory of this node\'s image cache. Set, a download of an active '
                    'image is served from the cache when it holds the image, and otherwise '
                    'streamed from its store while a copy is written here (published only '
                    'once complete and its checksum matches); the /v2/cache API is served. '
                    'Unset (the default), there is no cache. Related: image_cache_max_size, '
                    'image_cache_stall_time, image_cache_driver, worker_self_reference_url.'),
    cfg.IntOpt('image_cache_max_size', default=10 * GiB, min=0,
               help='Bytes the image cache should hold at most. Once a new copy takes the '
                    'cache past it, the least recently used copies are removed until it '
                    'fits; POST /v2/cache/prune does the same on demand. Related: '
                    'image_cache_dir.'),
    cfg.IntOpt('image_cache_stall_time', default=86400, min=0,
               help='Seconds after which an incomplete copy that is no longer written is '
                    'removed by POST /v2/cache/clean. Related: image_cache_dir.'),
    cfg.StrOpt('image_cache_driver', default='centralized_db',
               choices=['centralized_db', 'sqlite', 'xattr'],
               help='Where the cache keeps its records. Only upstream\'s default, '
                    '"centralized_db", is implemented: the records live in the registry\'s '
                    'database, so GET /v2/cache/nodes/{image_id} can say which nodes hold '
                    'an image. "sqlite" and "xattr" stop glance-api at start. Related: '
                    'image_cache_dir, worker_self_reference_url.'),
    cfg.StrOpt('worker_self_reference_url',
               help='The URL that names this glance-api node in the cache\'s records (GET '
                    '/v2/cache/nodes/{image_id} lists these). Unset: '
                    'http://<bind_host, or this host\'s name when it binds every '
                    'address>:<bind_port>. Related: image_cache_dir.'),
]

quota_opts = [
    cfg.IntOpt('image_member_quota', default=128,
               help='Maximum number of members (projects it is shared with) per image; '
                    'adding one more answers 413. A negative value means unlimited.'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Maximum number of extra properties per image; a create or update that '
                    'would pass it answers 413. A negative value means unlimited.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Maximum number of tags per image; a create, update or tag call that '
                    'would pass it answers 413. A negative value means unlimited.'),
    # Checked when the configuration is read, so a typo stops glance-api at start rather
    # than failing uploads; api_service/services/upload.py turns it into bytes.
    cfg.StrOpt('user_storage_quota', default='0', regex=r'^\s*\d+((K|M|G|T)?B)?\s*$',
               help='Maximum bytes of image data one project may store, across all its '
                    'images. A plain number is bytes; the suffixes B, KB, MB, GB and TB '
                    '(powers of 1024) are accepted. 0 means unlimited. An upload that would '
                    'pass it answers 413, before any byte is stored when the size is known '
                    'and as soon as it is passed otherwise.'),
]

# Stores. Single-store ([glance_store] stores, default_store) as classic guides write it,
# or multi-store: [DEFAULT] enabled_backends with one section per backend (its
# store_description, weight and driver options) and [glance_store] default_backend.
# api_service/stores/catalog.py reads them and refuses a configuration it cannot serve.
backend_opts = [
    cfg.DictOpt('enabled_backends',
                help='The stores of a multi-store deployment, as ID:TYPE pairs (e.g. '
                     '"fast:file, cold:file"); each ID has its own configuration section '
                     'with the options of its TYPE. When set, [glance_store] stores and '
                     'default_store are not used. Glimpse implements the types "file", '
                     '"http" (read only), "swift" and "s3"; "rbd", "cinder" and "vmware" '
                     'are glance_store\'s own drivers (their Python libraries must be '
                     'installed); another type stops glance-api at start. Related: '
                     '[glance_store] default_backend.'),
]

# The options of one backend's own section ([fast], [cold] ...) in a multi-store setup.
backend_section_opts = [
    cfg.StrOpt('store_description',
               help='A description of this store shown to users in the store list (GET '
                    '/v2/info/stores).'),
    cfg.IntOpt('weight', default=0,
               help='Preference of this store among the locations of one image: a '
                    'location in a store of higher weight is served first.'),
]

filesystem_opts = [
    cfg.StrOpt('filesystem_store_datadir', default='/var/lib/glance/images/',
               help='Directory where the filesystem store keeps image data. Shared '
                    'storage (e.g. NFS) is needed when several api hosts serve the same '
                    'images. Related: filesystem_store_datadirs.'),
    cfg.MultiStrOpt('filesystem_store_datadirs',
                    help='Several directories for the filesystem store, each as '
                         'PATH:PRIORITY (the priority an integer, 0 if left out); give the '
                         'option once per directory. New data goes to the directory of '
                         'highest priority with room for it (the one with the most free '
                         'space among equals). Set either this or '
                         'filesystem_store_datadir, not both.'),
    cfg.IntOpt('filesystem_store_file_perm', default=0,
               help='Access permissions of the image files the filesystem store writes, '
                    'in octal digits (e.g. 640 or 644). 0 keeps the default (0640, less '
                    'the umask).'),
]

# The http store (read only: images registered by an http or https location).
http_opts = [
    cfg.StrOpt('https_ca_certificates_file',
               help='A file of CA certificates the http store checks https locations\' '
                    'certificates against; set, it overrides https_insecure.'),
    cfg.BoolOpt('https_insecure', default=True,
                help='Read https locations without checking their certificate (upstream\'s '
                     'default); ignored when https_ca_certificates_file is set.'),
    cfg.DictOpt('http_proxy_information', default={},
                help='Proxies the http store reads through, per URL scheme, e.g. '
                     '"http:proxy.example.com:3128, https:proxy.example.com:3128".'),
]

# The swift store (single-tenant, credentials in swift_store_config_file), with upstream
# glance_store's option names; api_service/stores/swift.py.
swift_opts = [
    cfg.StrOpt('swift_store_config_file',
               help='Path of the file holding the swift store\'s credentials: one section '
                    'per reference, each with auth_address, auth_version (1 for auth v1 as '
                    'in tempauth or RadosGW, 2 or 3 for Keystone; 3 when left out), user '
                    '(PROJECT:USER for Keystone, ACCOUNT:USER for auth v1), key and, for '
                    'Keystone, user_domain_id / user_domain_name and project_domain_id / '
                    'project_domain_name ("default" when left out). Required by the swift '
                    'store. Related: default_swift_reference.'),
    cfg.StrOpt('default_swift_reference', default='ref1',
               help='The section of swift_store_config_file whose credentials the swift '
                    'store uses; its name is part of the locations it records '
                    '(swift+config://REFERENCE/CONTAINER/IMAGE_ID).'),
    cfg.StrOpt('swift_store_container', default='glance',
               help='The container the swift store puts image data in (the prefix of the '
                    'containers\' names when swift_store_multiple_containers_seed is set).'),
    cfg.BoolOpt('swift_store_create_container_on_put', default=False,
                help='Create the container when an upload finds it missing. When False a '
                     'missing container fails the upload with 503 and a message naming it.'),
    cfg.IntOpt('swift_store_large_object_size', default=5120, min=1,
               help='Images announced at this size in MB or more, and images of unknown '
                    'size (chunked uploads), go to Swift as segments and a manifest (a '
                    'dynamic large object); smaller ones as one object. Swift refuses a '
                    'single object over 5 GiB by default. Related: '
                    'swift_store_large_object_chunk_size.'),
    cfg.IntOpt('swift_store_large_object_chunk_size', default=200, min=1,
               help='Size in MB of the segments of a large image.'),
    cfg.IntOpt('swift_store_multiple_containers_seed', default=0, min=0, max=32,
               help='Spread images over several containers: with N above 0 an image goes '
                    'to the container swift_store_container + "_" + the first N characters '
                    'of its id. 0 puts every image in swift_store_container.'),
    cfg.StrOpt('swift_store_endpoint',
               help='The storage URL to use (e.g. https://swift.example.com/v1/AUTH_x) '
                    'instead of the one authentication returns or the catalog lists.'),
    cfg.StrOpt('swift_store_region',
               help='The region whose object-store endpoint is used, when Keystone\'s '
                    'catalog lists several.'),
    cfg.StrOpt('swift_store_service_type', default='object-store',
               help='The service type of Swift in Keystone\'s catalog.'),
    cfg.StrOpt('swift_store_endpoint_type', default='publicURL',
               choices=['publicURL', 'adminURL', 'internalURL'],
               help='Which of the catalog\'s endpoints of Swift is used.'),
    cfg.BoolOpt('swift_store_auth_insecure', default=False,
                help='Talk to the auth service and Swift over https without checking their '
                     'certificates.'),
    cfg.StrOpt('swift_store_cacert',
               help='A file of CA certificates to check the https certificates of the auth '
                    'service and Swift with.'),
    cfg.BoolOpt('swift_store_multi_tenant', default=False,
                help='Keep each project\'s images in its own Swift account, with the '
                     'token of the user who uploads, downloads or deletes: the account is '
                     'the object-store endpoint of the request\'s service catalog (or '
                     'swift_store_endpoint), and each image gets a container of its own, '
                     'swift_store_container + "_" + the image id. Needs auth_strategy = '
                     'keystone; swift_store_config_file must then be unset. Related: '
                     'swift_store_admin_tenants, swift_store_use_trusts.'),
    cfg.ListOpt('swift_store_admin_tenants', default=[],
                help='Multi-tenant mode: the ids of the projects given read and write '
                     'access (container ACLs) to every container the swift store creates.'),
    cfg.BoolOpt('swift_store_use_trusts', default=True,
                help='Multi-tenant mode: re-authenticate with a Keystone trust when the '
                     'user\'s token expires mid-transfer. Glimpse does not create trusts: '
                     'with True (the default) glance-api logs at start that transfers must '
                     'end within the life of the user\'s token; False says the same '
                     'without a warning.'),
    cfg.IntOpt('swift_store_retry_get_count', default=0, min=0,
               help='How many times a download that Swift cut short is resumed (a ranged '
                    'GET from the first byte not yet sent) before the download fails. 0: '
                    'never.'),
    cfg.BoolOpt('swift_buffer_on_upload', default=False,
                help='Write each segment of an upload to a temporary file in '
                     'swift_upload_buffer_dir before sending it to Swift, so that a segment '
                     'whose PUT fails is sent again instead of failing the upload. Uses up '
                     'to swift_store_large_object_chunk_size of disk per upload in progress. '
                     'Related: swift_upload_buffer_dir.'),
    cfg.StrOpt('swift_upload_buffer_dir',
               help='The directory of swift_buffer_on_upload\'s temporary files (unlinked '
                    'as soon as they are made). Required when swift_buffer_on_upload is '
                    'True.'),
]

# The s3 store (boto3; one bucket, credentials from these options), with upstream
# glance_store's option names; api_service/stores/s3.py.
s3_opts = [
    cfg.StrOpt('s3_store_host',
               help='The S3 (or S3-compatible) server to use: a host name or IP address, '
                    'with a port if needed (e.g. s3.amazonaws.com, 192.0.2.10:8080), or a '
                    'URL starting with http:// or https://; plain http when no scheme is '
                    'given. Required by the s3 store. Related: s3_store_access_key, '
                    's3_store_secret_key.'),
    cfg.StrOpt('s3_store_region_name', default='',
               help='The region requests are signed for (and a created bucket is placed '
                    'in). When empty, the region an Amazon host names (s3-REGION.'
                    'amazonaws.com), else us-east-1. Related: s3_store_host.'),
    cfg.StrOpt('s3_store_access_key', secret=True,
               help='The access key the s3 store authenticates with; it needs the rights '
                    'to read, write and delete objects in s3_store_bucket. Required by the '
                    's3 store. Related: s3_store_secret_key.'),
    cfg.StrOpt('s3_store_secret_key', secret=True,
               help='The secret key of s3_store_access_key. Required by the s3 store. '
                    'Glimpse keeps it out of image locations, logs and error messages.'),
    cfg.StrOpt('s3_store_bucket',
               help='The bucket the s3 store keeps image data in. Required by the s3 '
                    'store. Related: s3_store_create_bucket_on_put, '
                    's3_store_bucket_url_format.'),
    cfg.BoolOpt('s3_store_create_bucket_on_put', default=False,
                help='Create s3_store_bucket when an upload finds it missing. When False a '
                     'missing bucket fails the upload with 503 and a message naming it.'),
    cfg.StrOpt('s3_store_bucket_url_format', default='auto',
               choices=['auto', 'virtual', 'path'],
               help='How object addresses name the bucket: "path" (https://HOST/BUCKET/'
                    'KEY), "virtual" (https://BUCKET.HOST/KEY, which needs a bucket name '
                    'valid in DNS) or "auto" (virtual when the bucket name allows it). '
                    'Related: s3_store_bucket.'),
    cfg.IntOpt('s3_store_large_object_size', default=100, min=0,
               help='Size in MB from which an image goes to S3 as a multipart upload '
                    'instead of one PUT (an image of unknown size is read up to this size '
                    'to decide). A multipart upload has at most 10,000 parts. Related: '
                    's3_store_large_object_chunk_size, s3_store_thread_pools.'),
    cfg.IntOpt('s3_store_large_object_chunk_size', default=10,
               help='Size in MB of the parts of a multipart upload; at least 5 (S3\'s '
                    'smallest part). Related: s3_store_large_object_size, '
                    's3_store_thread_pools.'),
    cfg.IntOpt('s3_store_thread_pools', default=10,
               help='How many parts of one multipart upload are sent to S3 at the same '
                    'time (each held in memory while it is sent); a positive integer. '
                    'Related: s3_store_large_object_size, s3_store_large_object_chunk_size.'),
    cfg.StrOpt('s3_store_cacert', default='',
               help='A file of CA certificates to check an https S3 server\'s certificate '
                    'with; empty uses botocore\'s own bundle.'),
    cfg.BoolOpt('s3_store_enable_data_integrity_protection', default=False,
                help='Let boto3 add and check checksums of uploads and downloads as '
                     's3_store_request_checksum_calculation and '
                     's3_store_response_checksum_validation say. False (the default, for '
                     'S3-compatible servers that do not support them) computes checksums '
                     'only where S3 requires them.'),
    cfg.StrOpt('s3_store_request_checksum_calculation', default='when_required',
               choices=['when_required', 'when_supported'],
               help='When checksums are computed for requests to S3 (botocore\'s '
                    'request_checksum_calculation); used only when '
                    's3_store_enable_data_integrity_protection is True.'),
    cfg.StrOpt('s3_store_response_checksum_validation', default='when_required',
               choices=['when_required', 'when_supported'],
               help='When checksums of S3\'s answers are checked (botocore\'s '
                    'response_checksum_validation); used only when '
                    's3_store_enable_data_integrity_protection is True.'),
]

store_opts = [
    cfg.ListOpt('stores', default=['file'],
                help='The store drivers a single-store deployment enables. Glimpse '
                     'implements "file" (alias "filesystem"), "http" (read only), '
                     '"swift" and "s3"; "rbd", "cinder" and "vmware" are glance_store\'s '
                     'own drivers (their Python libraries must be installed); another '
                     'driver stops glance-api at start. Not used with [DEFAULT] '
                     'enabled_backends. Related: default_store.'),
    cfg.StrOpt('default_store', default='file',
               help='The store new image data goes to in a single-store deployment; one of '
                    'the schemes of the stores enabled by "stores". Related: stores.'),
    cfg.StrOpt('default_backend',
               help='The ID (from [DEFAULT] enabled_backends) of the store new image data '
                    'goes to in a multi-store deployment; required there.'),
    *filesystem_opts,
    *http_opts,
    *swift_opts,
    *s3_opts,
    cfg.IntOpt('filesystem_store_chunk_size', default=1 * MiB, min=4096,
               help='Bytes read from the request and written to disk at a time, and read '
                    'from disk at a time when a download cannot use sendfile. Upstream '
                    'uses 64 KiB; 1 MiB cuts per-chunk Python overhead (hashing, system '
                    'calls) enough to move from CPU-bound to disk-bound uploads, at the cost '
                    'of 1 MiB of memory per transfer in flight.'),
    cfg.IntOpt('filesystem_store_partial_sweep_interval', default=10, min=0,
               help='Seconds between two sweeps of filesystem_store_datadir for the partial '
                    'files (<image id>.<worker>.<random>.partial) of uploads whose worker '
                    'died and whose glance-api master could not remove them (the whole host '
                    'died, on a directory other hosts share). A partial file is removed once '
                    'it has not been written to for upload_lease_seconds plus this interval, '
                    'unless a live worker of the same glance-api writes it; a live upload '
                    'writes to its file all the time, so only one on another host whose '
                    'client sent nothing for that long loses its data (it then fails with '
                    '409). Each api worker sweeps '
                    'when it starts and then at this interval; several workers or hosts '
                    'sweeping one shared directory do no harm. Keep the clocks of the hosts '
                    'sharing a directory in sync (NTP): file times come from the file '
                    'server. 0 disables the sweep (partial files then stay until removed by '
                    'hand). Related: upload_lease_seconds.'),
]

image_format_opts = [
    cfg.ListOpt('container_formats',
                default=['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'],
                help='Container formats an image may declare (container_format).'),
    cfg.ListOpt('disk_formats',
                default=['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi',
                         'iso', 'ploop'],
                help='Disk formats an image may declare (disk_format).'),
    cfg.BoolOpt('require_image_format_match', default=True,
                help='Refuse (415) an upload whose content is not the disk format the image '
                     'declares, as detected while the data streams in (container_format '
                     'bare only). A raw or iso image may carry a partition table, a '
                     'bootable ISO counts as iso, and formats no inspector knows (ami, '
                     'aki, ari, ploop) are taken as declared. Turn it off only to accept '
                     'images whose metadata is known to be wrong; safety checks apply '
                     'either way. Related: vmdk_allowed_types, gpt_safety_checks_nonfatal.'),
    cfg.ListOpt('vmdk_allowed_types', default=['streamOptimized', 'monolithicSparse'],
                help='VMDK subformats (createType in the descriptor) an uploaded vmdk image '
                     'may have; any other is refused with 415. Subformats that keep their '
                     'data in other files (monolithicFlat, twoGbMaxExtent*, vmfs ...) are '
                     'never accepted, whatever this says, because a reader would open '
                     'those files on the host.'),
    cfg.BoolOpt('gpt_safety_checks_nonfatal', default=False,
                help='Accept, with a warning, an image whose MBR or GPT partition table '
                     'fails the safety checks, instead of refusing it with 415. Meant as '
                     'a temporary relief for images with harmless but unusual partition '
                     'tables.'),
]

# Image locations: showing them, and the legacy PATCH /locations and the 2.17 locations API
# (api_service/services/locations.py). Upstream's names and defaults.
location_opts = [
    cfg.BoolOpt('show_image_direct_url', default=False,
                help='Show the URL of where the image data is stored (its first location) '
                     'in the image, as ``direct_url``. Locations can include credentials: '
                     'showing them can be a GRAVE SECURITY RISK, hence off by default; turn '
                     'it on only if you know what it reveals. To show no location at all, '
                     'leave this and show_multiple_locations False. Related: '
                     'show_multiple_locations.'),
    cfg.BoolOpt('show_multiple_locations', default=False,
                deprecated_for_removal=True, deprecated_since='Newton',
                deprecated_reason='A security risk since Newton, kept (as upstream keeps '
                                  'it) until the use cases that need it have another '
                                  'way; it cannot be replaced by policy settings today.',
                help='Show every location of an image in the image, as ``locations`` '
                     '([{"url", "metadata"}]), and let the image PATCH add, replace and '
                     'remove them (the /locations paths). Locations can include '
                     'credentials: showing them can be a GRAVE SECURITY RISK (OSSN-0065), '
                     'hence off by default. To show no location at all, leave this and '
                     'show_image_direct_url False. Related: show_image_direct_url, '
                     'image_location_quota.'),
    cfg.IntOpt('image_location_quota', default=10,
               help='The most locations an image may have; a change that would pass it is '
                    'refused with 413. A negative value means no limit.'),
    cfg.BoolOpt('do_secure_hash', default=True,
                help='Let POST /v2/images/{image_id}/locations compute the checksum and '
                     'os_hash_value of the image from its data (in the background: read '
                     'through the store holding the location) and, given validation data, '
                     'check them against it. When False nothing is computed: the caller\'s '
                     'validation data is taken as the image\'s checksum and hash, so it is '
                     'up to the caller to send the right values.'),
]


def register_opts(conf):
    common_config.register_opts(conf)
    # glance-api keeps its options on a private ConfigOpts, not the global cfg.CONF.
    rpc_transport.register_messaging_opts(conf)
    notifications.register_opts(conf)
    conf.register_opts(server_opts)
    conf.register_opts(image_opts)
    conf.register_opts(location_opts)
    conf.register_opts(quota_opts)
    conf.register_opts(delete_opts)
    conf.register_opts(cache_opts)
    conf.register_opts(backend_opts)
    conf.register_opts(store_opts, group='glance_store')
    # glance_store's own options of the drivers Glimpse runs through it (rbd, cinder, vmware).
    conf.register_opts(glance_store_bridge.single_store_opts(), group='glance_store')
    conf.register_opts(image_format_opts, group='image_format')
    conf.register_opts(paste_deploy_opts, group='paste_deploy')
    import_options.register(conf)
    task_options.register(conf)
    try:
        logging.register_options(conf)
    except cfg.ArgsAlreadyParsedError:
        pass
    except cfg.DuplicateOptError:
        pass


def register_backend_opts(conf):
    """Register the section of each backend of ``[DEFAULT] enabled_backends`` (its
    store_description, weight and file driver options); -> {backend id: type}. Call it
    once the files are parsed. A backend of another type gets only its common options
    (the catalog refuses it)."""
    enabled = conf.enabled_backends or {}
    for backend_id, kind in enabled.items():
        backend_id = backend_id.strip()
        if not backend_id or backend_id in ('DEFAULT', 'glance_store'):
            continue
        kind = (kind or '').strip()
        opts = backend_section_opts + (filesystem_opts if kind in ('file', 'filesystem')
                                       else http_opts if kind in ('http', 'https')
                                       else swift_opts if kind == 'swift'
                                       else s3_opts if kind in ('s3', 's3+http', 's3+https')
                                       else [])
        for opt in opts:
            try:
                conf.register_opt(opt, group=backend_id)
            except cfg.DuplicateOptError:
                pass
        bridged = glance_store_bridge.resolve(kind)
        if bridged:
            # glance_store's own options of the driver it runs for this backend, here and
            # in [backend_defaults], as glance_store registers them.
            glance_store_bridge.register_opts(conf, bridged, backend_id, strict=False)
    return enabled


def list_opts():
    return [
        ('DEFAULT', server_opts + image_opts + quota_opts + delete_opts + backend_opts
                    + cache_opts + location_opts),
        ('glance_store', store_opts),
        ('image_format', image_format_opts),
        ('paste_deploy', paste_deploy_opts),
        *import_options.list_opts(),
        *notifications.list_opts(),
        *task_options.list_opts(),
    ]


def auth_strategy(conf):
    """The effective auth strategy: [DEFAULT] auth_strategy, else [paste_deploy] flavor.

    A flavor that names no pipeline glimpse knows is a ConfigurationError.
    """
    explicit = conf.get_location('auth_strategy').location != cfg.Locations.opt_default
    flavor = (conf.paste_deploy.flavor or '').strip().lower()
    if explicit or not flavor:
        return conf.auth_strategy
    if flavor in KEYSTONE_FLAVORS:
        return 'keystone'
    if flavor in NOAUTH_FLAVORS:
        return 'noauth'
    known = ', '.join(f for f in KEYSTONE_FLAVORS + NOAUTH_FLAVORS if f)
    raise exceptions.ConfigurationError('[paste_deploy] flavor = %s is not one of: %s'
                                        % (flavor, known))


PROJECT = 'glance'
PROG = 'glance-api'
DEFAULT_CONFIG_DIR = '/etc/glance'


def default_config_files():
    """$GLANCE_API_CONFIG_FILE, else $OS_GLANCE_CONFIG_DIR/glance-api.conf if it exists,
    after glance-image-import.conf there if that exists (upstream's optional file of the
    import plugins' options; glance-api.conf wins where both set an option)."""
    explicit = os.environ.get('GLANCE_API_CONFIG_FILE')
    if explicit:
        return [explicit]
    directory = os.environ.get('OS_GLANCE_CONFIG_DIR', DEFAULT_CONFIG_DIR)
    paths = [os.path.join(directory, name)
             for name in ('glance-image-import.conf', 'glance-api.conf')]
    return [path for path in paths if os.path.exists(path)]


def load(argv=()):
    """Parse ``argv`` (--config-file, --config-dir, --version ...) and set up oslo.log."""
    conf = cfg.ConfigOpts()
    register_opts(conf)
    conf(list(argv), project=PROJECT, prog=PROG, version=version.version_string(),
         default_config_files=default_config_files())
    logging.setup(conf, PROG)
    return conf
