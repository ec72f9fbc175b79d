"""The catalog of stores keyed by backend id, from single- and multi-store configuration;
a configuration it cannot serve stops the start with a message naming the option."""

import pytest
from oslo_config import cfg

from api_service import config
from api_service import exceptions
from api_service.stores import base
from api_service.stores import catalog
from api_service.stores import filesystem
from api_service.stores import http


def _conf(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text.replace('TMP', str(tmp_path)))
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(['--config-file', str(path)], project='glance', prog='glance-api')
    return conf


def test_default_is_one_file_store(tmp_path):
    conf = _conf(tmp_path, '[glance_store]\nfilesystem_store_datadir = TMP/images\n')
    stores = catalog.from_config(conf)
    assert stores.ids() == ['file']
    assert isinstance(stores.default, filesystem.FilesystemStore)
    assert stores.default.datadir == str(tmp_path / 'images')


def test_classic_single_store(tmp_path):
    conf = _conf(tmp_path, '[glance_store]\nstores = file\ndefault_store = file\n'
                           'filesystem_store_datadir = TMP/images\n'
                           'filesystem_store_file_perm = 644\n')
    stores = catalog.from_config(conf)
    assert stores.default.store_id == 'file' and stores.default.file_mode == 0o644


def test_multi_store_with_sections(tmp_path):
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, cold:file\n'
                           '[glance_store]\ndefault_backend = cold\n'
                           '[fast]\nstore_description = Fast disks\nweight = 10\n'
                           'filesystem_store_datadir = TMP/fast\n'
                           '[cold]\nfilesystem_store_datadirs = TMP/c1:1\n'
                           'filesystem_store_datadirs = TMP/c2:2\n')
    stores = catalog.from_config(conf)
    assert sorted(stores.ids()) == ['cold', 'fast']
    assert stores.default.store_id == 'cold'
    fast = stores.get('fast')
    assert fast.description == 'Fast disks' and fast.weight == 10
    assert stores.default.datadirs == [(str(tmp_path / 'c2'), 2), (str(tmp_path / 'c1'), 1)]
    # Two backends of one scheme: a location finds its store by id, else by directory.
    url = 'file://%s/img' % (tmp_path / 'fast')
    assert stores.for_location(url, 'fast') is fast
    assert stores.for_location(url) is fast
    assert stores.for_location('file://%s/img' % (tmp_path / 'c1')) is stores.default
    with pytest.raises(exceptions.UnknownStore):
        stores.get('nope')


def test_http_single_store_is_read_only_beside_file(tmp_path):
    conf = _conf(tmp_path, '[glance_store]\nstores = file, http\ndefault_store = file\n'
                           'filesystem_store_datadir = TMP/images\n')
    stores = catalog.from_config(conf)
    assert stores.ids() == ['file', 'http']
    web = stores.get('http')
    assert isinstance(web, http.HttpStore) and web.verify is False
    assert not web.can(base.Capability.WRITE) and not web.can(base.Capability.DELETE)
    assert stores.for_location('https://example.com/a.img') is web
    assert stores.for_location('http://example.com/a.img') is web


def test_http_backend_in_multi_store_with_its_options(tmp_path):
    (tmp_path / 'ca.pem').write_text('')
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, cold:file, web:http\n'
                           '[glance_store]\ndefault_backend = fast\n'
                           '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                           '[cold]\nfilesystem_store_datadir = TMP/cold\n'
                           '[web]\nstore_description = Read-only web store\n'
                           'https_ca_certificates_file = TMP/ca.pem\n'
                           'http_proxy_information = http:proxy.example.com:3128\n')
    stores = catalog.from_config(conf)
    assert sorted(stores.ids()) == ['cold', 'fast', 'web']
    web = stores.get('web')
    assert web.description == 'Read-only web store'
    assert web.verify == str(tmp_path / 'ca.pem')
    assert web.proxies == {'http': 'proxy.example.com:3128'}
    from api_service import config_audit
    assert config_audit.audit(conf) == []
    catalog.check(conf)


@pytest.mark.parametrize('text,names', [
    ('[glance_store]\nstores = file,cinder\n', ['[glance_store] stores', 'cinder',
                                                'not available']),
    ('[DEFAULT]\nenabled_backends = fast:file, web:http\n[glance_store]\n'
     'default_backend = fast\n[web]\nhttps_ca_certificates_file = TMP/no-such-file\n',
     ['[web] https_ca_certificates_file']),
    ('[glance_store]\nstores = file\ndefault_store = s3\n',
     ['[glance_store] default_store = s3', 'not one of [glance_store] stores']),
    ('[glance_store]\nstores = file\ndefault_store = floppy\n',
     ['[glance_store] default_store', 'unknown store driver']),
    ('[glance_store]\nstores = glance.store.rbd.Store\n', ['[glance_store] stores']),
    ('[DEFAULT]\nenabled_backends = fast:file, ceph:rbd\n[glance_store]\n'
     'default_backend = fast\n', ['[DEFAULT] enabled_backends', 'ceph', 'rbd',
                                  'not available']),
    ('[DEFAULT]\nenabled_backends = fast:file\n', ['[glance_store] default_backend']),
    ('[DEFAULT]\nenabled_backends = fast:file\n[glance_store]\ndefault_backend = slow\n',
     ['[glance_store] default_backend = slow']),
    ('[DEFAULT]\nenabled_backends = os_glance_staging_store:file\n[glance_store]\n'
     'default_backend = os_glance_staging_store\n', ['[DEFAULT] enabled_backends']),
    ('[glance_store]\nfilesystem_store_datadir = TMP/a\nfilesystem_store_datadirs = TMP/b\n',
     ['filesystem_store_datadir', 'filesystem_store_datadirs']),
    ('[glance_store]\nfilesystem_store_datadirs = TMP/b:1\nfilesystem_store_datadirs = '
     'TMP/b:2\n', ['[glance_store] filesystem_store_datadirs']),
    ('[glance_store]\nfilesystem_store_datadir = TMP/a\nfilesystem_store_file_perm = 999\n',
     ['[glance_store] filesystem_store_file_perm']),
])
def test_a_configuration_that_cannot_be_served_names_the_option(tmp_path, text, names):
    conf = _conf(tmp_path, text)
    with pytest.raises(exceptions.ConfigurationError) as caught:
        catalog.from_config(conf)
    for name in names:
        assert name in str(caught.value)


def test_backend_sections_are_known_to_the_start_up_audit(tmp_path):
    from api_service import config_audit
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file\n[glance_store]\n'
                           'default_backend = fast\n[fast]\nstore_description = Fast\n'
                           'weight = 5\nfilesystem_store_datadir = TMP/fast\n')
    assert config_audit.audit(conf) == []


def test_every_file_backend_gets_its_partial_sweeper(tmp_path):
    from api_service.stores import partial_sweeper
    conf = _conf(tmp_path, '[DEFAULT]\nenabled_backends = fast:file, cold:file\n'
                           '[glance_store]\ndefault_backend = fast\n'
                           '[fast]\nfilesystem_store_datadir = TMP/fast\n'
                           '[cold]\nfilesystem_store_datadir = TMP/cold\n')
    sweepers = partial_sweeper.start_all(conf, catalog.from_config(conf))
    try:
        assert sorted(s._store.store_id for s in sweepers) == ['cold', 'fast']
    finally:
        for sweeper in sweepers:
            sweeper.stop()


def test_glance_api_checks_the_stores_before_starting(tmp_path):
    from api_service.wsgi import app as app_module
    conf = _conf(tmp_path, '[glance_store]\nstores = file,rbd\n'
                           'filesystem_store_datadir = TMP/never\n')
    with pytest.raises(exceptions.ConfigurationError) as caught:
        app_module.check_config(conf)
    assert '[glance_store] stores' in str(caught.value) and 'rbd' in str(caught.value)
    good = _conf(tmp_path, '[glance_store]\nfilesystem_store_datadir = TMP/never\n')
    app_module.check_config(good)
    # Checking makes no store: nothing is created.
    assert not (tmp_path / 'never').exists()
