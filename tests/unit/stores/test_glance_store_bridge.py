"""glance_store's own drivers behind the store contract (api_service/stores/glance_store_bridge.py).

The contract suite runs against glance_store's file driver through the bridge, configured as
an operator would (a multi-store backend of type glance_store.file). rbd, cinder and vmware
need libraries this machine does not have (rados, os-brick, oslo.vmware): configuring them
must stop glance-api at start naming the store and the library, in check() too.
"""

import importlib

import pytest
from glance_store import exceptions as gs_exceptions
from oslo_config import cfg

from api_service import config
from api_service import config_audit
from api_service import exceptions
from api_service.stores import base
from api_service.stores import catalog
from api_service.stores import glance_store_bridge
from common import exceptions as common_exceptions
from tests.unit.stores import contract


def _conf(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text.replace('TMP', str(tmp_path)))
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-api',
         default_config_files=[])
    return conf


BRIDGED_FILE = ('[DEFAULT]\nenabled_backends = fast:file, gs:glance_store.file\n'
                '[glance_store]\ndefault_backend = gs\n'
                '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                '[gs]\nstore_description = glance_store file driver\nweight = 3\n'
                'filesystem_store_datadir = TMP/gs\nfilesystem_store_chunk_size = 4096\n')


def _bridged_file_store(tmp_path):
    return catalog.from_config(_conf(tmp_path, BRIDGED_FILE)).get('gs')


def _installed(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


class TestGlanceStoreFileDriverThroughTheBridge(contract.StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return _bridged_file_store(tmp_path)


def test_the_bridged_store_is_glance_store_driver_in_its_own_section(tmp_path):
    from glance_store._drivers import filesystem as gs_filesystem
    store = _bridged_file_store(tmp_path)
    assert isinstance(store, glance_store_bridge.GlanceStoreDriver)
    assert isinstance(store.upstream, gs_filesystem.Store)
    assert (store.store_id, store.driver, store.description, store.weight) == (
        'gs', 'glance_store.file', 'glance_store file driver', 3)
    # Its options are glance_store's own objects, read from the backend's section.
    assert store.properties() == {'data_dir': str(tmp_path / 'gs'), 'chunk_size': 4096,
                                  'thin_provisioning': False}
    # READ_RANDOM upstream: ranges are asked of the driver, not skipped to.
    assert store.can(base.Capability.READ_OFFSET) and store.can(base.Capability.DELETE)
    assert not store.can(base.Capability.SENDFILE)
    added = store.add('img', iter([b'0123456789']), size_hint=10)
    assert added.url == 'file://%s' % (tmp_path / 'gs' / 'img')
    assert (tmp_path / 'gs' / 'img').read_bytes() == b'0123456789'


def test_a_ranged_get_asks_the_driver_and_still_answers_the_whole_size(tmp_path):
    store = _bridged_file_store(tmp_path)
    url = store.add('img', iter([b'0123456789'])).url
    asked = []
    real_get = store.upstream.get

    def get(location, offset=0, chunk_size=None, context=None):
        asked.append((offset, chunk_size))
        return real_get(location, offset=offset, chunk_size=chunk_size, context=context)

    store.upstream.get = get
    chunks, size = store.get(url, 3, 4)
    assert (b''.join(chunks), size, asked) == (b'3456', 10, [(3, 4)])


def test_the_source_error_is_raised_and_nothing_is_left(tmp_path):
    store = _bridged_file_store(tmp_path)

    def chunks():
        yield b'x' * 10000
        raise exceptions.ImageSizeLimitExceeded(cap=5)

    with pytest.raises(exceptions.ImageSizeLimitExceeded):
        store.add('img', chunks())
    assert list((tmp_path / 'gs').iterdir()) == []


@pytest.mark.parametrize('raised,expected', [
    (gs_exceptions.StorageFull(), exceptions.StorageFull),
    (gs_exceptions.StorageWriteDenied(), exceptions.StorageWriteDenied),
    (gs_exceptions.Duplicate(image='img'), common_exceptions.Duplicate),
    (gs_exceptions.StoreAddDisabled(), exceptions.StoreReadOnly),
    (gs_exceptions.BackendException('cluster unreachable'), exceptions.StoreUnavailable),
    (gs_exceptions.RemoteServiceUnavailable(), exceptions.StoreUnavailable),
    (gs_exceptions.BadStoreConfiguration(store_name='rbd', reason='broken'),
     exceptions.StoreUnavailable),
])
def test_glance_store_errors_on_add_are_glimpse_errors(tmp_path, raised, expected):
    # Faults the file driver cannot produce here (a full disk, a cluster gone) are injected.
    store = _bridged_file_store(tmp_path)

    def add(*args, **kwargs):
        raise raised

    store.upstream.add = add
    with pytest.raises(expected) as caught:
        store.add('img', iter([b'data']))
    if expected is exceptions.StoreUnavailable:
        assert 'gs' in str(caught.value)


@pytest.mark.parametrize('raised,expected', [
    (gs_exceptions.NotFound(image='img'), exceptions.StoreDataNotFound),
    (gs_exceptions.InUseByStore(), exceptions.StoreUnavailable),
    (gs_exceptions.StoreDeleteNotSupported(), exceptions.StoreCapabilityMissing),
])
def test_glance_store_errors_on_delete_are_glimpse_errors(tmp_path, raised, expected):
    store = _bridged_file_store(tmp_path)
    url = store.add('img', iter([b'data'])).url

    def delete(*args, **kwargs):
        raise raised

    store.upstream.delete = delete
    with pytest.raises(expected):
        store.delete(url)


def test_an_error_while_streaming_is_a_glimpse_error(tmp_path):
    store = _bridged_file_store(tmp_path)
    url = store.add('img', iter([b'data'])).url

    def broken():
        yield b'da'
        raise gs_exceptions.BackendException('connection reset')

    store.upstream.get = lambda location, **kwargs: (broken(), 4)
    chunks, size = store.get(url)
    with pytest.raises(exceptions.StoreUnavailable):
        b''.join(chunks)


def test_a_location_of_another_scheme_is_no_data_here(tmp_path):
    store = _bridged_file_store(tmp_path)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.get('rbd://fsid/images/img/snap')


def test_catalog_serves_the_bridged_backend_by_id_and_check_makes_no_store(tmp_path):
    conf = _conf(tmp_path, BRIDGED_FILE)
    catalog.check(conf)
    stores = catalog.from_config(conf)
    assert stores.ids() == ['fast', 'gs'] and stores.default.store_id == 'gs'
    url = stores.default.add('img', iter([b'x'])).url
    assert stores.for_location(url, 'gs') is stores.default


@pytest.mark.parametrize('driver,names,library', [
    ('rbd', ('rbd', 'glance.store.rbd.Store', 'glance_store._drivers.rbd.Store'), 'rados'),
    ('cinder', ('cinder', 'glance_store._drivers.cinder.Store'), 'os_brick'),
    ('vmware', ('vmware', 'vsphere', 'glance.store.vmware_datastore.Store'), 'oslo_vmware'),
])
def test_a_driver_without_its_library_stops_the_start_naming_both(tmp_path, driver, names,
                                                                   library):
    if _installed(library):
        pytest.skip('%s is installed here' % library)
    for name in names:
        never = tmp_path / ('never-' + name)
        conf = _conf(tmp_path, '[glance_store]\nstores = file,%s\n'
                               'filesystem_store_datadir = %s\n' % (name, never))
        for build in (catalog.check, catalog.from_config):
            with pytest.raises(exceptions.ConfigurationError) as caught:
                build(conf)
            message = str(caught.value)
            assert '[glance_store] stores' in message and driver in message
            assert library in message and 'not available' in message
            # check() (glance-api's master) made no store, not even the file one.
            assert build is catalog.from_config or not never.exists()
        conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, far:%s\n'
                               '[glance_store]\ndefault_backend = fast\n'
                               '[fast]\nfilesystem_store_datadir = TMP/never\n' % name)
        with pytest.raises(exceptions.ConfigurationError) as caught:
            catalog.check(conf)
        message = str(caught.value)
        assert '[DEFAULT] enabled_backends (backend far)' in message and library in message


def test_the_default_store_may_be_named_by_upstream_scheme(tmp_path):
    if _installed('oslo_vmware'):
        pytest.skip('oslo.vmware is installed here')
    conf = _conf(tmp_path, '[glance_store]\nstores = file,vmware\ndefault_store = vsphere\n')
    with pytest.raises(exceptions.ConfigurationError, match='oslo_vmware'):
        catalog.check(conf)


def test_sheepdog_stays_refused(tmp_path):
    conf = _conf(tmp_path, '[glance_store]\nstores = file,sheepdog\n')
    with pytest.raises(exceptions.ConfigurationError, match='not available'):
        catalog.check(conf)


@pytest.mark.parametrize('text,names', [
    # glance_store's filesystem driver refuses a data directory it cannot create.
    (BRIDGED_FILE.replace('filesystem_store_datadir = TMP/gs', 'filesystem_store_datadir = '
                                                               'TMP/a-file/images'),
     ['[gs]', 'glance_store', 'filesystem']),
    # A value of the wrong type for one of the driver's options.
    (BRIDGED_FILE + 'filesystem_store_file_perm = rw\n', ['[gs]', 'filesystem_store_file_perm']),
    # Its options clash with the native file store's in [glance_store].
    ('[glance_store]\nstores = file,glance_store.file\n', ['[glance_store] stores',
                                                           'enabled_backends']),
])
def test_a_configuration_glance_store_rejects_stops_the_start(tmp_path, text, names):
    (tmp_path / 'a-file').write_text('not a directory')
    conf = _conf(tmp_path, text)
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.check(conf)
    for name in names:
        assert name in str(caught.value)


def test_upstream_options_are_registered_with_upstream_names_and_help(tmp_path):
    from glance_store._drivers import rbd
    from glance_store._drivers import vmware_datastore
    conf = _conf(tmp_path, '[glance_store]\nrbd_store_pool = glance-images\n'
                           'vmware_server_host = vc.example.com\n')
    assert conf.glance_store.rbd_store_pool == 'glance-images'
    assert conf.glance_store.vmware_server_host == 'vc.example.com'
    registered = {opt['opt'].name: opt['opt'] for opt in conf._groups['glance_store']
                  ._opts.values()}
    for opt in rbd.Store.OPTIONS + vmware_datastore.Store.OPTIONS:
        assert registered[opt.name] is opt
    # The start-up audit takes them for real options now.
    assert config_audit.audit(conf) == []


def test_backend_section_and_backend_defaults_get_the_driver_options(tmp_path):
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, ceph:rbd\n'
                           '[glance_store]\ndefault_backend = fast\n'
                           '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                           '[ceph]\nrbd_store_pool = vms\n'
                           '[backend_defaults]\nrbd_store_user = glance\n')
    assert config_audit.audit(conf) == []
    assert conf.ceph.rbd_store_pool == 'vms'
    assert conf.backend_defaults.rbd_store_user == 'glance'


def test_options_of_a_driver_that_cannot_load_are_reported_by_the_audit(tmp_path):
    if _installed('os_brick'):
        pytest.skip('os-brick is installed here: the cinder driver loads')
    conf = _conf(tmp_path, '[glance_store]\ncinder_volume_type = fast\n')
    found = config_audit.audit(conf)
    assert [(f.group, f.name) for f in found] == [('glance_store', 'cinder_volume_type')]
    assert 'cinder' in found[0].message and found[0].not_implemented


def test_the_request_context_reaches_glance_store(tmp_path):
    # The cinder driver works with the caller's token and catalog: the bridge takes the
    # context (base.add / read / remove pass it) and hands it to every glance_store call.
    store = _bridged_file_store(tmp_path)
    assert store.takes_context
    seen = []
    for name in ('add', 'get', 'get_size', 'delete'):
        real = getattr(store.upstream, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen.append((_name, kwargs.get('context')))
            return _real(*args, **kwargs)

        setattr(store.upstream, name, spy)
    ctx = object()
    url = base.add(store, 'img', iter([b'0123456789']), context=ctx).url
    chunks, size = base.read(store, url, 2, 3, context=ctx)
    assert (b''.join(chunks), size) == (b'234', 10)
    base.remove(store, url, context=ctx)
    assert seen == [('add', ctx), ('get_size', ctx), ('get', ctx), ('delete', ctx)]
