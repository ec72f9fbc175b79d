"""The contract suite against a store without random access or files: ranges are read by
skipping, and open_file is refused."""

import pytest

from tests.unit.stores import contract
from tests.unit.stores import memory_store


class TestMemoryStore(contract.StoreContract):
    @pytest.fixture
    def store(self):
        return memory_store.MemoryStore('mem')
