"""The http store's driver (api_service/stores/http.py) against the loopback HTTP server
started as its own process (tools/backends/http_server.py): the read half of the store
contract, redirects and a location whose server is gone."""

import pytest

from api_service import exceptions
from api_service.stores import http as http_store
from tests.unit.stores import contract


class TestHttpStoreOnTheRealServer(contract.StoreReadContract):
    @pytest.fixture
    def store(self, http_server):
        self.server = http_server
        return http_store.HttpStore(store_id='web')

    def place(self, store, image_id, data):
        return self.server.add_file('contract/%s' % image_id, data)

    def missing_location(self, store):
        return '%s/contract/never-there' % self.server.url


def test_a_redirect_to_a_range(http_server):
    http_server.add_file('redirected/one.img', b'0123456789' * 1000)
    chunks, size = http_store.HttpStore('web').get(
        '%s/redirect/redirected/one.img' % http_server.url, 9985, 10)
    assert size == 10000 and b''.join(chunks) == b'5678901234'
    with pytest.raises(exceptions.StoreUnreachable):
        http_store.HttpStore('web').get('%s/redirect-loop' % http_server.url)
