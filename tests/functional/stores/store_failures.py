"""The failure paths that test_s3_service.py and test_swift_service.py both walk: a
glance-api that refuses to start, a first upload the store refuses, a store's server
stopped while an image's bytes flow into it."""

import os
import threading
import time

import requests

from tests.functional import daemons

MIB = 1024 * 1024


def start_refused(tmp_path, name, options):
    """glance-api's stderr, once it has refused to start with ``options``."""
    service = daemons.GlanceService(tmp_path / 'service', 'sqlite://', name=name,
                                    extra_api_options=options)
    result = daemons.subprocess.run(
        [daemons.console_script('glance-api'), '--config-file', service.api_conf()],
        capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    return result.stderr


def first_upload_refused(api):
    """(image, error message) of a new image whose upload the store refused (503); the
    image is back to queued."""
    image = api.create_ok(name='x')
    answer = api.upload(image['id'], b'data')
    assert answer.status_code == 503
    assert api.show(image['id']).json()['status'] == 'queued'
    return image, answer.json()['error']['message']


def upload_cut_by_a_stop(api, image_id, *, chunks, slow_after, written, stop, join_seconds):
    """Upload ``chunks`` half-MiB chunks to ``image_id``, slowly once ``slow_after`` are
    sent; once ``written()`` says the store holds part of them, ``stop()`` its server.
    Asserts the upload failed (a 5xx or a cut connection) and the image went back to
    queued."""
    slow = threading.Event()

    def body():
        for n in range(chunks):
            yield os.urandom(MIB // 2)
            if n >= slow_after:
                slow.set()
                time.sleep(0.2)

    answers = []
    upload = threading.Thread(target=lambda: answers.append(
        _upload_ignoring_cut(api, image_id, body())))
    upload.start()
    assert slow.wait(60)
    deadline = time.monotonic() + 30
    while not written():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stop()
    upload.join(join_seconds)
    assert not upload.is_alive()
    assert answers[0] is None or answers[0] >= 500
    deadline = time.monotonic() + 60
    while api.show(image_id).json()['status'] != 'queued':
        assert time.monotonic() < deadline
        time.sleep(0.5)


def _upload_ignoring_cut(api, image_id, body):
    try:
        return api.upload(image_id, body).status_code
    except requests.RequestException:
        return None
