"""glance-api with the s3 store on the real daemons and a real S3-compatible server (moto in
server mode): ``[glance_store] stores = file,s3 / default_store = s3`` through the glance CLI
(an image over s3_store_large_object_size goes up as a multipart upload, its md5 matches on
download, image-delete leaves the bucket empty), an s3 backend beside a file backend in a
multi-store glance-api, and the failure paths through the API: S3 stopped mid-upload, wrong
credentials, a missing bucket.
"""

import hashlib
import json
import os
import uuid

import pytest
import requests

from tests.functional import daemons
from tests.functional.http_api import ImagesApi
from tests.functional.stores.store_failures import first_upload_refused
from tests.functional.stores.store_failures import start_refused
from tests.functional.stores.store_failures import upload_cut_by_a_stop
from tests.functional.stores.test_s3_store import _CheckingS3Server
from tests.functional.stores.test_s3_store import client
from tests.functional.stores.test_s3_store import keys
from tests.functional.stores.test_s3_store import multipart_uploads
from tests.functional.test_glanceclient_cli import GlanceCli
from tools.backends import s3_server as s3_backend

MIB = 1024 * 1024


def s3_options(info, bucket, **extra):
    """The options of an s3 store (for [glance_store] or a backend's section)."""
    options = {'s3_store_host': info['endpoint_url'], 's3_store_access_key': info['access_key'],
               's3_store_secret_key': info['secret_key'], 's3_store_bucket': bucket,
               's3_store_region_name': info['region'],
               's3_store_create_bucket_on_put': 'True',
               's3_store_large_object_size': '5', 's3_store_large_object_chunk_size': '5'}
    options.update({k: str(v) for k, v in extra.items()})
    return options


def single_store(info, bucket, **extra):
    return {'glance_store': {'stores': 'file,s3', 'default_store': 's3',
                             **s3_options(info, bucket, **extra)}}


def md5_of(data):
    return hashlib.md5(data).hexdigest()


def test_glance_cli_multipart_image_round_trip(tmp_path, s3_server):
    info = s3_server.info
    bucket = f'glance-{uuid.uuid4().hex[:8]}'
    with daemons.private_service(tmp_path, name='s3cli',
                                 extra_api_options=single_store(info, bucket)) as service:
        path = tmp_path / 'disk.raw'
        data = os.urandom(12 * MIB + 77)  # three parts of 5 MiB, the last short
        path.write_bytes(data)
        cli = GlanceCli(service, tmp_path)
        created = cli.table('image-create', '--name', 'on-s3', '--disk-format', 'raw',
                            '--container-format', 'bare', '--file', str(path), '--progress')
        image_id = created['id']
        assert created['status'] == 'active' and created['checksum'] == md5_of(data)
        assert keys(info, bucket) == [image_id]
        assert multipart_uploads(info, bucket) == []
        stored = client(info).head_object(Bucket=bucket, Key=image_id)
        assert stored['ContentLength'] == len(data)
        assert stored['ETag'].strip('"').endswith('-3')  # a multipart upload of 3 parts
        out = tmp_path / 'out.raw'
        cli.run('image-download', '--file', str(out), image_id)
        assert md5_of(out.read_bytes()) == md5_of(data)
        # Ranged reads go to S3 as ranged GETs.
        # As the CLI asks (no identity headers: the api's default project under noauth).
        ranged = requests.get(f'{service.base_url}/v2/images/{image_id}/file', timeout=60,
                              headers={'X-Auth-Token': 'x',
                                       'Range': f'bytes={5 * MIB - 5}-{10 * MIB}'})
        assert ranged.status_code == 206 and ranged.content == data[5 * MIB - 5:10 * MIB + 1]
        cli.run('image-delete', image_id)
        assert keys(info, bucket) == []
        assert multipart_uploads(info, bucket) == []


def test_s3_beside_file_in_a_multi_store_api(tmp_path, s3_server):
    info = s3_server.info
    bucket = f'glance-{uuid.uuid4().hex[:8]}'
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text(json.dumps({'stores_info_detail': 'role:member'}))
    options = {'DEFAULT': {'enabled_backends': 'fast:file, cold:s3'},
               'glance_store': {'default_backend': 'fast'},
               'fast': {'filesystem_store_datadir': str(tmp_path / 'fast')},
               'cold': {'store_description': 'Objects', **s3_options(
                   info, bucket, s3_store_thread_pools=3)},
               'oslo_policy': {'policy_file': str(policy_file)}}
    with daemons.private_service(tmp_path, name='s3multi',
                                 extra_api_options=options) as service:
        cli = GlanceCli(service, tmp_path)
        assert '"type": "s3"' in cli.run('stores-info', '--detail').stdout
        detail = requests.get(f'{service.base_url}/v2/info/stores/detail',
                              headers={'X-Auth-Token': 'x'}, timeout=30).json()
        cold = next(s for s in detail['stores'] if s['id'] == 'cold')
        assert cold['type'] == 's3' and cold['description'] == 'Objects'
        assert cold['properties'] == {'s3_store_large_object_size': 5 * MIB,
                                      's3_store_large_object_chunk_size': 5 * MIB,
                                      's3_store_thread_pools': 3}
        assert info['secret_key'] not in json.dumps(detail)
        path = tmp_path / 'disk.raw'
        data = os.urandom(MIB + 3)
        path.write_bytes(data)
        created = cli.table('image-create', '--name', 'cold', '--disk-format', 'raw',
                            '--container-format', 'bare', '--file', str(path),
                            '--store', 'cold')
        assert created['status'] == 'active' and created['stores'] == 'cold'
        assert keys(info, bucket) == [created['id']]
        out = tmp_path / 'out.raw'
        cli.run('image-download', '--file', str(out), created['id'])
        assert out.read_bytes() == data
        cli.run('image-delete', created['id'])
        assert keys(info, bucket) == []


def test_a_missing_bucket_without_create_on_put(tmp_path, s3_server):
    info = s3_server.info
    bucket = f'absent-{uuid.uuid4().hex[:8]}'
    options = single_store(info, bucket, s3_store_create_bucket_on_put='False')
    with daemons.private_service(tmp_path, name='s3nobucket',
                                 extra_api_options=options) as service:
        api = ImagesApi(service.base_url, 'project-nobucket')
        image, message = first_upload_refused(api)
        assert bucket in message and 's3_store_create_bucket_on_put' in message
        # Once the operator creates it, the same upload works.
        client(info).create_bucket(Bucket=bucket)
        assert api.upload(image['id'], b'data').status_code == 204
        assert keys(info, bucket) == [image['id']]


def test_wrong_credentials_fail_the_first_use_clearly(tmp_path):
    server = _CheckingS3Server(tmp_path / 's3')
    info = server.start()
    try:
        secret = 'Wr0ngSecretThatMustNotShow'
        options = single_store(dict(info, secret_key=secret), 'glance-wrongkey')
        with daemons.private_service(tmp_path, name='s3wrongkey',
                                     extra_api_options=options) as service:
            api = ImagesApi(service.base_url, 'project-wrongkey')
            _, message = first_upload_refused(api)
            assert 'S3 refused the credentials' in message
            assert 's3_store_secret_key' in message
            assert secret not in message
            log = (service.workdir / 'api.log').read_text()
            assert 'S3 refused the credentials' in log and secret not in log
    finally:
        server.stop()


def test_s3_stopped_mid_upload(tmp_path):
    """The image goes back to queued; moto is back (empty) and the image uploads again."""
    server = s3_backend.S3Server(tmp_path / 's3')
    info = server.start()
    bucket = 'glance-stopped'
    options = single_store(info, bucket)
    try:
        with daemons.private_service(tmp_path, name='s3stop',
                                     extra_api_options=options) as service:
            api = ImagesApi(service.base_url, 'project-s3stop')
            image = api.create_ok(name='cut')
            # Slow once past large_object_size and one part: in a multipart upload.
            upload_cut_by_a_stop(api, image['id'], chunks=60, slow_after=16,
                                 written=lambda: multipart_uploads(info, bucket),
                                 stop=server.stop, join_seconds=180)
            # S3 back on the same port (moto starts empty): the image uploads again.
            server = s3_backend.S3Server(tmp_path / 's3')
            server.port, server.url = info['port'], info['endpoint_url']
            server.start()
            data = os.urandom(MIB + 3)
            assert api.upload(image['id'], data).status_code == 204
            assert md5_of(api.download(image['id']).content) == md5_of(data)
            assert multipart_uploads(info, bucket) == []
    finally:
        server.stop()


@pytest.mark.parametrize('option,value', [('s3_store_large_object_chunk_size', '4'),
                                          ('s3_store_thread_pools', '0'),
                                          ('s3_store_bucket', '')])
def test_a_bad_s3_option_stops_the_start(tmp_path, s3_server, option, value):
    options = single_store(s3_server.info, 'glance-bad', **{option: value})
    stderr = start_refused(tmp_path, 's3bad', options)
    assert option in stderr and 'Traceback' not in stderr
    assert s3_server.info['secret_key'] not in stderr
