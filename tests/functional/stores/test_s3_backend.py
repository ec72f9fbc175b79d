"""The S3-compatible server (moto in server mode) the s3 store's tests write to, with boto3."""

import os
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests

from tools.backends import s3_server as s3_backend

MIB = 1024 * 1024
PART = 5 * MIB  # S3's smallest part but the last
DATA = os.urandom(2 * PART + 12345)


@pytest.fixture
def s3(s3_server):
    info = s3_server.info
    client = boto3.client(
        's3', endpoint_url=info['endpoint_url'], aws_access_key_id=info['access_key'],
        aws_secret_access_key=info['secret_key'], region_name=info['region'],
        config=botocore.config.Config(signature_version='s3v4', retries={'max_attempts': 1}))
    yield client
    client.close()


@pytest.fixture
def bucket(s3):
    name = f'glimpse-{uuid.uuid4().hex[:12]}'
    s3.create_bucket(Bucket=name)
    return name


def test_a_bucket_is_created_and_listed(s3, bucket):
    assert bucket in [b['Name'] for b in s3.list_buckets()['Buckets']]
    s3.head_bucket(Bucket=bucket)


def test_multipart_upload_and_ranged_get(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key='image')
    parts = []
    for number, start in enumerate(range(0, len(DATA), PART), start=1):
        answer = s3.upload_part(Bucket=bucket, Key='image', UploadId=upload['UploadId'],
                                PartNumber=number, Body=DATA[start:start + PART])
        parts.append({'PartNumber': number, 'ETag': answer['ETag']})
    assert len(parts) == 3
    s3.complete_multipart_upload(Bucket=bucket, Key='image', UploadId=upload['UploadId'],
                                 MultipartUpload={'Parts': parts})
    assert s3.head_object(Bucket=bucket, Key='image')['ContentLength'] == len(DATA)
    start, end = PART - 5, PART + 4  # across the first two parts
    got = s3.get_object(Bucket=bucket, Key='image', Range=f'bytes={start}-{end}')
    assert got['ResponseMetadata']['HTTPStatusCode'] == 206
    assert got['ContentRange'] == f'bytes {start}-{end}/{len(DATA)}'
    assert got['Body'].read() == DATA[start:end + 1]
    assert s3.get_object(Bucket=bucket, Key='image')['Body'].read() == DATA


def test_an_aborted_multipart_upload_leaves_nothing(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key='abandoned')
    s3.upload_part(Bucket=bucket, Key='abandoned', UploadId=upload['UploadId'],
                   PartNumber=1, Body=DATA[:PART])
    listed = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
    assert [u['UploadId'] for u in listed] == [upload['UploadId']]
    s3.abort_multipart_upload(Bucket=bucket, Key='abandoned', UploadId=upload['UploadId'])
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []) == []
    with pytest.raises(botocore.exceptions.ClientError) as failure:
        s3.head_object(Bucket=bucket, Key='abandoned')
    assert failure.value.response['Error']['Code'] in ('404', 'NoSuchKey')


def test_stop_leaves_no_process(tmp_path):
    server = s3_backend.S3Server(tmp_path)
    info = server.start()
    pids = list(server.pids().values())
    server.stop()
    for pid in pids:
        assert not os.path.exists(f'/proc/{pid}')
    with pytest.raises(requests.ConnectionError):
        requests.get(f'{info["endpoint_url"]}/moto-api/', timeout=2)
