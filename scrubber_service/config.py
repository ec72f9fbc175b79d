"""Options glance-scrubber reads (upstream's names), and loading them from glance-scrubber.conf
and the command line.

It reaches glance-registry as glance-api does ([DEFAULT] transport_url, [registry]) and the
stores with glance-api's store code and options ([glance_store], with glance_store's own
options of the drivers run through it: rbd_store_*, cinder_*, vmware_*; and the backend
sections of [DEFAULT] enabled_backends, registered once the files are read): copy those
sections from glance-api.conf.
"""

from oslo_config import cfg
from oslo_log import log as logging

from api_service import config as api_config
from api_service.stores import glance_store_bridge
from common import config as common_config
from common import version
from common.rpc import transport as rpc_transport

scrubber_opts = [
    cfg.IntOpt('scrub_time', default=0, min=0,
               help='Seconds an image stays in "pending_delete" (glance-api\'s '
                    'delayed_delete) before glance-scrubber removes its data and marks it '
                    '"deleted"; until then "glance-scrubber --restore" can bring it back. '
                    'The longer it is, the later the stores get their space back. Data an '
                    'immediate delete could not remove (a store that was down) is retried '
                    'at every run, whatever this says. Related: glance-api delayed_delete, '
                    'wakeup_time.'),
    cfg.IntOpt('scrub_pool_size', default=1, min=1,
               help='Images whose data glance-scrubber removes at once (threads). 1 removes '
                    'them one after the other. Several scrubbers (on one host or several) '
                    'may run at once: each removal is claimed in the registry first, so '
                    'none is done twice.'),
    cfg.IntOpt('wakeup_time', default=300, min=1,
               help='Seconds between two runs of a glance-scrubber started with --daemon. '
                    'A run that could not reach the registry is tried again at the next '
                    'wake-up. Related: daemon.'),
    cfg.IntOpt('scrub_claim_time', default=3600, min=60,
               help='Seconds a scrubber holds an image\'s data removal it took from the '
                    'registry. Should it die meanwhile, another scrubber takes the removal '
                    'over once this has passed; a removal that takes longer may be done a '
                    'second time, harmlessly. Keep the clocks of the registry hosts in sync '
                    '(NTP).'),
]

cli_opts = [
    cfg.BoolOpt('daemon', short='D', default=False,
                help='Run as a daemon: scrub, sleep wakeup_time seconds, and again, until '
                     'stopped (SIGTERM). Without it glance-scrubber scrubs once and exits, '
                     'for cron. Related: wakeup_time.'),
    cfg.StrOpt('restore', metavar='<IMAGE_ID>',
               help='Bring the image IMAGE_ID back from "pending_delete" to "active", with '
                    'its data, and exit. Refused while a scrubber is removing that data.'),
]


def _hashing_opt():
    # glance-api's image options the scrubber shares (the multihash algorithm).
    return [opt for opt in api_config.image_opts if opt.name == 'hashing_algorithm']


def register_opts(conf):
    common_config.register_opts(conf)
    rpc_transport.register_messaging_opts(conf)
    conf.register_opts(scrubber_opts)
    conf.register_cli_opts(cli_opts)
    conf.register_opts(_hashing_opt())
    conf.register_opts(api_config.backend_opts)
    conf.register_opts(api_config.store_opts, group='glance_store')
    # As glance-api: the options of the drivers glance_store runs (rbd, cinder, vmware).
    conf.register_opts(glance_store_bridge.single_store_opts(), group='glance_store')
    try:
        logging.register_options(conf)
    except (cfg.ArgsAlreadyParsedError, cfg.DuplicateOptError):
        pass


def list_opts():
    return [('DEFAULT', scrubber_opts + cli_opts + _hashing_opt() + api_config.backend_opts),
            ('glance_store', api_config.store_opts)]


PROJECT = 'glance'
PROG = 'glance-scrubber'


def load(argv=()):
    """Parse ``argv`` (--config-file, --daemon, --restore ...) and set up oslo.log."""
    conf = cfg.ConfigOpts()
    register_opts(conf)
    conf(list(argv), project=PROJECT, prog=PROG, version=version.version_string(),
         default_config_files=cfg.find_config_files(project=PROJECT, prog=PROG))
    logging.setup(conf, PROG)
    return conf
