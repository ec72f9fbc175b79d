"""Format inspection of uploads: the decision table, real images made by qemu-img, and the
upload flow under each [image_format] option (Flask test client, in-memory registry)."""

import io
import os

import pytest
from oslo_utils.imageutils import format_inspector

from api_service import exceptions as api_exceptions
from api_service.services import format_inspection
from api_service.services.format_inspection import Rules
from common import context
from common import exceptions
from common.rpc import client as rpc_client
from tests.functional import disk_images
from tests.unit.api.conftest import ALICE
from tests.unit.api.conftest import make_conf

MiB = 1024 * 1024
OCTET = {'Content-Type': 'application/octet-stream'}

needs_qemu_img = pytest.mark.skipif(disk_images.QEMU_IMG is None,
                                    reason='qemu-img (qemu-utils) is not installed')


# -- the decision table, on stand-in inspectors -------------------------------------------

class Seen:
    """What an inspector reports about content: its name, size and safety verdict."""

    def __init__(self, name, virtual_size=10 * MiB, unsafe=None, vmdktype=None):
        self.name = name
        self.virtual_size = virtual_size
        self.unsafe = unsafe
        self.vmdktype = vmdktype

    def __str__(self):
        return self.name

    def safety_check(self):
        if self.unsafe:
            raise format_inspector.SafetyCheckFailed(
                {self.unsafe: format_inspector.SafetyViolation('bad %s' % self.unsafe)})


STRICT = Rules()
LAX = Rules(require_format_match=False)

ACCEPTED = [
    # (rules, disk_format, what the content matched) -> virtual_size
    (STRICT, 'qcow2', [Seen('qcow2')], 10 * MiB),
    (STRICT, 'raw', [Seen('raw', 1234)], 1234),
    (STRICT, 'raw', [Seen('gpt', 4 * MiB)], 4 * MiB),          # a partitioned raw disk
    (STRICT, 'iso', [Seen('gpt', 4 * MiB)], 4 * MiB),
    (STRICT, 'iso', [Seen('gpt', 1), Seen('iso', 2 * MiB)], 2 * MiB),   # bootable ISO
    (STRICT, 'vmdk', [Seen('vmdk', vmdktype='streamoptimized')], 10 * MiB),
    (STRICT, 'vmdk', [Seen('vmdk', vmdktype='monolithicsparse')], 10 * MiB),
    (STRICT, 'ami', [Seen('raw', 77)], 77),                    # no inspector knows ami
    (STRICT, 'aki', [Seen('qcow2')], 10 * MiB),
    (STRICT, 'ploop', [Seen('raw', 5)], 5),
    (STRICT, 'raw', [Seen('raw', 0)], None),                    # empty: size unknown
    (LAX, 'raw', [Seen('qcow2')], None),                        # mismatch tolerated
    (LAX, 'qcow2', [Seen('raw', 99)], None),
    (Rules(gpt_safety_checks_nonfatal=True), 'raw', [Seen('gpt', 8, unsafe='mbr')], 8),
    (Rules(vmdk_allowed_types=('monolithicsparse',)), 'vmdk',
     [Seen('vmdk', vmdktype='monolithicsparse')], 10 * MiB),
]

REFUSED = [
    # (rules, disk_format, what the content matched) -> words the reason holds
    (STRICT, 'qcow2', [Seen('raw')], 'does not match disk_format qcow2'),
    (STRICT, 'raw', [Seen('qcow2')], 'does not match disk_format raw'),
    (STRICT, 'raw', [Seen('iso')], 'does not match disk_format raw'),
    (STRICT, 'raw', [Seen('gpt'), Seen('iso')], 'does not match disk_format raw'),
    (STRICT, 'vhd', [Seen('vhdx')], 'does not match disk_format vhd'),
    (STRICT, 'qcow2', [Seen('qcow2', unsafe='backing_file')], 'backing_file'),
    (LAX, 'raw', [Seen('qcow2', unsafe='data_file')], 'data_file'),     # safety always
    (STRICT, 'vmdk', [Seen('vmdk', unsafe='descriptor')], 'descriptor'),
    (STRICT, 'raw', [Seen('gpt', unsafe='mbr')], 'mbr'),
    (STRICT, 'vmdk', [Seen('vmdk', vmdktype='monolithicflat')], 'monolithicflat'),
    (Rules(vmdk_allowed_types=('monolithicsparse',)), 'vmdk',
     [Seen('vmdk', vmdktype='streamoptimized')], 'streamoptimized is not allowed'),
    (STRICT, 'qcow2', [Seen('qcow2'), Seen('vhd')], 'several formats (qcow2, vhd)'),
    (LAX, 'raw', [Seen('gpt'), Seen('qcow2')], 'several formats'),
]


@pytest.mark.parametrize('rules,disk_format,detected,virtual_size', ACCEPTED)
def test_decision_accepts(rules, disk_format, detected, virtual_size):
    assert format_inspection.decide(rules, disk_format, detected) == virtual_size


@pytest.mark.parametrize('rules,disk_format,detected,reason', REFUSED)
def test_decision_refuses(rules, disk_format, detected, reason):
    with pytest.raises(api_exceptions.InvalidImageData) as raised:
        format_inspection.decide(rules, disk_format, detected)
    assert reason in raised.value.msg


def test_only_bare_containers_are_inspected(tmp_path):
    conf = make_conf(tmp_path)
    assert format_inspection.for_image(conf, {'container_format': 'bare',
                                              'disk_format': 'qcow2'}) is not None
    for container in ('ovf', 'ova', 'ami', 'docker', 'compressed'):
        assert format_inspection.for_image(conf, {'container_format': container,
                                                  'disk_format': 'qcow2'}) is None


def test_rules_come_from_the_image_format_options(tmp_path):
    assert Rules.from_conf(make_conf(tmp_path)) == Rules()
    conf = make_conf(tmp_path, image_format__require_image_format_match=False,
                     image_format__vmdk_allowed_types=['streamOptimized'],
                     image_format__gpt_safety_checks_nonfatal=True)
    assert Rules.from_conf(conf) == Rules(require_format_match=False,
                                          vmdk_allowed_types=('streamoptimized',),
                                          gpt_safety_checks_nonfatal=True)


# -- real images through the streaming inspector -------------------------------------------

def _chunks(data, size):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def inspect(data, disk_format, rules=STRICT, chunk_size=64 * 1024):
    inspection = format_inspection.UploadInspection(rules, disk_format)
    assert b''.join(inspection.wrap(_chunks(data, chunk_size))) == data
    return inspection.verdict()


SAFE = [
    ('qcow2', lambda: disk_images.qcow2(16 * MiB)),
    ('qcow2', lambda: disk_images.converted('qcow2', 8 * MiB, 'compat=0.10')),
    ('vmdk', lambda: disk_images.converted('vmdk', 16 * MiB)),
    ('vmdk', lambda: disk_images.converted('vmdk', 16 * MiB, 'subformat=streamOptimized')),
    ('vhd', lambda: disk_images.converted('vpc', 16 * MiB)),
    ('vhdx', lambda: disk_images.converted('vhdx', 8 * MiB)),
    ('vdi', lambda: disk_images.converted('vdi', 16 * MiB)),
]


@needs_qemu_img
@pytest.mark.parametrize('disk_format,build', SAFE, ids=[
    'qcow2', 'qcow2-v2', 'vmdk-sparse', 'vmdk-stream', 'vhd', 'vhdx', 'vdi'])
@pytest.mark.parametrize('chunk_size', [512, 1 * MiB])
def test_safe_images_give_qemu_img_virtual_size(disk_format, build, chunk_size):
    data = build()
    assert inspect(data, disk_format, chunk_size=chunk_size) == \
        disk_images.qemu_img_info(data)['virtual-size']


def test_iso_raw_and_partitioned_images_are_accepted_with_their_sizes():
    assert inspect(disk_images.iso9660(blocks=100), 'iso') == 100 * 2048
    assert inspect(disk_images.hybrid_iso(blocks=80), 'iso') == 80 * 2048
    disk = disk_images.mbr_disk(2 * MiB)
    assert inspect(disk, 'raw') == 2 * MiB
    assert inspect(os.urandom(300000), 'raw') == 300000


UNSAFE = [
    ('qcow2', disk_images.qcow2_with_backing_file, 'backing_file'),
    ('qcow2', disk_images.qcow2_with_data_file, 'data_file'),
    ('vmdk', disk_images.vmdk_with_external_extent, 'Invalid extent filenames'),
    ('vmdk', disk_images.vmdk_flat_descriptor, 'Unsupported subformat'),
    ('raw', disk_images.malformed_mbr_disk, 'invalid boot flag'),
]


@needs_qemu_img
@pytest.mark.parametrize('disk_format,build,reason', UNSAFE,
                         ids=['qcow2-backing', 'qcow2-data-file', 'vmdk-extent', 'vmdk-flat',
                              'bad-mbr'])
def test_unsafe_images_are_refused_even_without_format_matching(disk_format, build, reason):
    data = build()
    for rules in (STRICT, LAX):
        with pytest.raises(api_exceptions.InvalidImageData) as raised:
            inspect(data, disk_format, rules)
        assert reason in raised.value.msg


@needs_qemu_img
def test_vmdk_allowed_types_narrows_the_accepted_subformats():
    stream = disk_images.converted('vmdk', 4 * MiB, 'subformat=streamOptimized')
    only_sparse = Rules(vmdk_allowed_types=('monolithicsparse',))
    with pytest.raises(api_exceptions.InvalidImageData, match='streamoptimized is not allowed'):
        inspect(stream, 'vmdk', only_sparse)
    assert inspect(disk_images.converted('vmdk', 4 * MiB), 'vmdk', only_sparse) == 4 * MiB


@needs_qemu_img
def test_qcow2_labelled_raw_is_refused_only_when_matching_is_required():
    data = disk_images.qcow2(4 * MiB)
    with pytest.raises(api_exceptions.InvalidImageData, match='the content is qcow2'):
        inspect(data, 'raw')
    assert inspect(data, 'raw', LAX) is None


def test_content_an_inspector_cannot_decide_on_is_refused():
    # Printable text, then a byte that is not ASCII: the VMDK inspector takes it for a
    # descriptor it cannot decode, and raises where a verdict was asked for.
    data = b'# Disk DescriptorFile\n' * 40 + b'\xff' + os.urandom(4096)
    with pytest.raises(api_exceptions.InvalidImageData, match='could not be inspected as vmdk'):
        inspect(data, 'raw')
    assert inspect(b'plain text\n' * 1000, 'raw') == 11000


def test_a_mismatch_stops_the_stream_at_the_first_chunk():
    # 64 MiB of raw data labelled qcow2: the qcow2 inspector rules it out after 512 bytes,
    # so the upload ends without reading the rest of the body.
    inspection = format_inspection.UploadInspection(STRICT, 'qcow2')
    consumed = []

    def body():
        for _ in range(64):
            consumed.append(1)
            yield os.urandom(1 * MiB)

    with pytest.raises(api_exceptions.InvalidImageData, match='does not match disk_format qcow2'):
        for _ in inspection.wrap(body()):
            pass
    assert len(consumed) == 1


def test_formats_without_an_inspector_do_not_stop_the_stream():
    inspection = format_inspection.UploadInspection(STRICT, 'ami')
    data = os.urandom(3 * MiB)
    assert b''.join(inspection.wrap(_chunks(data, MiB))) == data
    assert inspection.verdict() == 3 * MiB


def test_inspectors_that_ruled_themselves_out_stop_reading():
    stream = format_inspection.StreamInspector()
    for _ in stream.wrap(_chunks(os.urandom(4 * MiB), MiB)):
        pass
    # Only inspectors still waiting for data they were pointed at remain (VHDX may chase
    # a metadata offset read from random bytes); every fixed-header format dropped out.
    assert {str(i) for i in stream._live} <= {'vhdx'}
    assert [str(i) for i in stream.detected()] == ['raw']
    assert stream.size == 4 * MiB


# -- the upload flow -----------------------------------------------------------------------

@pytest.fixture
def conf(request, tmp_path):
    """conftest's conf, with the options a test passes through indirect parametrization."""
    return make_conf(tmp_path, **getattr(request, 'param', {}))


def _upload(client, data, disk_format, container_format='bare'):
    image = client.post('/v2/images', headers=ALICE, json={
        'disk_format': disk_format, 'container_format': container_format}).get_json()
    response = client.put('/v2/images/%s/file' % image['id'], data=data,
                          headers=dict(ALICE, **OCTET))
    shown = client.get('/v2/images/%s' % image['id'], headers=ALICE).get_json()
    return response, shown


def _files(datadir):
    return sorted(os.listdir(datadir)) if datadir.exists() else []


@needs_qemu_img
def test_upload_of_a_qcow2_sets_virtual_size(client, datadir):
    data = disk_images.qcow2(24 * MiB)
    response, image = _upload(client, data, 'qcow2')
    assert response.status_code == 204, response.get_json()
    assert (image['status'], image['size'], image['virtual_size']) == \
        ('active', len(data), 24 * MiB)
    assert _files(datadir) == [image['id']]


@needs_qemu_img
def test_refused_upload_is_415_queued_and_leaves_no_bytes(client, datadir):
    response, image = _upload(client, disk_images.qcow2_with_backing_file(), 'qcow2')
    assert response.status_code == 415
    body = response.get_json()['error']
    assert body['code'] == 415 and 'backing_file' in body['message']
    assert (image['status'], image['size'], image['virtual_size'], image['checksum']) == \
        ('queued', None, None, None)
    assert _files(datadir) == []


def test_mismatch_found_mid_stream_is_415_queued_and_leaves_no_bytes(client, datadir):
    response, image = _upload(client, os.urandom(3 * MiB), 'vhdx')
    assert response.status_code == 415
    assert 'does not match disk_format vhdx' in response.get_json()['error']['message']
    assert image['status'] == 'queued'
    assert _files(datadir) == []


def test_mid_stream_refusal_reads_the_rest_of_the_body_but_not_beyond_it(client, datadir):
    # The client still gets its 415 when it only reads the answer after sending everything:
    # the api drains the announced length, and leaves what follows it alone.
    image = client.post('/v2/images', headers=ALICE, json={
        'disk_format': 'qcow2', 'container_format': 'bare'}).get_json()
    data = os.urandom(8 * MiB)
    body = io.BytesIO(data + b'NEXT REQUEST')
    response = client.put('/v2/images/%s/file' % image['id'], input_stream=body,
                          headers=dict(ALICE, **OCTET),
                          environ_overrides={'CONTENT_LENGTH': str(len(data))})
    assert response.status_code == 415
    assert body.read() == b'NEXT REQUEST'
    assert _files(datadir) == []


@needs_qemu_img
@pytest.mark.parametrize('conf', [{'image_format__require_image_format_match': False}],
                         indirect=True)
def test_without_format_matching_a_mislabelled_image_is_stored_without_virtual_size(client):
    data = disk_images.qcow2(4 * MiB)
    response, image = _upload(client, data, 'raw')
    assert response.status_code == 204
    assert (image['status'], image['virtual_size']) == ('active', None)
    response, image = _upload(client, disk_images.qcow2_with_data_file(), 'qcow2')
    assert response.status_code == 415 and image['status'] == 'queued'


@pytest.mark.parametrize('conf', [{'image_format__gpt_safety_checks_nonfatal': True}],
                         indirect=True)
def test_nonfatal_gpt_checks_accept_a_malformed_partition_table(client):
    data = disk_images.malformed_mbr_disk(1 * MiB)
    response, image = _upload(client, data, 'raw')
    assert response.status_code == 204
    assert (image['status'], image['virtual_size']) == ('active', 1 * MiB)


def test_malformed_partition_table_is_refused_by_default(client):
    response, image = _upload(client, disk_images.malformed_mbr_disk(1 * MiB), 'raw')
    assert response.status_code == 415 and image['status'] == 'queued'


@needs_qemu_img
def test_non_bare_containers_are_stored_as_sent(client):
    response, image = _upload(client, disk_images.qcow2(4 * MiB), 'raw', 'ovf')
    assert response.status_code == 204
    assert (image['status'], image['virtual_size']) == ('active', None)


def test_registry_refuses_a_virtual_size_that_is_not_a_size(registry, client):
    image = client.post('/v2/images', headers=ALICE, json={
        'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    ctx = context.RequestContext(project_id='project-a', user_id='alice', roles=['member'])
    registry.begin_upload(ctx, image_id=image['id'], lease_seconds=60)
    for bad in (-1, 'big', 1.5, True):
        with pytest.raises(exceptions.Invalid):
            registry.finish_upload(ctx, image_id=image['id'], location='file:///x', size=1,
                                   checksum='c', os_hash_algo='sha512', os_hash_value='h',
                                   virtual_size=bad)
    done = registry.finish_upload(ctx, image_id=image['id'], location='file:///x', size=1,
                                  checksum='c', os_hash_algo='sha512', os_hash_value='h',
                                  virtual_size=2 ** 40)
    assert (done['status'], done['virtual_size']) == ('active', 2 ** 40)


@pytest.mark.real_registry
def test_an_api_capped_below_1_2_finishes_uploads_without_virtual_size(conf, registry,
                                                                       client, tmp_path):
    # During a rolling upgrade ([registry] version_cap = 1.1) finish_upload goes out as a
    # 1.0 call, which an older registry understands; the image just has no virtual_size.
    capped = make_conf(tmp_path, registry__version_cap='1.1',
                       registry__topic=conf.registry.topic)
    old_api = rpc_client.RegistryClient(capped, transport=registry._transport)
    image = client.post('/v2/images', headers=ALICE, json={
        'disk_format': 'raw', 'container_format': 'bare'}).get_json()
    ctx = context.RequestContext(project_id='project-a', user_id='alice', roles=['member'])
    registry.begin_upload(ctx, image_id=image['id'], lease_seconds=60)
    done = old_api.finish_upload(ctx, image_id=image['id'], location='file:///x', size=1,
                                 checksum='c', os_hash_algo='sha512', os_hash_value='h',
                                 virtual_size=4096)
    assert (done['status'], done['virtual_size']) == ('active', None)
