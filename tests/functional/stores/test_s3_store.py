"""The s3 store driver (api_service/stores/s3.py) against a real S3-compatible server (moto
in server mode): the store contract with single PUTs and with multipart uploads, ranges,
and its failures (a source that fails mid-multipart, S3 gone mid-upload, a missing bucket
with and without create-on-put, wrong credentials on a moto that checks them)."""

import os
import threading
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from api_service import exceptions
from api_service.stores import base
from api_service.stores import s3
from tests.unit.stores import contract
from tools.backends import s3_server as s3_backend

KiB = 1024
MiB = 1024 * 1024


def make_store(info, bucket=None, access_key=None, secret_key=None, **kwargs):
    kwargs.setdefault('create_bucket', True)
    kwargs.setdefault('retries', 1)
    return s3.S3Store(store_id='s3', host=info['endpoint_url'],
                      access_key=access_key or info['access_key'],
                      secret_key=secret_key or info['secret_key'],
                      bucket=bucket or 'b-%s' % uuid.uuid4().hex[:10],
                      region_name=info['region'], **kwargs)


def client(info, access_key=None, secret_key=None):
    return boto3.client(
        's3', endpoint_url=info['endpoint_url'], region_name=info['region'],
        aws_access_key_id=access_key or info['access_key'],
        aws_secret_access_key=secret_key or info['secret_key'],
        config=botocore.config.Config(retries={'max_attempts': 1}))


def keys(info, bucket):
    try:
        return [o['Key'] for o in client(info).list_objects_v2(Bucket=bucket).get(
            'Contents', [])]
    except botocore.exceptions.ClientError as exc:
        if exc.response['Error']['Code'] == 'NoSuchBucket':
            return []
        raise


def multipart_uploads(info, bucket):
    try:
        return client(info).list_multipart_uploads(Bucket=bucket).get('Uploads', [])
    except botocore.exceptions.ClientError as exc:
        if exc.response['Error']['Code'] == 'NoSuchBucket':
            return []
        raise


class TestS3SinglePut(contract.StoreContract):
    """Images under s3_store_large_object_size: one PUT each."""

    @pytest.fixture
    def store(self, s3_server):
        return make_store(s3_server.info)


class TestS3Multipart(contract.StoreContract):
    """Every image over 0 bytes goes up as a multipart upload (large_object_size 0)."""

    @pytest.fixture
    def store(self, s3_server):
        return make_store(s3_server.info, large_object_size=0,
                          large_object_chunk_size=s3.MIN_PART_SIZE)

    def add(self, store, image_id, data, chunk=7000):
        return store.add(image_id, contract._chunked(data, chunk), size_hint=len(data))


def test_a_large_image_is_a_multipart_upload(s3_server):
    info = s3_server.info
    store = make_store(info, large_object_size=6 * MiB, large_object_chunk_size=5 * MiB,
                       thread_pools=2)
    data = os.urandom(12 * MiB + 5)
    calls = []
    real = store._upload_part
    store._upload_part = lambda *args: calls.append(args[2]) or real(*args)
    added = store.add('big', contract._chunked(data, 100 * KiB))  # size unknown
    assert added.url == 's3://%s/%s/big' % (s3.host_of(info['endpoint_url']), store.bucket)
    assert added.size == len(data)
    assert sorted(calls) == [1, 2, 3]
    assert keys(info, store.bucket) == ['big']
    assert multipart_uploads(info, store.bucket) == []
    for offset, length in ((5 * MiB - 3, 10), (10 * MiB, MiB + 5), (0, None),
                           (12 * MiB + 4, None)):
        chunks, size = store.get(added.url, offset, length)
        end = None if length is None else offset + length
        assert size == len(data) and b''.join(chunks) == data[offset:end]
    store.delete(added.url)
    assert keys(info, store.bucket) == []


def test_an_image_announced_small_is_one_put(s3_server):
    store = make_store(s3_server.info, large_object_size=6 * MiB)
    calls = []
    store._upload_part = lambda *args: calls.append(args)
    data = os.urandom(5 * MiB)
    added = store.add('small', contract._chunked(data, MiB), size_hint=len(data))
    assert calls == [] and b''.join(store.get(added.url)[0]) == data


def test_a_source_failing_mid_multipart_leaves_no_upload(s3_server):
    info = s3_server.info
    store = make_store(info, large_object_size=5 * MiB, large_object_chunk_size=5 * MiB)
    seen = []

    def chunks():
        for _ in range(12):  # two parts and some
            yield os.urandom(MiB)
            if len(multipart_uploads(info, store.bucket)) == 1:
                seen.append(True)
        raise exceptions.ClientDisconnected()

    with pytest.raises(exceptions.ClientDisconnected):
        store.add('cut', chunks(), size_hint=40 * MiB)
    assert seen  # the multipart upload was under way
    assert multipart_uploads(info, store.bucket) == []
    assert keys(info, store.bucket) == []
    assert store.pending_aborts() == []


def test_s3_gone_mid_upload_then_back(tmp_path):
    """A part fails (the server stopped): StoreUnavailable; the abort is retried in the
    background until S3 answers again."""
    server = s3_backend.S3Server(tmp_path / 's3')
    info = server.start()
    store = make_store(info, large_object_size=5 * MiB, large_object_chunk_size=5 * MiB,
                       thread_pools=1)
    started = threading.Event()
    stopped = threading.Event()

    def chunks():
        for n in range(30):
            yield os.urandom(MiB)
            if n == 11:
                started.set()
                assert stopped.wait(60)

    def stop_when_uploading():
        assert started.wait(60)
        assert len(multipart_uploads(info, store.bucket)) == 1
        server.stop()
        stopped.set()

    stopper = threading.Thread(target=stop_when_uploading)
    stopper.start()
    try:
        with pytest.raises(exceptions.StoreUnavailable) as caught:
            store.add('gone', chunks(), size_hint=30 * MiB)
        stopper.join(60)
        assert 'cannot reach' in str(caught.value) and 's3_store_host' in str(caught.value)
        assert info['secret_key'] not in str(caught.value)
        assert [i for i, _ in store.pending_aborts()] == ['gone']
    finally:
        server.stop()
    # Back on the same port: moto keeps no state across a restart, so the retried abort
    # finds no such upload and is done.
    server = s3_backend.S3Server(tmp_path / 's3')
    server.port, server.url = info['port'], info['endpoint_url']
    server.start()
    try:
        deadline = time.monotonic() + 3 * s3.ABORT_RETRY_SECONDS + 10
        while store.pending_aborts():
            assert time.monotonic() < deadline
            time.sleep(0.5)
    finally:
        server.stop()


def test_a_missing_bucket_without_create_on_put(s3_server):
    info = s3_server.info
    store = make_store(info, create_bucket=False)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.add('img', iter([b'data']), size_hint=4)
    assert store.bucket in str(caught.value)
    assert 's3_store_create_bucket_on_put' in str(caught.value)
    with pytest.raises(exceptions.StoreUnavailable):
        store.check_access()
    assert keys(info, store.bucket) == []
    # Once the operator creates it, the same upload works.
    client(info).create_bucket(Bucket=store.bucket)
    store.check_access()
    added = store.add('img', iter([b'data']), size_hint=4)
    assert keys(info, store.bucket) == ['img']
    assert b''.join(store.get(added.url)[0]) == b'data'


def test_a_missing_bucket_with_create_on_put(s3_server):
    info = s3_server.info
    store = make_store(info, create_bucket=True)
    store.check_access()
    assert keys(info, store.bucket) == []
    added = store.add('img', iter([b'data']), size_hint=4)
    assert keys(info, store.bucket) == ['img']
    assert b''.join(store.get(added.url)[0]) == b'data'


class _CheckingS3Server(s3_backend.S3Server):
    """moto checking signatures against the access keys of its IAM: the first three requests
    go unchecked (they create a user, its key and a policy letting it use S3)."""

    def start(self, timeout=s3_backend.START_TIMEOUT_SECONDS):
        self.dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT='3')
        self._start_process('moto', [s3_backend.venv_bin('moto_server'), '-H',
                                     s3_backend.HOST, '-p', str(self.port)],
                            self.dir / 'moto-server.log',
                            lambda: s3_backend.http_status(f'{self.url}/moto-api/') == 200,
                            'moto_server', timeout, env=env)
        iam = boto3.client('iam', endpoint_url=self.url, region_name='us-east-1',
                           aws_access_key_id='bootstrap', aws_secret_access_key='bootstrap')
        iam.create_user(UserName='glance')
        key = iam.create_access_key(UserName='glance')['AccessKey']
        iam.put_user_policy(UserName='glance', PolicyName='s3', PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", '
            '"Resource": "*"}]}'))
        self.info = {'endpoint_url': self.url, 'access_key': key['AccessKeyId'],
                     'secret_key': key['SecretAccessKey'], 'region': s3_backend.REGION,
                     'port': self.port}
        return self.info


@pytest.fixture(scope='module')
def checking_s3(tmp_path_factory):
    server = _CheckingS3Server(tmp_path_factory.mktemp('s3-checking'))
    server.start()
    yield server
    server.stop()


def test_right_credentials_on_a_checking_server(checking_s3):
    store = make_store(checking_s3.info)
    store.check_access()
    added = store.add('img', iter([b'data']), size_hint=4)
    assert b''.join(store.get(added.url)[0]) == b'data'
    store.delete(added.url)


@pytest.mark.parametrize('wrong', ['secret', 'access'])
def test_wrong_credentials_are_a_clear_error(checking_s3, wrong):
    info = checking_s3.info
    bad = 'Wr0ngSecretKeyThatMustNotShow'
    kwargs = ({'secret_key': bad} if wrong == 'secret' else
              {'access_key': 'AKIAWRONGWRONGWRONG1'})
    store = make_store(info, section='cold', **kwargs)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.check_access()
    message = str(caught.value)
    assert 'S3 refused the credentials' in message
    assert 's3_store_access_key' in message and '[cold]' in message
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.add('img', iter([b'data']), size_hint=4)
    assert 'S3 refused the credentials' in str(caught.value)
    for text in (message, str(caught.value)):
        assert bad not in text and info['secret_key'] not in text
    right = make_store(info, bucket=store.bucket)
    added = right.add('img', iter([b'data']), size_hint=4)
    with pytest.raises(exceptions.StoreUnavailable) as caught:
        store.get(added.url)
    assert 'S3 refused the credentials' in str(caught.value)
    with pytest.raises(exceptions.StoreUnavailable):
        store.delete(added.url)


def test_locations_hold_no_credentials_and_upstream_ones_are_read(s3_server):
    info = s3_server.info
    store = make_store(info)
    added = store.add('img', iter([b'0123456789']), size_hint=10)
    assert info['access_key'] not in added.url and info['secret_key'] not in added.url
    # A location upstream glance_store wrote, with credentials (a secret with a '/').
    host = s3.host_of(info['endpoint_url'])
    upstream = 's3://OLDKEY:old/secret@%s/%s/img' % (host, store.bucket)
    assert store.owns(upstream)
    assert b''.join(store.get(upstream)[0]) == b'0123456789'
    assert s3.shown(upstream) == 's3://%s/%s/img' % (host, store.bucket)
    with pytest.raises(exceptions.StoreDataNotFound) as caught:
        store.get(upstream.replace('/img', '/nothing'))
    assert 'old/secret' not in str(caught.value)
    assert not store.owns('s3://%s/other-bucket/img' % host)


def test_reads_past_the_end_and_of_a_deleted_image(s3_server):
    store = make_store(s3_server.info)
    added = store.add('img', iter([b'0123456789']), size_hint=10)
    chunks, size = store.get(added.url, 10, None)
    assert size == 10 and b''.join(chunks) == b''
    chunks, size = store.get(added.url, 3, 0)
    assert size == 10 and b''.join(chunks) == b''
    assert store.can(base.Capability.READ_OFFSET)
    store.delete(added.url)
    with pytest.raises(exceptions.StoreDataNotFound):
        store.get(added.url)


def test_two_threads_share_the_store(s3_server):
    store = make_store(s3_server.info, large_object_size=5 * MiB,
                       large_object_chunk_size=5 * MiB, thread_pools=2)
    store._ready_bucket()
    errors = []

    def work(n):
        try:
            data = os.urandom(6 * MiB + n)
            added = store.add('t%d' % n, contract._chunked(data, 300 * KiB))
            assert b''.join(store.get(added.url)[0]) == data
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert multipart_uploads(s3_server.info, store.bucket) == []


def test_properties_as_upstream_shows_them(s3_server):
    store = make_store(s3_server.info, large_object_size=100 * MiB,
                       large_object_chunk_size=10 * MiB, thread_pools=4)
    assert store.properties() == {'s3_store_large_object_size': 100 * MiB,
                                  's3_store_large_object_chunk_size': 10 * MiB,
                                  's3_store_thread_pools': 4}
