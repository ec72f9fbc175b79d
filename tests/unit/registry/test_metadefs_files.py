"""glance-manage db load_metadefs / unload_metadefs / export_metadefs: upstream's file
format both ways, the merge options, and a round trip that gives back the same catalog."""

import json
import pathlib

import pytest

from api_service.http import metadef_schemas
from common import exceptions
from registry_service import manage
from registry_service import metadefs
from registry_service import metadefs_files

ROOT = pathlib.Path(__file__).resolve().parents[3]
SHIPPED = ROOT / 'etc' / 'metadefs'


def write(path, document):
    path.write_text(json.dumps(document), encoding='utf-8')
    return path


NS = {'namespace': 'Test::One', 'display_name': 'One', 'description': 'd',
      'visibility': 'public', 'protected': True,
      'resource_type_associations': [{'name': 'OS::Glance::Image', 'prefix': 'hw_'},
                                     {'name': 'Brand::New'}],
      'properties': {'p': {'title': 'P', 'type': 'string', 'enum': ['a', 'b']}},
      'objects': [{'name': 'O', 'description': 'o', 'required': ['x'],
                   'properties': {'x': {'title': 'X', 'type': 'integer'}}}],
      'tags': [{'name': 't1'}, {'name': 't2'}]}


def catalog(db, admin):
    found = []
    for item in metadefs.list_namespaces(db, admin, {'sort_key': 'namespace',
                                                     'sort_dir': 'asc'}):
        full = metadefs.get_namespace(db, admin, item['namespace'])
        for key in ('created_at', 'updated_at'):
            full.pop(key)
        for group in ('resource_type_associations', 'objects', 'tags'):
            for entry in full[group]:
                entry.pop('created_at'), entry.pop('updated_at')
        found.append(full)
    return found


@pytest.mark.parametrize('path', sorted(SHIPPED.glob('*.json')), ids=lambda p: p.name)
def test_the_shipped_definitions_follow_the_namespace_schema(path):
    metadef_schemas.validate('namespace', json.loads(path.read_text(encoding='utf-8')))


def test_load_export_unload_round_trip(db, admin, tmp_path):
    source = tmp_path / 'in'
    source.mkdir()
    write(source / 'one.json', NS)
    write(source / 'broken.json', {'no': 'namespace'})
    results = metadefs_files.load(db, str(source))
    assert [(ns, outcome.split(':')[0]) for _, ns, outcome in results] == [
        (None, 'unreadable'), ('Test::One', 'loaded')]
    for path in SHIPPED.glob('*.json'):
        metadefs_files.load(db, str(path))
    before = catalog(db, admin)
    assert before[-1]['owner'] == 'admin'
    assert len(before) == 1 + len(list(SHIPPED.glob('*.json')))
    exported = metadefs_files.export(db, str(tmp_path / 'out'))
    assert len(exported) == len(before)
    assert metadefs_files.unload(db) == len(before)
    assert catalog(db, admin) == []
    # The seeded resource types stay; the one made by an association went.
    names = [rt['name'] for rt in metadefs.list_resource_types(db, admin)]
    assert 'OS::Glance::Image' in names and 'Brand::New' not in names
    metadefs_files.load(db, str(tmp_path / 'out'))
    assert catalog(db, admin) == before


def test_an_existing_namespace_is_skipped_merged_or_overwritten(db, admin, tmp_path):
    write(tmp_path / 'one.json', NS)
    metadefs_files.load(db, str(tmp_path))
    changed = dict(NS, description='new', properties={
        'p': {'title': 'P2', 'type': 'string'}, 'q': {'title': 'Q', 'type': 'string'}},
        objects=[], tags=[{'name': 't3'}])
    write(tmp_path / 'one.json', changed)

    assert metadefs_files.load(db, str(tmp_path))[0][2] == 'skipped'
    assert metadefs.get_namespace(db, admin, 'Test::One')['description'] == 'd'

    assert metadefs_files.load(db, str(tmp_path), merge=True)[0][2] == 'merged'
    merged = metadefs.get_namespace(db, admin, 'Test::One')
    assert merged['description'] == 'd' and merged['properties']['p']['title'] == 'P'
    assert set(merged['properties']) == {'p', 'q'}
    assert [t['name'] for t in merged['tags']] == ['t1', 't2', 't3']

    metadefs_files.load(db, str(tmp_path), merge=True, prefer_new=True)
    newer = metadefs.get_namespace(db, admin, 'Test::One')
    assert newer['description'] == 'new' and newer['properties']['p']['title'] == 'P2'
    assert len(newer['objects']) == 1

    assert metadefs_files.load(db, str(tmp_path), merge=True,
                               overwrite=True)[0][2] == 'overwritten'
    replaced = metadefs.get_namespace(db, admin, 'Test::One')
    assert replaced['objects'] == [] and [t['name'] for t in replaced['tags']] == ['t3']


@pytest.mark.parametrize('options', [{'prefer_new': True}, {'overwrite': True},
                                     {'merge': True, 'prefer_new': True, 'overwrite': True}])
def test_option_combinations_upstream_refuses(db, tmp_path, options):
    with pytest.raises(exceptions.Invalid):
        metadefs_files.load(db, str(tmp_path), **options)


def test_glance_manage_commands(conf, tmp_path, capsys):
    config = tmp_path / 'glance-registry.conf'
    config.write_text('[database]\nconnection = %s\n' % conf.database.connection)
    args = ['--config-file', str(config), 'db']
    assert manage.main(args + ['load_metadefs', '--path', str(SHIPPED)]) == 0
    assert 'loaded: Glimpse::Compute::Hypervisor' in capsys.readouterr().out
    assert manage.main(args + ['export_metadefs', '--path', str(tmp_path / 'x')]) == 0
    assert len(list((tmp_path / 'x').glob('*.json'))) == len(list(SHIPPED.glob('*.json')))
    assert manage.main(args + ['load_metadefs', '--path', str(SHIPPED), '--overwrite']) == 1
    assert manage.main(args + ['unload_metadefs']) == 0
    assert 'Removed 3 metadata definition namespaces.' in capsys.readouterr().out


def test_a_downgrade_risks_the_catalog_but_not_the_seeded_resource_types(db, db_url,
                                                                          tmp_path):
    from registry_service.db import migration

    dropped = migration.dropped_by_downgrade(db_url, '0004')
    assert 'metadef_namespaces' in dropped and 'metadef_resource_types' in dropped
    assert migration.rows_at_risk(db_url, dropped) == {}
    write(tmp_path / 'one.json', NS)
    metadefs_files.load(db, str(tmp_path))
    at_risk = migration.rows_at_risk(db_url, dropped)
    # Brand::New was made by an association; the seeded types are not the operator's data.
    assert at_risk['metadef_resource_types'] == 1 and at_risk['metadef_namespaces'] == 1
