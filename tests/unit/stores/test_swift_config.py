"""The swift store from configuration: its options in [glance_store] (single-store) or in
the backend's own section (multi-store), the swift store config file, and the settings that
stop the start with a message naming the option. The driver against a real Swift is in
tests/functional/stores/test_swift_store.py."""

import pytest
from oslo_config import cfg

from api_service import config
from api_service import config_audit
from api_service import exceptions
from api_service.stores import base
from api_service.stores import catalog
from api_service.stores import swift

REFERENCES = """[ref1]
auth_address = http://swift.example.com/auth/v1.0
auth_version = 1
user = test:tester
key = testing

[keystone]
auth_address = http://keystone.example.com/v3
user = service:glance
key = secret
user_domain_name = Default
"""


def _conf(tmp_path, text):
    (tmp_path / 'glance-swift.conf').write_text(REFERENCES)
    path = tmp_path / 'glance-api.conf'
    path.write_text(text.replace('TMP', str(tmp_path)))
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-api')
    return conf


SEED = ('[glance_store]\nstores = file,swift\ndefault_store = swift\n'
        'filesystem_store_datadir = TMP/images\n'
        'swift_store_config_file = TMP/glance-swift.conf\n'
        'swift_store_create_container_on_put = True\n')


def test_single_store_swift_as_default(tmp_path):
    conf = _conf(tmp_path, SEED + 'swift_store_large_object_size = 100\n'
                                  'swift_store_large_object_chunk_size = 10\n'
                                  'swift_store_multiple_containers_seed = 3\n')
    stores = catalog.from_config(conf)
    store = stores.default
    assert isinstance(store, swift.SwiftStore) and store.store_id == 'swift'
    assert sorted(stores.ids()) == ['file', 'swift']
    assert store.create_container and store.container == 'glance'
    assert store.large_object_size == 100 * 1024 * 1024
    assert store.chunk_size == 10 * 1024 * 1024
    assert store.container_for('abcdef') == 'glance_abc'
    assert store.reference['auth_version'] == '1.0'
    assert not store.can(base.Capability.SENDFILE)
    assert store.can(base.Capability.READ_OFFSET)
    url = store.url_for('glance', 'abc')
    assert url == 'swift+config://ref1/glance/abc'
    assert stores.for_location(url) is store
    assert config_audit.audit(conf) == []
    catalog.check(conf)


def test_multi_store_swift_backend_with_its_section(tmp_path):
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, objects:swift\n'
                           '[glance_store]\ndefault_backend = objects\n'
                           '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                           '[objects]\nstore_description = Swift\n'
                           'swift_store_config_file = TMP/glance-swift.conf\n'
                           'default_swift_reference = keystone\n'
                           'swift_store_container = images\n'
                           'swift_store_endpoint = http://swift.example.com/v1/AUTH_x\n')
    stores = catalog.from_config(conf)
    store = stores.get('objects')
    assert stores.default is store and store.description == 'Swift'
    assert store.container == 'images' and store.reference_name == 'keystone'
    assert store.reference['auth_version'] == '3'
    options = store._os_options()
    assert options['project_name'] == 'service'
    assert options['user_domain_name'] == 'Default'
    assert options['project_domain_id'] == 'default'
    assert options['object_storage_url'] == 'http://swift.example.com/v1/AUTH_x'
    assert store.url_for('images', 'i') == 'swift+config://keystone/images/i'
    assert config_audit.audit(conf) == []


@pytest.mark.parametrize('extra,names', [
    ('swift_store_multi_tenant = True\n', ['swift_store_multi_tenant',
                                           'swift_store_config_file', 'mutually exclusive']),
    ('default_swift_reference = nope\n', ['swift_store_config_file', '[nope]']),
    ('swift_store_config_file = TMP/missing.conf\n', ['swift_store_config_file',
                                                      'missing.conf']),
    ('swift_store_container = \n', ['swift_store_container']),
])
def test_a_swift_configuration_that_cannot_be_served(tmp_path, extra, names):
    conf = _conf(tmp_path, SEED + extra)
    for call in (catalog.check, catalog.from_config):
        with pytest.raises(exceptions.ConfigurationError) as caught:
            call(conf)
        for name in names:
            assert name in str(caught.value)


def test_no_config_file_names_the_option(tmp_path):
    conf = _conf(tmp_path, '[glance_store]\nstores = swift\ndefault_store = swift\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    assert '[glance_store] swift_store_config_file' in str(caught.value)


@pytest.mark.parametrize('body,words', [
    ('[ref1]\nauth_address = http://x/v3\nuser = nocolon\nkey = k\n', ['PROJECT:USER']),
    ('[ref1]\nauth_address = http://x/v3\nuser = p:u\nkey = k\nauth_version = 9\n',
     ['auth_version = 9']),
    ('[ref1]\nuser = p:u\n', ['auth_address', 'key']),
    ('not a config file\n', ['not a valid config file']),
])
def test_bad_references(tmp_path, body, words):
    path = tmp_path / 'refs.conf'
    path.write_text(body)
    with pytest.raises(swift.BadReference) as caught:
        swift.read_reference(str(path), 'ref1')
    for word in words:
        assert word in str(caught.value)


def test_upstream_swift_options_glimpse_lacks_are_reported(tmp_path):
    conf = _conf(tmp_path, SEED + 'swift_store_auth_address = http://x\n'
                                  'swift_store_ssl_compression = True\n'
                                  'swift_store_admin_tenants = a\n')
    # swift_store_admin_tenants is a real option now (multi-tenant mode).
    found = {f.name for f in config_audit.audit(conf)}
    assert found == {'swift_store_auth_address', 'swift_store_ssl_compression'}


MULTI_TENANT = ('[DEFAULT]\nauth_strategy = keystone\n'
                '[glance_store]\nstores = file,swift\ndefault_store = swift\n'
                'filesystem_store_datadir = TMP/images\n'
                'swift_store_multi_tenant = True\nswift_store_container = img\n'
                'swift_store_admin_tenants = p1, p2\nswift_store_use_trusts = False\n'
                'swift_store_retry_get_count = 3\n')

CATALOG_V2 = [{'type': 'image', 'endpoints': [{'region': 'R1', 'publicURL': 'http://g'}]},
              {'type': 'object-store', 'endpoints': [
                  {'region': 'R0', 'publicURL': 'http://zero:8080/v1/AUTH_p'},
                  {'region': 'R1', 'publicURL': 'https://one:8080/v1/AUTH_p',
                   'internalURL': 'http://in:8080/v1/AUTH_p'}]}]


class _Ctx:
    def __init__(self, token='tok', catalog=CATALOG_V2):
        self.auth_token = token
        self.service_catalog = catalog


def test_multi_tenant_store_from_config(tmp_path):
    conf = _conf(tmp_path, MULTI_TENANT + 'swift_store_region = R1\n')
    catalog.check(conf)
    store = catalog.from_config(conf).default
    assert isinstance(store, swift.MultiTenantSwiftStore) and store.takes_context
    assert store.admin_tenants == ['p1', 'p2'] and store.retry_get_count == 3
    assert store.container_for('abc') == 'img_abc'
    assert store.properties()['container'] == 'img'
    assert store.storage_url_for(_Ctx()) == 'https://one:8080/v1/AUTH_p'
    _, container, url = store._place('abc', _Ctx())
    assert (container, url) == ('img_abc', 'swift+https://one:8080/v1/AUTH_p/img_abc/abc')
    assert store.split_location(url) == ('https://one:8080/v1/AUTH_p', 'img_abc', 'abc')
    assert store.owns(url) and not store.owns('swift+config://ref1/glance/abc')
    assert store._new_container_headers() == {'X-Container-Read': 'p1:*,p2:*',
                                              'X-Container-Write': 'p1:*,p2:*'}
    assert config_audit.audit(conf) == []


def test_multi_tenant_store_without_a_token_or_catalog_says_why(tmp_path):
    store = catalog.from_config(_conf(tmp_path, MULTI_TENANT)).default
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store._place('abc', None)
    assert 'token' in str(caught.value.kwargs)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store._place('abc', _Ctx(catalog=[]))
    assert 'service catalog' in str(caught.value.kwargs)
    with pytest.raises(exceptions.StoreUnavailable):
        store.get('swift+http://h/v1/AUTH_p/img_abc/abc')


def test_multi_tenant_needs_keystone_and_warns_about_trusts(tmp_path, caplog):
    noauth = MULTI_TENANT.replace('auth_strategy = keystone', 'auth_strategy = noauth')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(_conf(tmp_path, noauth))
    assert 'auth_strategy = keystone' in str(caught.value)
    trusts = MULTI_TENANT.replace('swift_store_use_trusts = False', 'delayed_delete = True')
    trusts = trusts.replace('[glance_store]', 'delayed_delete = True\n[glance_store]', 1)
    catalog.check(_conf(tmp_path, trusts.replace('swift_store_use_trusts = False\n', '')))
    assert 'swift_store_use_trusts = True' in caplog.text
    assert 'glance-scrubber has no user token' in caplog.text


def test_catalog_url_reads_v2_and_v3_catalogs():
    assert swift.catalog_url(CATALOG_V2, 'object-store') == 'http://zero:8080/v1/AUTH_p'
    assert swift.catalog_url(CATALOG_V2, 'object-store', 'R1', 'internalURL') == \
        'http://in:8080/v1/AUTH_p'
    v3 = [{'type': 'object-store', 'endpoints': [
        {'interface': 'admin', 'region_id': 'R', 'url': 'http://a'},
        {'interface': 'public', 'region_id': 'R', 'url': 'http://p'}]}]
    assert swift.catalog_url(v3, 'object-store', 'R', 'publicURL') == 'http://p'
    assert swift.catalog_url(v3, 'object-store', 'other') is None
    assert swift.catalog_url(None, 'object-store') is None


def test_properties_as_upstream_shows_them(tmp_path):
    store = catalog.from_config(_conf(tmp_path, SEED + 'swift_store_large_object_size = 100\n'
                                                       'swift_store_large_object_chunk_size'
                                                       ' = 10\n')).default
    assert store.properties() == {'container': 'glance',
                                  'large_object_size': 100 * 1024 * 1024,
                                  'large_object_chunk_size': 10 * 1024 * 1024}


def test_buffer_on_upload_needs_a_usable_directory(tmp_path):
    conf = _conf(tmp_path, SEED + 'swift_buffer_on_upload = True\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    assert 'swift_upload_buffer_dir' in str(caught.value)
    conf = _conf(tmp_path, SEED + 'swift_buffer_on_upload = True\n'
                                  'swift_upload_buffer_dir = TMP/missing\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.from_config(conf)
    assert 'TMP/missing'.replace('TMP', str(tmp_path)) in str(caught.value)
    conf = _conf(tmp_path, SEED + 'swift_buffer_on_upload = True\n'
                                  'swift_upload_buffer_dir = TMP\n')
    assert catalog.from_config(conf).default.buffer_dir == str(tmp_path)
    assert config_audit.audit(conf) == []
    assert catalog.from_config(_conf(tmp_path, SEED)).default.buffer_dir is None
