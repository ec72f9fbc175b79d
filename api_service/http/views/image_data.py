"""PUT and GET /v2/images/{id}/file: image bytes in and out."""

import functools

import flask
from werkzeug import wsgi

from api_service import exceptions as api_exceptions
from api_service import policy
from api_service.http import app_parts
from api_service.http.views import stores
from api_service.services import download
from api_service.services import upload
from api_service.wsgi import socket_body
from common import notifications

blueprint = flask.Blueprint('image_data', __name__, url_prefix='/v2/images')

OCTET_STREAM = 'application/octet-stream'


def octet_stream_length():
    """The length of this request's octet-stream body, None when the server ends it (the
    uploads of PUT /file and PUT /stage); any other Content-Type is 415."""
    media_type = (flask.request.mimetype or '').lower()
    if media_type != OCTET_STREAM:
        raise api_exceptions.UnsupportedMediaType(
            'Content-Type must be %s, not %s.' % (OCTET_STREAM, media_type or '(none)'))
    environ = flask.request.environ
    # Read the server's input directly: with a Content-Length we count the bytes
    # ourselves; with chunked encoding the server decodes it and the body ends at EOF.
    content_length = flask.request.content_length
    chunked = 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
    if content_length is None and not chunked and not environ.get('wsgi.input_terminated'):
        content_length = 0
    return content_length


@blueprint.put('/<image_id>/file')
def put_file(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    content_length = octet_stream_length()
    environ = flask.request.environ
    # The store first, as upstream: an unknown X-Image-Meta-Store is 400 whatever the image.
    store = stores.upload_store(rt, flask.request.headers.get('x-image-meta-store'))
    policy.check_image_action(rt.policy, ctx, rt.registry.image_get(ctx, image_id=image_id),
                              'upload_image')
    expected_size = upload.expected_size_from(
        flask.request.headers.get('x-openstack-image-size'))
    events = notifications.UploadEvents(rt.notifier, image_id)
    try:
        image = upload.upload(ctx, rt.registry, store, rt.conf, image_id,
                              socket_body.reader_for(environ, content_length),
                              content_length, expected_size, on_begin=events.began)
    except Exception as exc:
        events.failed(exc)
        raise
    events.finished(image)
    return '', 204


@blueprint.get('/<image_id>/file')
def get_file(image_id):
    rt, ctx = app_parts.current(), app_parts.request_context()
    headers = flask.request.headers
    data = download.open_data(ctx, rt.registry, rt.stores, image_id,
                              authorize=lambda image: policy.check_image_action(
                                  rt.policy, ctx, image, 'download_image'),
                              range_header=headers.get('Range'),
                              content_range_header=headers.get('Content-Range'),
                              cache=rt.cache)
    if data.empty:
        return '', 204
    # wrap_file hands the file to the server's wsgi.file_wrapper, so gunicorn can use
    # sendfile() (from the file's position, for Content-Length bytes); the size was checked
    # against the registry when the file was opened. A store that hands out no file gives
    # chunks, read like a file without a descriptor (the server then iterates).
    sent = data.readable()
    if rt.notifier.enabled('image.send'):
        # image.send once the server closes the file, with the bytes it sent.
        sent = download.SentCounter(sent, data.first, functools.partial(
            rt.notifier.image_sent, data.image, bytes_due=data.length, ctxt=ctx,
            destination_ip=flask.request.remote_addr))
    body = wsgi.wrap_file(flask.request.environ, sent,
                          rt.conf.glance_store.filesystem_store_chunk_size)
    response = flask.Response(body, mimetype=OCTET_STREAM, direct_passthrough=True)
    response.content_length = data.length
    if data.partial:
        response.status_code = 206
        response.headers['Content-Range'] = data.content_range
    # The whole image's checksum, on ranged answers too (as upstream).
    if data.image.get('checksum'):
        response.headers['Content-MD5'] = data.image['checksum']
    return response
