"""The WSGI side of glance-api, and its entry point: ``gunicorn api_service.wsgi:application``.

``application`` is built on first access, not when this package is imported, so that the
modules inside it can be imported without opening a message-bus connection. Configuration
comes from $GLANCE_API_CONFIG_FILE, else $OS_GLANCE_CONFIG_DIR/glance-api.conf (default
/etc/glance) when it exists. Do not preload: the app opens its message-bus connection when it
is built, which must happen in each worker after fork.
"""

import threading

_lock = threading.Lock()
_application = None


def _build():
    from api_service import config
    from api_service.http import app_parts
    from api_service.imports import staging_sweeper
    from api_service.stores import partial_sweeper
    from api_service.wsgi import app as app_module

    application = app_module.create_app(config.load())
    parts = application.extensions[app_parts.EXTENSION_KEY]
    partial_sweeper.start_all(parts.conf, parts.stores)
    staging_sweeper.start(parts.conf, parts.registry)
    return application


def __getattr__(name):
    # PEP 562: gunicorn resolves "api_service.wsgi:application" with getattr().
    global _application
    if name != 'application':
        raise AttributeError(name)
    with _lock:
        if _application is None:
            _application = _build()
    return _application
