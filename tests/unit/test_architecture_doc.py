"""docs/architecture.md stays true: every file and every `module.py:name` it names exists."""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / 'docs' / 'architecture.md'
# `api_service/services/upload.py:upload`, `.../filesystem.py:FilesystemStore.add`
REFERENCE = re.compile(r'`((?:api_service|registry_service|common|tests)/[\w/]+\.py)'
                       r'(?::([\w.]+))?`')


def _defined_names(path):
    """Top-level functions and classes, and Class.method for methods."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update('%s.%s' % (node.name, item.name) for item in node.body
                         if isinstance(item, ast.FunctionDef))
    return names


def _references():
    # A reference may be split over two lines of the document.
    text = ' '.join(DOC.read_text(encoding='utf-8').split())
    return REFERENCE.findall(text)


def test_the_document_names_code():
    assert len(_references()) > 30


def test_every_named_file_and_function_exists():
    missing = []
    for path, name in _references():
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif name and name not in _defined_names(source):
            missing.append('%s:%s' % (path, name))
    assert missing == []


# Folders whose modules the layout describes together (one module per resource or step).
LISTED_AS_FOLDER = {'views', 'middleware', 'migrations'}


def test_every_module_of_the_layout_is_listed():
    """A module added or renamed shows up here until the layout section names it."""
    layout = DOC.read_text(encoding='utf-8').split('## Layout', 1)[1].split('\n## ', 1)[0]
    unlisted = []
    for package in ('api_service', 'registry_service', 'common'):
        for source in sorted((ROOT / package).rglob('*.py')):
            relative = source.relative_to(ROOT)
            if source.name == '__init__.py' or LISTED_AS_FOLDER & set(relative.parts):
                continue
            if source.name not in layout:
                unlisted.append(str(relative))
    assert unlisted == []
