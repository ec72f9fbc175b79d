"""The image properties an operator documents in schema-image.json, served in the image
schemas beside the base attributes.

python-glanceclient builds its command-line options and type checks from GET
/v2/schemas/image, so upstream ships etc/schema-image.json with the properties clouds use
(architecture, os_distro, kernel_id, the cinder_* ones ...). Glimpse ships its own with the
same names and types: the first schema-image.json oslo.config finds next to glance-api.conf
(/etc/glance, --config-dir ...) wins, else the copy packaged with glance-api. As upstream,
the file holds either {name: property schema, ...} or {"properties": {...}}; those
properties are typed in the schema (so values are checked against them) and marked
"is_base": false. They remain extra properties: stored and listed as any other.
"""

import copy
import json
import logging
import os

from api_service import exceptions

LOG = logging.getLogger(__name__)

FILENAME = 'schema-image.json'
PACKAGED = os.path.join(os.path.dirname(os.path.abspath(__file__)), FILENAME)


def path(conf):
    return conf.find_file(FILENAME) or PACKAGED


def load(conf, base_names=()):
    """{name: property schema} from schema-image.json; ConfigurationError if it is broken.

    Names of base attributes are left out (the base attribute wins), with a warning.
    """
    source = path(conf)
    try:
        with open(source) as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise exceptions.ConfigurationError('%s cannot be read as JSON: %s'
                                            % (source, exc)) from exc
    if isinstance(data, dict) and isinstance(data.get('properties'), dict):
        data = data['properties']
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise exceptions.ConfigurationError(
            '%s must map property names to JSON Schema objects' % source)
    properties = {}
    for name, prop in data.items():
        if name in base_names:
            LOG.warning('%s: "%s" is a base image attribute; its definition there is '
                        'ignored', source, name)
            continue
        prop = copy.deepcopy(prop)
        prop['is_base'] = False
        properties[name] = prop
    return properties
