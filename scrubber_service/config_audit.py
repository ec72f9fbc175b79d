"""What glance-scrubber.conf may say that glance-scrubber does not do: upstream's scrubber
read the database and the api's options itself; this one asks the registry over RPC.

tests/unit/scrubber/test_config_audit.py fails when an entry names an option glance-scrubber
registers (it became real and must leave the table).
"""

from common import config_audit
from common.config_audit import NotImplementedOption as Entry

_RPC = ('glance-scrubber reaches the image database through glance-registry over RPC '
        '([DEFAULT] transport_url, [registry] topic)')

NOT_IMPLEMENTED = (
    Entry('database', '*', _RPC),
    Entry('DEFAULT', 'delayed_delete', 'it is glance-api\'s option: set it in '
          'glance-api.conf'),
    Entry('DEFAULT', 'enabled_backends', 'multiple stores are not implemented; the one '
          'store is the filesystem store of [glance_store]'),
    Entry('DEFAULT', 'metadata_encryption_key', 'locations are never encrypted'),
    Entry('glance_store', 'stores', 'only the filesystem store ("file") is implemented'),
    Entry('glance_store', 'default_store', 'only the filesystem store ("file") is '
          'implemented'),
)


def audit(conf, logger=None):
    """Warn once per option of glance-scrubber's files that it will not honour."""
    return config_audit.audit(conf, NOT_IMPLEMENTED, logger=logger)
