"""Delayed delete, the queue of data to remove, scrubber claims and restore, on SQLite."""

import datetime
import threading

import pytest
import sqlalchemy as sa

from common import exceptions
from common import list_query
from registry_service import images
from registry_service import listing
from registry_service import locations
from registry_service import scrubbing
from registry_service import uploads
from registry_service.db import models
from tests.unit.registry.helpers import ready_image


def _active(db, ctxt, location='file:///data/x'):
    image = ready_image(db, ctxt)
    uploads.begin(db, ctxt, image['id'], 60)
    return uploads.finish(db, ctxt, image['id'], location, 3, 'c' * 32, 'sha512', 'h')


def _queue(db):
    with db.read() as session:
        return session.execute(sa.select(models.ImageDataDeletion)
                               .order_by(models.ImageDataDeletion.id)).scalars().all()


def _row(db, image_id):
    with db.read() as session:
        return session.get(models.Image, image_id)


def _age(db, image_id, seconds):
    with db.write() as session:
        row = session.get(models.Image, image_id)
        row.deleted_at = row.deleted_at - datetime.timedelta(seconds=seconds)


def test_delayed_delete_keeps_the_data_queued_and_hides_the_image(db, alice):
    image = _active(db, alice)
    before = images.delete(db, alice, image['id'], delayed=True)
    assert before['location'] == 'file:///data/x' and before['data_queued'] is True
    row = _row(db, image['id'])
    assert (row.status, row.deleted) == ('pending_delete', True)
    with db.read() as session:
        where = locations.current(session, image['id'])
        assert (where.url, where.status, where.deleted) == ('file:///data/x',
                                                            'pending_delete', False)
    assert [(q.image_id, q.location, q.attempts) for q in _queue(db)] == [
        (image['id'], 'file:///data/x', 0)]
    with pytest.raises(exceptions.ImageNotFound):
        images.get(db, alice, image['id'])
    assert listing.list_images(db, alice, list_query.ListQuery.from_dict({})) == []


def test_delete_without_delayed_or_without_data_is_immediate(db, alice):
    image = _active(db, alice)
    assert 'data_queued' not in images.delete(db, alice, image['id'])
    queued = ready_image(db, alice)
    assert 'data_queued' not in images.delete(db, alice, queued['id'], delayed=True)
    assert _row(db, queued['id']).status == 'deleted'
    assert _queue(db) == []


def test_claim_respects_scrub_time_and_is_admin_only(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    with pytest.raises(exceptions.Forbidden):
        scrubbing.claim(db, alice, 0, 10, 60)
    assert scrubbing.claim(db, admin, 3600, 10, 60) == []
    _age(db, image['id'], 7200)
    claimed = scrubbing.claim(db, admin, 3600, 10, 60)
    assert [(c['image_id'], c['location'], c['image_status']) for c in claimed] == [
        (image['id'], 'file:///data/x', 'pending_delete')]
    # Held: nobody else gets it until the claim passes.
    assert scrubbing.claim(db, admin, 0, 10, 60) == []
    with db.write() as session:
        session.execute(sa.update(models.ImageDataDeletion).values(
            claimed_until=datetime.datetime(2000, 1, 1)))
    assert len(scrubbing.claim(db, admin, 0, 10, 60)) == 1


def test_finish_marks_the_image_deleted_and_a_second_finish_is_harmless(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    [claimed] = scrubbing.claim(db, admin, 0, 10, 60)
    assert scrubbing.finish(db, admin, claimed['id']) == {
        'image_id': image['id'], 'image_status': 'deleted', 'done': True}
    assert _row(db, image['id']).status == 'deleted' and _queue(db) == []
    assert scrubbing.finish(db, admin, claimed['id'])['done'] is True


def test_a_failure_keeps_the_entry_with_its_reason_for_the_next_run(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    [claimed] = scrubbing.claim(db, admin, 0, 10, 60)
    result = scrubbing.finish(db, admin, claimed['id'], error='store down')
    assert result == {'image_id': image['id'], 'image_status': 'pending_delete',
                      'done': False}
    [entry] = _queue(db)
    assert (entry.attempts, entry.last_error, entry.claimed_until) == (1, 'store down', None)
    [again] = scrubbing.claim(db, admin, 0, 10, 60)
    assert again['attempts'] == 1


def test_data_left_by_an_immediate_delete_is_queued_and_retried(db, alice, bob, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        scrubbing.record_left(db, bob, image['id'], 'file:///data/x', 'down')
    with pytest.raises(exceptions.Invalid):
        scrubbing.record_left(db, alice, image['id'], 'file:///elsewhere', 'down')
    scrubbing.record_left(db, alice, image['id'], 'file:///data/x', 'store down')
    scrubbing.record_left(db, alice, image['id'], 'file:///data/x', 'store down')
    [entry] = _queue(db)
    assert (entry.attempts, entry.last_error) == (1, 'store down')
    # Due at once, whatever scrub_time says: the user asked for it to go long ago.
    [claimed] = scrubbing.claim(db, admin, 3600, 10, 60)
    assert claimed['image_status'] == 'deleted'
    assert scrubbing.finish(db, admin, claimed['id'])['image_status'] == 'deleted'
    assert _queue(db) == []


def test_record_left_refuses_an_image_that_is_not_deleted(db, alice):
    image = _active(db, alice)
    with pytest.raises(exceptions.ImageNotFound):
        scrubbing.record_left(db, alice, image['id'], 'file:///data/x', 'down')


def test_restore_brings_a_pending_delete_image_back(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    with pytest.raises(exceptions.Forbidden):
        scrubbing.restore(db, alice, image['id'])
    restored = scrubbing.restore(db, admin, image['id'])
    assert restored['status'] == 'active' and restored['deleted'] is False
    assert images.get(db, alice, image['id'])['status'] == 'active'
    assert _queue(db) == []
    with pytest.raises(exceptions.InvalidStatusTransition):
        scrubbing.restore(db, admin, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        scrubbing.restore(db, admin, '00000000-0000-0000-0000-000000000000')


def test_restore_is_refused_while_a_scrubber_holds_the_data(db, alice, admin):
    image = _active(db, alice)
    images.delete(db, alice, image['id'], delayed=True)
    scrubbing.claim(db, admin, 0, 10, 60)
    with pytest.raises(exceptions.Conflict):
        scrubbing.restore(db, admin, image['id'])
    assert _row(db, image['id']).status == 'pending_delete'


def test_concurrent_claims_never_share_an_entry(db, alice, admin):
    for n in range(12):
        image = _active(db, alice, location='file:///data/%d' % n)
        images.delete(db, alice, image['id'], delayed=True)
    results, barrier = [], threading.Barrier(4)

    def scrubber():
        barrier.wait()
        got = []
        while batch := scrubbing.claim(db, admin, 0, 2, 60):
            got.extend(c['id'] for c in batch)
        results.append(got)

    threads = [threading.Thread(target=scrubber) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [entry for got in results for entry in got]
    assert len(claimed) == len(set(claimed)) == 12


def test_claims_hand_out_entries_that_never_failed_first(db, alice, admin):
    first = _active(db, alice, location='file:///data/first')
    second = _active(db, alice, location='file:///data/second')
    for image in (first, second):
        images.delete(db, alice, image['id'], delayed=True)
    [older] = scrubbing.claim(db, admin, 0, 1, 60)
    assert older['image_id'] == first['id']
    scrubbing.finish(db, admin, older['id'], error='store down')
    # The failed one is free again, but the one never tried comes first.
    assert [c['image_id'] for c in scrubbing.claim(db, admin, 0, 2, 60)] == [
        second['id'], first['id']]
