"""The configured stores: which one takes new data, and which one serves a location."""

from urllib import parse

from api_service import exceptions
from api_service.stores import filesystem


class StoreCatalog:
    def __init__(self, stores, default):
        self._by_scheme = {}
        for store in stores:
            for scheme in store.schemes:
                self._by_scheme.setdefault(scheme, store)
        self.default = default

    def all(self):
        """Every configured store, once."""
        return list({id(store): store for store in
                     [self.default, *self._by_scheme.values()]}.values())

    def for_uri(self, uri):
        scheme = parse.urlsplit(uri).scheme
        try:
            return self._by_scheme[scheme]
        except KeyError:
            raise exceptions.UnknownStoreScheme(scheme=scheme) from None


def from_config(conf):
    store = filesystem.FilesystemStore(conf.glance_store.filesystem_store_datadir,
                                       conf.hashing_algorithm)
    return StoreCatalog([store], default=store)
