"""What glance-scrubber.conf may say that glance-scrubber does not do: upstream's scrubber
read the database and the api's options itself; this one asks the registry over RPC.

tests/unit/scrubber/test_config_audit.py fails when an entry names an option glance-scrubber
registers (it became real and must leave the table).
"""

from oslo_config import cfg

from api_service import config as api_config
from api_service.stores import glance_store_bridge
from common import config_audit
from common.config_audit import NotImplementedOption as Entry

_RPC = ('glance-scrubber reaches the image database through glance-registry over RPC '
        '([DEFAULT] transport_url, [registry] topic)')

NOT_IMPLEMENTED = (
    Entry('database', '*', _RPC),
    Entry('DEFAULT', 'delayed_delete', 'it is glance-api\'s option: set it in '
          'glance-api.conf'),
    Entry('DEFAULT', 'metadata_encryption_key', 'locations are never encrypted'),
)


def _unloadable_store_options():
    """As glance-api's audit: the options of a glance_store driver whose module cannot be
    loaded here (cinder's needs os-brick) are registered nowhere, and have no effect."""
    return tuple(Entry('glance_store', name, 'glance_store\'s %s driver cannot be loaded '
                                             '(its libraries are not installed)' % driver)
                 for driver, names in glance_store_bridge.unloadable_option_names().items()
                 for name in names)


def audit(conf, logger=None):
    """Warn once per option of glance-scrubber's files that it will not honour."""
    try:
        # The sections of [DEFAULT] enabled_backends are the backends' own (with the
        # options of the glance_store driver of each, as glance-api registers them).
        api_config.register_backend_opts(conf)
    except cfg.Error:
        pass
    return config_audit.audit(conf, NOT_IMPLEMENTED + _unloadable_store_options(),
                              logger=logger)
