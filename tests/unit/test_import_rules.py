"""The dependency direction api_service -> common <- registry_service holds (and
scrubber_service, data-side, never reaches the registry's code).

Two independent checks: import-linter with the contracts in `.importlinter`, and an AST walk
over every source file here, so a broken or too lenient import-linter setup cannot hide a
violation. Both are shown to catch a synthetic violation.
"""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINT_IMPORTS = pathlib.Path(sys.executable).parent / 'lint-imports'

# package -> top-level modules it must never import.
FORBIDDEN = {
    'api_service': {'registry_service', 'scrubber_service', 'sqlalchemy', 'alembic'},
    'registry_service': {'api_service', 'scrubber_service', 'flask'},
    'common': {'flask', 'sqlalchemy', 'alembic', 'api_service', 'registry_service',
               'scrubber_service'},
    # Data-side like glance-api: the registry over RPC, the stores through api_service.
    'scrubber_service': {'registry_service', 'flask', 'werkzeug', 'sqlalchemy', 'alembic'},
}


def _common_may_import(top):
    # common is shared by both daemons: the standard library and oslo.* only.
    return top == 'common' or top.startswith('oslo_') or top in sys.stdlib_module_names


ALLOWED = {'common': _common_may_import}


def _module_name(path, root):
    parts = list(path.relative_to(root).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _imported_names(path, root):
    """Yield (line, absolute module name) for every import in one file, wherever it sits."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _module_name(path, root)
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - (node.level - 1)]
                yield node.lineno, '.'.join(base + ([node.module] if node.module else []))
            else:
                yield node.lineno, node.module
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and _is_dynamic_import(node.func)):
            yield node.lineno, node.args[0].value


def _is_dynamic_import(func):
    if isinstance(func, ast.Name):
        return func.id in ('__import__', 'import_module')
    return isinstance(func, ast.Attribute) and func.attr == 'import_module'


def find_violations(package, root):
    """Every forbidden import in `package` under `root`, as 'path:line imports name'."""
    violations = []
    allowed = ALLOWED.get(package)
    for path in sorted((root / package).rglob('*.py')):
        for line, name in sorted(_imported_names(path, root)):
            top = name.split('.')[0]
            if top in FORBIDDEN[package] or (allowed and not allowed(top)):
                violations.append(f'{path.relative_to(root)}:{line} imports {name}')
    return violations


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_package_source_has_no_forbidden_import(package):
    assert (ROOT / package).is_dir()
    assert find_violations(package, ROOT) == []


def test_import_linter_contracts_are_kept():
    result = subprocess.run([str(LINT_IMPORTS), '--config', str(ROOT / '.importlinter')],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Contracts: 5 kept, 0 broken.' in result.stdout, result.stdout


def _write_tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _synthetic_violations(root):
    _write_tree(root, {
        'common/__init__.py': '',
        'common/ok.py': 'import os\nimport oslo_config.cfg\nfrom . import other\n',
        'common/other.py': '',
        'common/bad.py': (
            'import importlib\n'
            'from sqlalchemy import orm\n'
            'def late():\n'
            '    import flask\n'
            '    return importlib.import_module("registry_service.db")\n'
            'import requests\n'
        ),
        'api_service/__init__.py': '',
        'api_service/views/__init__.py': 'from ...registry_service import db\n',
        'registry_service/__init__.py': '',
        'registry_service/db.py': 'from api_service import views\n',
    })


def test_ast_checker_catches_synthetic_violations(tmp_path):
    _synthetic_violations(tmp_path)

    assert find_violations('common', tmp_path) == [
        'common/bad.py:2 imports sqlalchemy',
        'common/bad.py:4 imports flask',
        'common/bad.py:5 imports registry_service.db',
        'common/bad.py:6 imports requests',
    ]
    assert find_violations('api_service', tmp_path) == [
        'api_service/views/__init__.py:1 imports registry_service',
    ]
    assert find_violations('registry_service', tmp_path) == [
        'registry_service/db.py:1 imports api_service',
    ]


def test_import_linter_catches_synthetic_violations(tmp_path):
    _write_tree(tmp_path, {
        'common/__init__.py': '',
        'api_service/__init__.py': 'import registry_service\n',
        'api_service/services/__init__.py': 'from werkzeug import exceptions\n',
        'api_service/stores/__init__.py': '',
        'registry_service/__init__.py': 'def late():\n    import flask\n',
        'scrubber_service/__init__.py': '',
    })
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([str(LINT_IMPORTS), '--config', str(ROOT / '.importlinter')],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, result.stdout
    assert 'Contracts: 2 kept, 3 broken.' in result.stdout, result.stdout
    assert 'api_service -> registry_service' in result.stdout
    assert 'registry_service -> flask' in result.stdout
    assert 'api_service.services -> werkzeug' in result.stdout
