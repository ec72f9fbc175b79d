"""api_service/services/store_acls.py: who may read an image's data, told to the stores that
keep per-image lists (multi-tenant Swift), and nothing asked of the others."""

import logging

from api_service.services import store_acls
from api_service.stores import catalog
from common import exceptions
from tests.unit.stores.memory_store import MemoryStore


class ListingStore(MemoryStore):
    """A store keeping per-image read lists, recording what it is told (or refusing)."""

    def __init__(self, store_id, refuse=False):
        super().__init__(store_id)
        self.refuse = refuse
        self.calls = []

    def set_acls(self, location, public=False, read_tenants=(), write_tenants=(),
                 context=None):
        if self.refuse:
            raise exceptions.GlimpseError('refused')
        self.calls.append((location, public, list(read_tenants), context))


class Registry:
    def __init__(self, locations, members=()):
        self.locations = locations
        self.members = list(members)
        self.calls = []

    def image_location_list(self, ctx, *, image_ids):
        self.calls.append('image_location_list')
        return {image_ids[0]: self.locations}

    def image_member_list(self, ctx, *, image_id):
        self.calls.append('image_member_list')
        return [{'member_id': m, 'status': 'pending'} for m in self.members]


def _image(visibility):
    return {'id': 'img-1', 'visibility': visibility}


def test_a_shared_image_is_readable_by_every_member_project():
    store = ListingStore('swift')
    stores = catalog.StoreCatalog([store, MemoryStore('plain')], store)
    registry = Registry([{'url': 'memory://a', 'store_id': 'swift'},
                         {'url': 'memory://b', 'store_id': 'plain'}], members=['p1', 'p2'])
    store_acls.update_acls('ctx', registry, stores, _image('shared'))
    assert store.calls == [('memory://a', False, ['p1', 'p2'], 'ctx')]


def test_public_and_community_images_are_readable_by_all_without_a_member_list():
    for visibility in ('public', 'community'):
        store = ListingStore('swift')
        registry = Registry([{'url': 'memory://a', 'store_id': 'swift'}], members=['p1'])
        store_acls.update_acls('ctx', registry, catalog.StoreCatalog([store], store),
                               _image(visibility))
        assert store.calls == [('memory://a', True, [], 'ctx')]
        assert registry.calls == ['image_location_list']


def test_stores_without_lists_cost_no_registry_call():
    plain = MemoryStore('plain')
    registry = Registry([{'url': 'memory://a', 'store_id': 'plain'}])
    store_acls.update_acls('ctx', registry, catalog.StoreCatalog([plain], plain),
                           _image('shared'))
    store_acls.update_acls_at('ctx', registry, plain, _image('shared'), 'memory://a')
    assert registry.calls == []


def test_a_refusal_is_logged_with_the_image_and_store_not_raised(caplog):
    store = ListingStore('swift', refuse=True)
    registry = Registry([{'url': 'memory://a', 'store_id': 'swift'}])
    with caplog.at_level(logging.WARNING, logger='api_service.services.store_acls'):
        store_acls.update_acls_at('ctx', registry, store, _image('private'), 'memory://a')
    assert 'img-1' in caplog.text and 'store swift' in caplog.text
