"""The real Swift the swift store's tests write to, with tempauth and with Keystone.

python-swiftclient uploads a 20 MiB object as a static (SLO) and as a dynamic (DLO) large
object made of segments and reads ranges back, as the store driver will.
"""

import hashlib
import io
import json
import os
import uuid

import pytest
import requests
import swiftclient

from tools.backends import swift_server as swift_backend

MIB = 1024 * 1024
SIZE = 20 * MIB
SEGMENT = 4 * MIB + 123  # segments that do not divide the object evenly
DATA = os.urandom(SIZE)


@pytest.fixture(params=['tempauth', 'keystone'])
def swift(request):
    return request.getfixturevalue(f'swift_{request.param}')


def connect(info):
    if info['auth'] == 'keystone':
        return swiftclient.Connection(
            authurl=info['auth_url'], user=info['user'], key=info['key'], auth_version='3',
            os_options={'project_name': info['project'],
                        'user_domain_name': info['user_domain_name'],
                        'project_domain_name': info['project_domain_name']},
            retries=0)
    return swiftclient.Connection(authurl=info['auth_url'], user=info['user'],
                                  key=info['key'], retries=0)


def upload_segments(conn, container, prefix):
    conn.put_container(container)
    manifest = []
    for number, start in enumerate(range(0, SIZE, SEGMENT)):
        chunk = DATA[start:start + SEGMENT]
        name = f'{prefix}/{number:08d}'
        etag = conn.put_object(container, name, io.BytesIO(chunk), content_length=len(chunk))
        manifest.append({'path': f'/{container}/{name}', 'etag': etag,
                         'size_bytes': len(chunk)})
    return manifest


def check_ranges(conn, container, name):
    headers = conn.head_object(container, name)
    assert int(headers['content-length']) == SIZE
    # A range across a segment boundary, one inside the last segment, and a suffix.
    for start, end in ((SEGMENT - 10, SEGMENT + 9), (SIZE - 100, SIZE - 51)):
        got_headers, body = conn.get_object(container, name,
                                            headers={'Range': f'bytes={start}-{end}'})
        assert got_headers['content-range'] == f'bytes {start}-{end}/{SIZE}'
        assert body == DATA[start:end + 1]
    _, body = conn.get_object(container, name, headers={'Range': 'bytes=-7'})
    assert body == DATA[-7:]
    _, whole = conn.get_object(container, name, resp_chunk_size=MIB)
    digest = hashlib.sha256()
    for chunk in whole:
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_static_large_object(swift):
    conn = connect(swift.info)
    container, segments = f'slo-{uuid.uuid4().hex[:8]}', f'slo-seg-{uuid.uuid4().hex[:8]}'
    manifest = upload_segments(conn, segments, 'image')
    assert len(manifest) == 5
    conn.put_container(container)
    conn.put_object(container, 'image', json.dumps(manifest),
                    query_string='multipart-manifest=put')
    headers = conn.head_object(container, 'image')
    assert headers['x-static-large-object'] == 'True'
    check_ranges(conn, container, 'image')
    # Deleting the manifest with its segments leaves nothing behind.
    conn.delete_object(container, 'image', query_string='multipart-manifest=delete')
    assert conn.get_container(segments)[1] == []


def test_dynamic_large_object(swift):
    conn = connect(swift.info)
    container = f'dlo-{uuid.uuid4().hex[:8]}'
    upload_segments(conn, container, 'image-segments')
    conn.put_object(container, 'image', b'',
                    headers={'X-Object-Manifest': f'{container}/image-segments/'})
    check_ranges(conn, container, 'image')


def test_the_described_storage_url_and_token(swift):
    info = swift.info
    conn = connect(info)
    storage_url, token = conn.get_auth()
    assert storage_url == info['storage_url']
    assert token
    assert swift.token()[1] == info['storage_url']
    # Without a token the account is closed; with one it answers.
    assert requests.head(info['storage_url'], timeout=10).status_code == 401
    response = requests.head(info['storage_url'], headers={'X-Auth-Token': token}, timeout=10)
    assert response.status_code in (200, 204)


def test_a_wrong_key_is_refused(swift):
    info = dict(swift.info, key='wrong')
    with pytest.raises(swiftclient.ClientException) as failure:
        connect(info).get_auth()
    # swiftclient gives the status for auth v1, only the reason for Keystone.
    assert failure.value.http_status == 401 or 'Unauthorized' in str(failure.value)


def test_keystone_users_without_an_operator_role_cannot_write(swift_keystone, keystone):
    reader = keystone.info['users']['reader-a']
    info = dict(swift_keystone.info, user=reader['name'], key=reader['password'])
    conn = connect(info)
    with pytest.raises(swiftclient.ClientException) as failure:
        conn.put_container(f'denied-{uuid.uuid4().hex[:8]}')
    assert failure.value.http_status == 403


def test_startup_is_quick(swift):
    assert swift.info['startup_seconds'] < 30


def test_stop_leaves_no_process(tmp_path):
    server = swift_backend.SwiftServer(tmp_path)
    info = server.start()
    pids = list(server.pids().values())
    assert len(pids) == 4
    assert info['startup_seconds'] < 30
    server.stop()
    for pid in pids:
        assert not os.path.exists(f'/proc/{pid}')
    with pytest.raises(requests.ConnectionError):
        requests.get(f'{info["proxy_url"]}/healthcheck', timeout=2)
