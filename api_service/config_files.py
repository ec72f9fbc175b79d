"""Loading glance-api's configuration (files, command line) into a private ConfigOpts."""

import os

from oslo_config import cfg
from oslo_log import log as logging

from api_service import config

PROJECT = 'glance'
PROG = 'glance-api'
DEFAULT_CONFIG_DIR = '/etc/glance'


def default_config_files():
    """$GLANCE_API_CONFIG_FILE, else $OS_GLANCE_CONFIG_DIR/glance-api.conf if it exists."""
    explicit = os.environ.get('GLANCE_API_CONFIG_FILE')
    if explicit:
        return [explicit]
    path = os.path.join(os.environ.get('OS_GLANCE_CONFIG_DIR', DEFAULT_CONFIG_DIR),
                        'glance-api.conf')
    return [path] if os.path.exists(path) else []


def load(argv=()):
    """Parse ``argv`` (--config-file, --config-dir ...) and set up oslo.log."""
    conf = cfg.ConfigOpts()
    config.register_opts(conf)
    conf(list(argv), project=PROJECT, prog=PROG,
         default_config_files=default_config_files())
    logging.setup(conf, PROG)
    return conf
