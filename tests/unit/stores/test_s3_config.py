"""The s3 store from configuration: its options in [glance_store] (single-store) or in the
backend's own section (multi-store), and the settings that stop the start with a message
naming the option. The driver against a real S3 server is in
tests/functional/stores/test_s3_store.py."""

import pytest
from oslo_config import cfg

from api_service import config
from api_service import config_audit
from api_service import exceptions
from api_service.stores import catalog
from api_service.stores import s3

MiB = 1024 * 1024
S3 = ('s3_store_host = s3.example.com:8080\ns3_store_access_key = AKEY\n'
      's3_store_secret_key = SECRET/KEY\ns3_store_bucket = glance\n')
SEED = ('[glance_store]\nstores = file,s3\ndefault_store = s3\n'
        'filesystem_store_datadir = TMP/images\n' + S3)


def _conf(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text.replace('TMP', str(tmp_path)))
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-api')
    return conf


def test_single_store_s3_as_default(tmp_path):
    conf = _conf(tmp_path, SEED + 's3_store_large_object_size = 50\n'
                                  's3_store_large_object_chunk_size = 8\n'
                                  's3_store_thread_pools = 4\n'
                                  's3_store_create_bucket_on_put = True\n')
    stores = catalog.from_config(conf)
    store = stores.default
    assert isinstance(store, s3.S3Store) and store.store_id == 's3'
    assert store.endpoint_url == 'http://s3.example.com:8080'
    assert (store.bucket, store.create_bucket, store.thread_pools) == ('glance', True, 4)
    assert (store.large_object_size, store.chunk_size) == (50 * MiB, 8 * MiB)
    assert store.region_name == 'us-east-1'
    assert store.url_for('abc') == 's3://s3.example.com:8080/glance/abc'
    assert stores.for_location('s3://s3.example.com:8080/glance/abc') is store
    assert config_audit.audit(conf) == []
    catalog.check(conf)


def test_multi_store_s3_backend_with_its_section(tmp_path):
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, cold:s3\n'
                           '[glance_store]\ndefault_backend = fast\n'
                           '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                           '[cold]\nstore_description = Objects\nweight = 3\n' +
                 S3.replace('s3.example.com:8080', 'https://s3-eu-west-1.amazonaws.com'))
    cold = catalog.from_config(conf).get('cold')
    assert cold.description == 'Objects' and cold.weight == 3
    assert cold.scheme == 's3+https' and cold.region_name == 'eu-west-1'
    assert cold.url_for('x') == 's3+https://s3-eu-west-1.amazonaws.com/glance/x'
    assert cold.properties() == {'s3_store_large_object_size': 100 * MiB,
                                 's3_store_large_object_chunk_size': 10 * MiB,
                                 's3_store_thread_pools': 10}
    assert config_audit.audit(conf) == []


@pytest.mark.parametrize('alias', ['s3+https', 'glance_store._drivers.s3.Store'])
def test_upstream_names_of_the_driver(tmp_path, alias):
    conf = _conf(tmp_path, SEED.replace('stores = file,s3', 'stores = file,' + alias))
    assert isinstance(catalog.from_config(conf).default, s3.S3Store)


@pytest.mark.parametrize('extra,names', [
    ('s3_store_large_object_chunk_size = 4\n', ['s3_store_large_object_chunk_size', '5']),
    ('s3_store_thread_pools = 0\n', ['s3_store_thread_pools']),
    ('s3_store_cacert = TMP/none.pem\n', ['s3_store_cacert']),
    ('s3_store_host = ftp://s3.example.com\n', ['s3_store_host']),
])
def test_an_s3_configuration_that_cannot_be_served(tmp_path, extra, names):
    conf = _conf(tmp_path, SEED.replace(S3, '') + S3.replace(
        's3_store_host = s3.example.com:8080\n', '') + (
        extra if 'host' in extra else 's3_store_host = s3.example.com\n' + extra))
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    for name in ['[glance_store]', *names]:
        assert name in str(caught.value)
    assert 'SECRET' not in str(caught.value)


@pytest.mark.parametrize('option', ['s3_store_host', 's3_store_access_key',
                                    's3_store_secret_key', 's3_store_bucket'])
def test_a_required_option_missing_names_it(tmp_path, option):
    text = '\n'.join(line for line in SEED.splitlines() if not line.startswith(option))
    conf = _conf(tmp_path, text + '\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    assert '[glance_store] %s' % option in str(caught.value)


def test_a_bad_url_format_names_the_option(tmp_path):
    conf = _conf(tmp_path, SEED + 's3_store_bucket_url_format = sideways\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    assert 's3_store_bucket_url_format' in str(caught.value)


def test_secret_options_are_masked_in_the_option_dump(tmp_path, caplog):
    conf = _conf(tmp_path, SEED)
    import logging
    conf.log_opt_values(logging.getLogger('dump'), logging.WARNING)
    assert 'SECRET/KEY' not in caplog.text and 'AKEY' not in caplog.text
    assert 's3_store_secret_key' in caplog.text


@pytest.mark.parametrize('url,parsed', [
    ('s3://h:1/b/k', ('h:1', 'b', 'k')),
    ('s3+https://ACCESS:SEC/RET@h/b/k', ('h', 'b', 'k')),
    ('s3://ACCESS:S@CRET@h/path/b/k', ('h/path', 'b', 'k')),
])
def test_locations_with_and_without_credentials(url, parsed):
    assert s3.parse_location(url) == parsed
    assert 'SEC' not in s3.shown(url) and 'CRET' not in s3.shown(url)


@pytest.mark.parametrize('url', ['s3://h/k', 's3://ACCESS:SECRET@h/', 'http://h/b/k'])
def test_a_location_without_bucket_and_key(url):
    with pytest.raises(exceptions.StoreDataNotFound) as caught:
        s3.parse_location(url)
    assert 'SECRET' not in str(caught.value)


def _client_error(code, status):
    import botocore.exceptions
    return botocore.exceptions.ClientError(
        {'Error': {'Code': code, 'Message': 'Signature of SECRET/KEY mismatched'},
         'ResponseMetadata': {'HTTPStatusCode': status}}, 'PutObject')


@pytest.mark.parametrize('error,words', [
    (_client_error('SignatureDoesNotMatch', 403), ['S3 refused the credentials',
                                                   's3_store_secret_key', '[cold]']),
    (_client_error('403', 403), ['S3 refused the credentials', '"glance"']),
    (_client_error('AuthorizationHeaderMalformed', 400), ['s3_store_region_name', '[cold]']),
    (_client_error('InternalError', 500), ['writing image x failed', '500 InternalError']),
])
def test_errors_say_why_without_the_secret(error, words):
    store = s3.S3Store('cold', host='s3.example.com', access_key='AKEY',
                       secret_key='SECRET/KEY', bucket='glance', section='cold')
    message = str(store._unavailable(error, 'writing image x'))
    for word in words:
        assert word in message
    assert 'SECRET' not in message and 'mismatched' not in message


def test_an_unreachable_server_names_the_option():
    import botocore.exceptions
    store = s3.S3Store('s3', host='127.0.0.1:9', access_key='AKEY', secret_key='SECRET',
                       bucket='glance')
    error = botocore.exceptions.EndpointConnectionError(endpoint_url='http://127.0.0.1:9/')
    message = str(store._unavailable(error, 'reading x'))
    assert 'cannot reach http://127.0.0.1:9' in message and 's3_store_host' in message
