"""What the endpoint makes of database errors: a refused value is a 400, a lost server a 503.

Values the api would never send are passed straight to the endpoint here, on real servers:
PostgreSQL and MariaDB refuse them where SQLite stores them.
"""

import oslo_messaging
import pytest
from oslo_config import cfg

from common import exceptions
from registry_service import config
from registry_service import endpoint
from registry_service.db import migration
from registry_service.db import session as db_session
from tests import db_backends
from tests.unit.registry.conftest import make_context

# Each value is one that backend refuses: past INTEGER, NUL in text (checked before it is
# sent, so every backend answers alike).
REFUSED = {
    'postgresql': [{'min_ram': 2 ** 31}, {'name': 'nul\x00inside'}],
    'mysql': [{'min_ram': 2 ** 31}],
}


def _endpoint(kind, tmp_path):
    stack = db_backends.temporary_database(kind, tmp_path)
    url = stack.__enter__()
    migration.upgrade(url)
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf([], project='glance')
    conf.set_override('connection', url, group='database')
    database = db_session.Database.from_conf(conf)
    return endpoint.RegistryEndpoint(database), database, stack


@pytest.mark.parametrize('kind,values', [(kind, values) for kind, cases in REFUSED.items()
                                         for values in cases])
def test_value_the_database_refuses_is_invalid_not_unavailable(kind, values, tmp_path):
    try:
        rpc_endpoint, database, stack = _endpoint(kind, tmp_path)
    except Exception as exc:  # the server is not there on this machine
        pytest.skip('%s not available: %s' % (kind, exc))
    try:
        with pytest.raises(oslo_messaging.ExpectedException) as raised:
            rpc_endpoint.image_create(make_context('p1'), values=values, properties={},
                                      tags=[])
        assert isinstance(raised.value.__cause__, exceptions.Invalid)
        # The registry still serves: the failed transaction left nothing behind.
        assert rpc_endpoint.ping(make_context('p1')) == {'ok': True}
    finally:
        database.dispose()
        stack.__exit__(None, None, None)
