"""Image locations in their own table, with the store that holds the data (RPC 1.9), and
the migration that moved the images.location column there (and back on downgrade)."""

import pytest
import sqlalchemy as sa

from common import exceptions
from registry_service import actions
from registry_service import images
from registry_service import locations
from registry_service import scrubbing
from registry_service import uploads
from registry_service.db import migration
from registry_service.db import models
from tests.unit.registry.helpers import ready_image


def _active(db, ctxt, location='file:///data/x', store_id='fast'):
    image = ready_image(db, ctxt)
    uploads.begin(db, ctxt, image['id'], 60)
    return uploads.finish(db, ctxt, image['id'], location, 3, 'c' * 32, 'sha512', 'h',
                          store_id=store_id)


def _rows(db, image_id):
    with db.read() as session:
        return [(r.url, r.store_id, r.status, r.deleted) for r in session.execute(
            sa.select(models.ImageLocation).where(models.ImageLocation.image_id == image_id)
            .order_by(models.ImageLocation.id)).scalars()]


def test_finish_upload_records_the_location_with_its_store(db, alice):
    image = _active(db, alice)
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'active', False)]
    got = images.get(db, alice, image['id'], internal=True)
    assert (got['location'], got['store_id'], got['stores']) == ('file:///data/x', 'fast',
                                                                 ['fast'])
    # Not in the user's image dict.
    assert 'location' not in images.get(db, alice, image['id'])


def test_an_older_api_leaves_the_store_unknown(db, alice):
    image = _active(db, alice, store_id=None)
    got = images.get(db, alice, image['id'], internal=True)
    assert (got['location'], got['store_id'], got['stores']) == ('file:///data/x', None, [])


def test_delete_marks_the_location_deleted(db, alice):
    image = _active(db, alice)
    before = images.delete(db, alice, image['id'])
    assert (before['location'], before['store_id']) == ('file:///data/x', 'fast')
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'deleted', True)]


def test_delayed_delete_scrub_and_restore_follow_the_image(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'pending_delete', False)]
    scrubbing.restore(db, admin, image['id'])
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'active', False)]
    images.delete(db, alice, image['id'], delayed=True)
    [entry] = scrubbing.claim(db, admin, 0, 10, 60)
    assert (entry['location'], entry['store_id']) == ('file:///data/x', 'fast')
    scrubbing.finish(db, admin, entry['id'])
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'deleted', True)]


def test_the_migration_moves_the_column_into_the_table_and_back(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'glance.sqlite')
    migration.upgrade(url, '0006')
    engine = sa.create_engine(url)
    now = '2026-12-01 10:00:00.000000'
    with engine.begin() as connection:
        for image_id, status, deleted, location in (
                ('a', 'active', False, 'file:///d/a'), ('b', 'pending_delete', True,
                                                        'file:///d/b'),
                ('c', 'deleted', True, 'file:///d/c'), ('d', 'queued', False, None)):
            connection.execute(sa.text(
                "INSERT INTO images (id, status, visibility, protected, os_hidden, min_ram, "
                "min_disk, created_at, updated_at, deleted, location) VALUES (:id, :status, "
                "'private', 0, 0, 0, 0, :now, :now, :deleted, :location)"),
                {'id': image_id, 'status': status, 'now': now, 'deleted': deleted,
                 'location': location})
    migration.upgrade(url, '0007')
    with engine.connect() as connection:
        assert 'location' not in [c['name'] for c in sa.inspect(connection)
                                  .get_columns('images')]
        rows = connection.execute(sa.text(
            'SELECT image_id, url, store_id, status, deleted FROM image_locations '
            'ORDER BY image_id')).all()
    assert [tuple(r) for r in rows] == [('a', 'file:///d/a', None, 'active', False),
                                        ('b', 'file:///d/b', None, 'pending_delete', True),
                                        ('c', 'file:///d/c', None, 'deleted', True)]
    assert migration.dropped_by_downgrade(url, '0006') == {'image_locations': None}
    migration.downgrade(url, '0006')
    with engine.connect() as connection:
        back = connection.execute(sa.text('SELECT id, location FROM images ORDER BY id'))
        assert [tuple(r) for r in back] == [('a', 'file:///d/a'), ('b', 'file:///d/b'),
                                            ('c', 'file:///d/c'), ('d', None)]
    engine.dispose()


def test_current_prefers_a_live_location(db, alice):
    image = _active(db, alice)
    with db.write() as session:
        locations.mark(session, image['id'], locations.DELETED)
        locations.add(session, image['id'], 'file:///data/y', 'cold')
    with db.read() as session:
        assert locations.current(session, image['id']).url == 'file:///data/y'
        assert locations.stores_of(session, [image['id']]) == {image['id']: ['cold']}


def test_every_image_dict_carries_its_stores(db, alice):
    image = _active(db, alice)
    assert image['stores'] == ['fast']
    with db.write() as session:
        locations.add(session, image['id'], 'file:///cold/x', 'cold')
    assert images.get(db, alice, image['id'])['stores'] == ['fast', 'cold']
    assert ready_image(db, alice)['stores'] == []


def test_removing_one_store_keeps_the_other_copy(db, alice, bob):
    image = _active(db, alice)
    with db.write() as session:
        locations.add(session, image['id'], 'file:///cold/x', 'cold')
    with pytest.raises(exceptions.NotFound):
        images.delete_location(db, alice, image['id'], 'web')
    with pytest.raises(exceptions.ImageNotFound):
        images.delete_location(db, bob, image['id'], 'fast')
    left = images.delete_location(db, alice, image['id'], 'fast')
    assert (left['location'], left['store_id'], left['stores']) == ('file:///data/x', 'fast',
                                                                    ['cold'])
    assert _rows(db, image['id']) == [('file:///data/x', 'fast', 'deleted', True),
                                      ('file:///cold/x', 'cold', 'active', False)]
    got = images.get(db, alice, image['id'], internal=True)
    assert (got['location'], got['store_id']) == ('file:///cold/x', 'cold')
    # The last one stays: delete the image instead.
    with pytest.raises(exceptions.Forbidden) as caught:
        images.delete_location(db, alice, image['id'], 'cold')
    assert 'only store' in str(caught.value)


def test_only_an_active_image_loses_a_store(db, alice):
    image = _active(db, alice)
    with db.write() as session:
        locations.add(session, image['id'], 'file:///cold/x', 'cold')
    actions.deactivate(db, alice, image['id'])
    with pytest.raises(exceptions.Conflict):
        images.delete_location(db, alice, image['id'], 'cold')


def test_a_delete_answers_every_copy_and_queues_each_when_delayed(db, alice, admin):
    image = _active(db, alice)
    with db.write() as session:
        locations.add(session, image['id'], 'file:///cold/x', 'cold')
    before = images.delete(db, alice, image['id'], delayed=True)
    assert before['locations'] == [{'url': 'file:///data/x', 'store_id': 'fast'},
                                   {'url': 'file:///cold/x', 'store_id': 'cold'}]
    claimed = scrubbing.claim(db, admin, 0, 10, 60)
    assert sorted((c['location'], c['store_id']) for c in claimed) == [
        ('file:///cold/x', 'cold'), ('file:///data/x', 'fast')]


def test_data_left_of_any_copy_is_queued(db, alice, admin):
    image = _active(db, alice)
    with db.write() as session:
        locations.add(session, image['id'], 'file:///cold/x', 'cold')
    images.delete(db, alice, image['id'])
    for url in ('file:///data/x', 'file:///cold/x'):
        scrubbing.record_left(db, alice, image['id'], url, 'down')
    with pytest.raises(exceptions.Invalid):
        scrubbing.record_left(db, alice, image['id'], 'file:///elsewhere', 'down')
    assert len(scrubbing.claim(db, admin, 0, 10, 60)) == 2


# -- a location import's lock (RPC 1.14) -------------------------------------------------------

def _importing(db, ctxt, task_id):
    from registry_service import tasks
    image = ready_image(db, ctxt)
    task = tasks.create(db, ctxt, {'id': task_id, 'type': 'location_import', 'input': {},
                                   'image_id': image['id']})
    got = locations.set_all(db, ctxt, image['id'], expected=[],
                            locations=[{'url': 'http://web/x', 'metadata': {},
                                        'store_id': 'http'}],
                            values={'size': 3}, statuses=['queued'], status='importing',
                            import_task=task['id'])
    return got, task


def test_a_location_import_holds_the_image_until_its_hash_is_done(db, alice):
    image, task = _importing(db, alice, 'task-1')
    assert image['status'] == 'importing'
    assert image['properties']['os_glance_import_task'] == 'task-1'
    # Another task may not finish it, nor take it.
    with pytest.raises(exceptions.Conflict):
        locations.set_all(db, alice, image['id'], statuses=['importing'], status='active',
                          import_task='task-2')
    done = locations.set_all(db, alice, image['id'], statuses=['importing'],
                             status='active', values={'checksum': 'c' * 32},
                             import_task='task-1')
    assert done['status'] == 'active' and 'os_glance_import_task' not in done['properties']


def test_the_sweep_queues_the_image_of_a_dead_location_import(db, alice):
    import datetime

    from registry_service import tasks
    from registry_service.db.types import utcnow
    image, task = _importing(db, alice, 'task-1')
    tasks.claim(db, alice, task['id'], 'worker-1', 30)
    swept = tasks.sweep(db, now=utcnow() + datetime.timedelta(seconds=60))
    assert swept['failed'][0]['image_released'] is True
    after = images.get(db, alice, image['id'])
    assert after['status'] == 'queued' and after['properties'] == {}
    assert (after['checksum'], after['os_hash_value']) == (None, None)
    assert tasks.get(db, alice, task['id'])['status'] == 'failure'
    # The worker's late answer no longer lands: the image is not its any more.
    with pytest.raises(exceptions.Conflict):
        locations.set_all(db, alice, image['id'], statuses=['importing', 'queued'],
                          status='active', import_task='task-1')
