"""The import plugins on real files: qemu-img conversion (with the format checks before and
after it), decompression, metadata injection, no_op, and the start-up check of the list."""

import gzip
import hashlib
import subprocess

import pytest
from oslo_config import cfg

from api_service import config as api_config
from api_service import exceptions
from api_service.imports import plugins

MiB = 1024 * 1024


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    api_config.register_opts(conf)
    conf([], default_config_files=[])
    return conf


def qemu_img(*args):
    subprocess.run(('qemu-img',) + args, check=True, capture_output=True)


def job_for(path, disk_format, roles=()):
    return plugins.ImportJob({'id': path.name, 'disk_format': disk_format,
                              'container_format': 'bare'}, str(path), roles=roles)


def test_qcow2_converted_to_raw(conf, tmp_path):
    source = tmp_path / 'img'
    qemu_img('create', '-f', 'qcow2', str(source), '3M')
    job = job_for(source, 'qcow2')
    plugins.ImageConversion(conf).run(job)
    assert job.disk_format == 'raw' and job.path == str(source) + '.raw'
    with open(job.path, 'rb') as f:
        data = f.read()
    assert len(data) == 3 * MiB and job.virtual_size == 3 * MiB
    assert hashlib.md5(data).hexdigest() == hashlib.md5(b'\0' * 3 * MiB).hexdigest()
    assert job.outputs == [job.path]


def test_qcow2_with_a_backing_file_is_refused_before_conversion(conf, tmp_path):
    base = tmp_path / 'base'
    base.write_bytes(b'secret' * 1000)
    source = tmp_path / 'img'
    qemu_img('create', '-f', 'qcow2', '-F', 'raw', '-b', str(base), str(source), '1M')
    job = job_for(source, 'qcow2')
    with pytest.raises(plugins.PluginFailed, match='refused before conversion.*backing'):
        plugins.ImageConversion(conf).run(job)
    assert not (tmp_path / 'img.raw').exists()


def test_qcow2_with_a_data_file_is_refused(conf, tmp_path):
    source = tmp_path / 'img'
    qemu_img('create', '-f', 'qcow2', '-o', 'data_file=%s' % (tmp_path / 'data'),
             str(source), '1M')
    with pytest.raises(plugins.PluginFailed, match='refused before conversion'):
        plugins.ImageConversion(conf).run(job_for(source, 'qcow2'))


def test_content_not_its_disk_format_is_refused(conf, tmp_path):
    source = tmp_path / 'img'
    source.write_bytes(b'\0' * MiB)
    with pytest.raises(plugins.PluginFailed, match='does not match disk_format qcow2'):
        plugins.ImageConversion(conf).run(job_for(source, 'qcow2'))


def test_already_in_the_output_format_is_left_alone(conf, tmp_path):
    source = tmp_path / 'img'
    source.write_bytes(b'\1' * MiB)
    job = job_for(source, 'raw')
    plugins.ImageConversion(conf).run(job)
    assert job.path == str(source) and job.disk_format == 'raw'


def test_decompression(conf, tmp_path):
    source = tmp_path / 'img'
    source.write_bytes(gzip.compress(b'disk' * 1000))
    job = job_for(source, 'raw')
    plugins.ImageDecompression(conf).run(job)
    with open(job.path, 'rb') as f:
        assert f.read() == b'disk' * 1000
    plain = tmp_path / 'plain'
    plain.write_bytes(b'plain')
    job = job_for(plain, 'raw')
    plugins.ImageDecompression(conf).run(job)
    assert job.path == str(plain)
    # container_format compressed: meant to stay compressed, as upstream.
    kept = job_for(source, 'raw')
    kept.container_format = 'compressed'
    plugins.ImageDecompression(conf).run(kept)
    assert kept.path == str(source)


def test_inject_metadata_but_not_for_ignored_roles(conf, tmp_path):
    conf.set_override('inject', {'os_distro': 'debian', 'hw_scsi': 'yes'},
                      group='inject_metadata_properties')
    job = job_for(tmp_path / 'x', 'raw', roles=['member'])
    plugins.InjectImageMetadata(conf).run(job)
    assert job.properties == {'os_distro': 'debian', 'hw_scsi': 'yes'}
    admin_job = job_for(tmp_path / 'x', 'raw', roles=['Admin'])
    plugins.InjectImageMetadata(conf).run(admin_job)
    assert admin_job.properties == {}


def test_plugin_list(conf):
    conf.set_override('image_import_plugins', ['no_op', 'image_conversion'],
                      group='image_import_opts')
    assert [p.name for p in plugins.from_config(conf)] == ['no_op', 'image_conversion']
    conf.set_override('image_import_plugins', ['image_compression'],
                      group='image_import_opts')
    with pytest.raises(exceptions.ConfigurationError,
                       match=r'\[image_import_opts\] image_import_plugins'):
        plugins.check(conf)


def test_vmdk_with_an_external_extent_is_refused_before_conversion(conf, tmp_path):
    source = tmp_path / 'img'
    source.write_bytes(b'# Disk DescriptorFile\nversion=1\nCID=fffffffe\n'
                       b'parentCID=ffffffff\ncreateType="monolithicFlat"\n\n'
                       b'# Extent description\nRW 2048 FLAT "/etc/hostname" 0\n'
                       + b'\0' * 4096)
    with pytest.raises(plugins.PluginFailed, match='refused before conversion'):
        plugins.ImageConversion(conf).run(job_for(source, 'vmdk'))
    assert not (tmp_path / 'img.raw').exists()
