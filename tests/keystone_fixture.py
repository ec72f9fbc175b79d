"""A real Keystone for the whole test session (tools/keystone.py does the work).

Use it from a conftest.py::

    from tests.keystone_fixture import keystone  # noqa: F401  (the fixture)

``keystone`` is the running ``tools/keystone.py`` Keystone object: ``keystone.info`` is the
JSON description (auth_url, users with passwords and projects, role and project ids ...)
and ``keystone.set_image_url(url)`` points the catalog's image endpoints at a glance-api
started later. Tests that use it are skipped ONLY when Keystone cannot be installed; any
other failure to start it is an error.
"""

import importlib.util
import pathlib
import sys

import pytest

_TOOL = pathlib.Path(__file__).resolve().parent.parent / 'tools' / 'keystone.py'
# Until a glance-api is started and registered with set_image_url().
PLACEHOLDER_IMAGE_URL = 'http://127.0.0.1:9292'


def load_tool():
    """tools/keystone.py as a module (tools/ is not a package)."""
    name = 'glimpse_tools_keystone'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _TOOL)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    tool = load_tool()
    try:
        tool.ensure_venv(log=lambda message: None)
    except tool.KeystoneInstallError as exc:
        pytest.skip(f'Keystone cannot be installed in {tool.DEFAULT_VENV}: {exc}')
    running = tool.up(tmp_path_factory.mktemp('keystone'), PLACEHOLDER_IMAGE_URL,
                      log=lambda message: None)
    try:
        yield running
    finally:
        running.stop()
