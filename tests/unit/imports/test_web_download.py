"""web-download's pieces that need no server: the expected hash and URI redaction."""

import hashlib

import pytest

from api_service.imports import web_download


def test_expected_hash_forms():
    digest = hashlib.sha256(b'data').hexdigest()
    explicit = web_download.ExpectedHash('SHA256:' + digest.upper(), 'sha512')
    assert (explicit.algorithm, explicit.digest) == ('sha256', digest)
    bare = web_download.ExpectedHash(hashlib.sha512(b'data').hexdigest(), 'sha512')
    assert bare.algorithm == 'sha512'


@pytest.mark.parametrize('value, message', [
    ('', 'must be a string'),
    (5, 'must be a string'),
    ('nohash:abcd', 'unknown hash algorithm'),
    ('sha256:abcd', 'not a sha256 hex digest'),
    ('sha256:' + 'g' * 64, 'not a sha256 hex digest'),
])
def test_expected_hash_refusals(value, message):
    with pytest.raises(ValueError, match=message):
        web_download.ExpectedHash(value, 'sha512')


def test_expected_hash_checks_what_passed():
    expected = web_download.ExpectedHash('sha256:' + hashlib.sha256(b'ab').hexdigest(),
                                         'sha512')
    chunks, check = expected.hashing(iter([b'a', b'b']))
    assert list(chunks) == [b'a', b'b']
    check()
    chunks, check = expected.hashing(iter([b'a', b'c']))
    list(chunks)
    with pytest.raises(web_download.DownloadFailed, match='expected hash'):
        check()


def test_credentials_never_appear_in_messages():
    assert web_download._redact('http://user:secret@host:8080/x') == 'http://host:8080/x'
    assert web_download._redact('http://host/x') == 'http://host/x'
