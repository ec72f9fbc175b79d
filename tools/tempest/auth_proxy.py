"""keystonemiddleware's auth_token in front of a glance-api that runs with noauth.

    python auth_proxy.py --listen PORT --upstream URL --config-file glance-api.conf

For tools/run-tempest's ``--auth proxy`` mode, until glance-api validates tokens itself: this
proxy validates each request's token with Keystone (the ``[keystone_authtoken]`` section of
the given file, the same one glance-api will read) and forwards the request with the identity
headers auth_token sets (X-Project-Id, X-User-Id, X-Roles ...), which is exactly what
glance-api's noauth mode reads. Requests without a valid token get auth_token's 401.
Test use only: runs in the project venv (werkzeug, keystonemiddleware).
"""

import argparse
import configparser
import http.client
from urllib import parse

from keystonemiddleware import auth_token
from werkzeug import serving

# Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own business, never forwarded.
HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te',
              'trailer', 'upgrade'}
CHUNK = 64 * 1024
TIMEOUT = 120


def _request_headers(environ):
    headers = {}
    for key, value in environ.items():
        # auth_token blanks the identity headers a caller sent by setting them to None.
        if key.startswith('HTTP_') and value is not None:
            name = key[5:].replace('_', '-').title()
            if name.lower() not in HOP_BY_HOP | {'host'}:
                headers[name] = value
    for key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        if environ.get(key):
            headers[key.replace('_', '-').title()] = environ[key]
    return headers


def _read_body(environ):
    """The whole request body, or None; tempest's bodies are small.

    Only a Content-Length or a chunked body (werkzeug decodes it and marks the stream
    terminated) says where a body ends; without either there is none, and reading would
    wait for the client to hang up.
    """
    if environ.get('wsgi.input_terminated'):
        return environ['wsgi.input'].read()
    length = int(environ.get('CONTENT_LENGTH') or 0)
    return environ['wsgi.input'].read(length) if length else None


def forwarder(upstream):
    target = parse.urlsplit(upstream)

    def app(environ, start_response):
        path = parse.quote(environ.get('PATH_INFO', '')) or '/'
        if environ.get('QUERY_STRING'):
            path += '?' + environ['QUERY_STRING']
        headers = _request_headers(environ)
        body = _read_body(environ)
        if body is not None:
            headers['Content-Length'] = str(len(body))
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=TIMEOUT)
        conn.request(environ['REQUEST_METHOD'], path, body=body, headers=headers)
        response = conn.getresponse()
        start_response(f'{response.status} {response.reason}',
                       [(k, v) for k, v in response.getheaders()
                        if k.lower() not in HOP_BY_HOP])

        def stream():
            try:
                while chunk := response.read(CHUNK):
                    yield chunk
            finally:
                conn.close()
        return stream()

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--listen', type=int, required=True)
    parser.add_argument('--upstream', required=True)
    parser.add_argument('--config-file', required=True)
    args = parser.parse_args()
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(args.config_file)
    conf = dict(ini['keystone_authtoken'])
    conf['log_name'] = 'auth_proxy'
    forward = forwarder(args.upstream)
    authenticated = auth_token.AuthProtocol(forward, conf)

    def app(environ, start_response):
        # As upstream: the version documents answer without a token.
        if environ.get('PATH_INFO', '/').rstrip('/') in ('', '/versions'):
            return forward(environ, start_response)
        return authenticated(environ, start_response)

    serving.run_simple('127.0.0.1', args.listen, app, threaded=True)


if __name__ == '__main__':
    main()
