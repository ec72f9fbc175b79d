"""The WSGI entry point: ``gunicorn api_service.wsgi:application``.

Configuration comes from $GLANCE_API_CONFIG_FILE, else $OS_GLANCE_CONFIG_DIR/glance-api.conf
(default /etc/glance) when it exists. Do not preload: the app opens its message-bus
connection when this module is imported, which must happen in each worker after fork.
"""

from api_service import app as app_module
from api_service import config_files
from api_service import runtime
from api_service.stores import partial_sweeper

application = app_module.create_app(config_files.load())
_runtime = application.extensions[runtime.EXTENSION_KEY]
partial_sweeper.start(_runtime.conf, _runtime.stores.default)
