"""Real storage back ends on loopback, for the tests and for tools/glimpse-backends.

One module per server: ``swift_server`` (a real Swift: proxy, account, container and object
servers, tempauth or Keystone), ``s3_server`` (moto in server mode) and ``http_server`` (a
static file server with Range support). Each starts its server(s) as child processes on free
127.0.0.1 ports in a directory it is given, waits until they answer, describes the endpoint and
the credentials in ``info``, and stops every process it started in ``stop()``.

They live under tools/ rather than tests/ because the operator-facing command
(tools/glimpse-backends) needs them as much as the test fixtures (tests/store_backends.py)
do, and tools must not import the test suite. Import them as ``tools.backends.<name>`` with
the checkout's root on sys.path (pytest puts it there; tools/glimpse-backends does it itself).
"""
