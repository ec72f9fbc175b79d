import concurrent.futures
import datetime

import pytest

from common import exceptions
from registry_service import access
from registry_service import images
from registry_service import uploads
from registry_service.db.types import utcnow
from tests.unit.registry.helpers import new_image
from tests.unit.registry.helpers import ready_image


def parse(iso):
    return datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%S.%fZ')


def finish(db, ctxt, image_id, size=5):
    return uploads.finish(db, ctxt, image_id, 'file:///data/%s' % image_id, size, 'a' * 32,
                          'sha512', 'b' * 128)


def test_upload_happy_path(db, alice):
    image = ready_image(db, alice)
    saving = uploads.begin(db, alice, image['id'], 600)
    assert saving['status'] == 'saving'
    lease = parse(saving['upload_expires_at']) - parse(saving['updated_at'])
    assert datetime.timedelta(seconds=599) < lease <= datetime.timedelta(seconds=600)
    active = finish(db, alice, image['id'], size=5)
    assert active['status'] == 'active'
    assert (active['size'], active['checksum'], active['os_hash_algo']) == (5, 'a' * 32,
                                                                             'sha512')
    # The internal keys travel only from the calls that need them.
    assert 'location' not in active and 'upload_expires_at' not in active
    assert images.get(db, alice, image['id']) == active
    internal = images.get(db, alice, image['id'], internal=True)
    assert internal['location'] == 'file:///data/%s' % image['id']
    assert internal['upload_expires_at'] is None


def test_begin_needs_formats(db, alice):
    image = new_image(db, alice, disk_format='raw')
    with pytest.raises(exceptions.Invalid) as raised:
        uploads.begin(db, alice, image['id'], 60)
    assert str(raised.value) == ('Properties disk_format, container_format must be set '
                                 'prior to saving data.')
    assert images.get(db, alice, image['id'])['status'] == 'queued'


def test_begin_twice_is_an_invalid_transition(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.begin(db, alice, image['id'], 60)
    finish(db, alice, image['id'])
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.begin(db, alice, image['id'], 60)


def test_begin_rejects_a_bad_lease(db, alice):
    image = ready_image(db, alice)
    with pytest.raises(exceptions.Invalid):
        uploads.begin(db, alice, image['id'], 0)


def test_begin_by_other_project(db, alice, bob):
    public = ready_image(db, alice, visibility='public')
    private = ready_image(db, alice, visibility='private')
    with pytest.raises(exceptions.Forbidden):
        uploads.begin(db, bob, public['id'], 60)
    with pytest.raises(exceptions.ImageNotFound):
        uploads.begin(db, bob, private['id'], 60)


def test_finish_without_begin_is_an_invalid_transition(db, alice):
    image = ready_image(db, alice)
    with pytest.raises(exceptions.InvalidStatusTransition):
        finish(db, alice, image['id'])


def test_finish_after_delete_is_not_found(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        finish(db, alice, image['id'])


def test_abort_returns_to_queued_and_is_idempotent(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    queued = uploads.abort(db, alice, image['id'])
    assert queued['status'] == 'queued' and 'upload_expires_at' not in queued
    assert images.get(db, alice, image['id'], internal=True)['upload_expires_at'] is None
    assert uploads.abort(db, alice, image['id']) == queued
    # And the image can be uploaded again.
    assert uploads.begin(db, alice, image['id'], 60)['status'] == 'saving'


def test_abort_of_active_or_deleted_image(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    finish(db, alice, image['id'])
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.abort(db, alice, image['id'])
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        uploads.abort(db, alice, image['id'])


def test_status_swap_is_a_compare_and_swap(db, alice, monkeypatch):
    # A stale read (the row as it was before another registry began the upload) must not
    # let a second begin through: the UPDATE's status condition matches no row.
    image = ready_image(db, alice)
    real_fetch = access.fetch_changeable
    with db.read() as session:
        stale = real_fetch(session, alice, image['id'])
    uploads.begin(db, alice, image['id'], 60)
    monkeypatch.setattr(access, 'fetch_changeable', lambda session, ctxt, image_id: stale)
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.begin(db, alice, image['id'], 60)
    monkeypatch.setattr(access, 'fetch_changeable', real_fetch)
    assert images.get(db, alice, image['id'])['status'] == 'saving'


def test_concurrent_begins_have_exactly_one_winner(db, alice):
    image = ready_image(db, alice)

    def attempt(_):
        try:
            return uploads.begin(db, alice, image['id'], 60)['status']
        except exceptions.InvalidStatusTransition:
            return 'lost'

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert sorted(outcomes) == ['lost'] * 7 + ['saving']


def later(seconds):
    return utcnow() + datetime.timedelta(seconds=seconds)


def test_renew_moves_the_lease_and_keeps_the_image_saving(db, alice):
    image = ready_image(db, alice)
    first = uploads.begin(db, alice, image['id'], 60)
    renewed = uploads.renew(db, alice, image['id'], 600)
    assert renewed['status'] == 'saving'
    gained = parse(renewed['upload_expires_at']) - parse(first['upload_expires_at'])
    assert datetime.timedelta(seconds=539) < gained <= datetime.timedelta(seconds=541)
    # Internal bookkeeping, not a change the owner made.
    assert renewed['updated_at'] == first['updated_at']


def test_renew_of_an_image_not_saving_is_an_invalid_transition(db, alice):
    image = ready_image(db, alice)
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.renew(db, alice, image['id'], 60)
    uploads.begin(db, alice, image['id'], 60)
    finish(db, alice, image['id'])
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.renew(db, alice, image['id'], 60)
    assert images.get(db, alice, image['id'])['status'] == 'active'


def test_renew_of_a_deleted_or_invisible_image_is_not_found(db, alice, bob):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    with pytest.raises(exceptions.ImageNotFound):
        uploads.renew(db, bob, image['id'], 60)
    images.delete(db, alice, image['id'])
    with pytest.raises(exceptions.ImageNotFound):
        uploads.renew(db, alice, image['id'], 60)


def test_renew_rejects_a_bad_lease(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    for bad in (0, -5, True, 1.5, '60'):
        with pytest.raises(exceptions.Invalid):
            uploads.renew(db, alice, image['id'], bad)


def test_expired_lease_is_swept_back_to_queued(db, alice):
    image = ready_image(db, alice)
    saving = uploads.begin(db, alice, image['id'], 60)

    swept = uploads.expire_leases(db, now=later(61))

    assert swept == [{'id': image['id'], 'owner': alice.owner,
                      'upload_expires_at': saving['upload_expires_at']}]
    queued = images.get(db, alice, image['id'], internal=True)
    assert queued['status'] == 'queued' and queued['upload_expires_at'] is None
    # Uploadable again; the upload that lost its lease can neither renew nor finish.
    with pytest.raises(exceptions.InvalidStatusTransition):
        uploads.renew(db, alice, image['id'], 60)
    with pytest.raises(exceptions.InvalidStatusTransition):
        finish(db, alice, image['id'])
    assert uploads.begin(db, alice, image['id'], 60)['status'] == 'saving'


def test_live_lease_and_other_statuses_are_not_swept(db, alice):
    live = ready_image(db, alice)
    uploads.begin(db, alice, live['id'], 600)
    renewed = ready_image(db, alice)
    uploads.begin(db, alice, renewed['id'], 60)
    uploads.renew(db, alice, renewed['id'], 600)
    queued = ready_image(db, alice)
    active = ready_image(db, alice)
    uploads.begin(db, alice, active['id'], 60)
    finish(db, alice, active['id'])
    deleted = ready_image(db, alice)
    uploads.begin(db, alice, deleted['id'], 60)
    images.delete(db, alice, deleted['id'])

    assert uploads.expire_leases(db, now=later(61)) == []

    statuses = {name: images.get(db, alice, image['id'])['status']
                for name, image in [('live', live), ('renewed', renewed), ('queued', queued),
                                    ('active', active)]}
    assert statuses == {'live': 'saving', 'renewed': 'saving', 'queued': 'queued',
                        'active': 'active'}


def test_concurrent_sweeps_return_each_image_once(db, alice):
    expired = [ready_image(db, alice)['id'] for _ in range(6)]
    for image_id in expired:
        uploads.begin(db, alice, image_id, 60)
    now = later(61)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: uploads.expire_leases(db, now=now), range(4)))

    returned = [image['id'] for result in results for image in result]
    assert sorted(returned) == sorted(expired)
    assert {images.get(db, alice, i)['status'] for i in expired} == {'queued'}


def finish_with(db, ctxt, image_id, token):
    return uploads.finish(db, ctxt, image_id, 'file:///data/%s' % image_id, 5, 'a' * 32,
                          'sha512', 'b' * 128, upload_token=token)


def test_a_stale_token_can_neither_renew_finish_nor_abort_a_newer_upload(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60, upload_token='old', holder='host/a-1')
    uploads.expire_leases(db, now=later(61))
    # The image was handed back and a newer upload holds it now.
    uploads.begin(db, alice, image['id'], 60, upload_token='new', holder='host/a-2')
    before = images.get(db, alice, image['id'], internal=True)

    with pytest.raises(exceptions.UploadSuperseded):
        uploads.renew(db, alice, image['id'], 60, upload_token='old')
    with pytest.raises(exceptions.UploadSuperseded):
        finish_with(db, alice, image['id'], 'old')
    with pytest.raises(exceptions.UploadSuperseded):
        uploads.abort(db, alice, image['id'], upload_token='old')

    # Nothing changed: no location was published, the newer upload's lease is intact.
    assert images.get(db, alice, image['id'], internal=True) == before
    assert before['status'] == 'saving' and before['location'] is None
    assert uploads.renew(db, alice, image['id'], 60, upload_token='new')['status'] == 'saving'
    assert finish_with(db, alice, image['id'], 'new')['status'] == 'active'


def test_a_token_after_the_sweep_meets_queued_and_the_claim_is_never_shown(db, alice):
    image = ready_image(db, alice)
    began = uploads.begin(db, alice, image['id'], 60, upload_token='t', holder='host/a-1')
    assert not {'upload_token', 'upload_holder'} & set(began)
    assert not {'upload_token', 'upload_holder'} & set(
        images.get(db, alice, image['id'], internal=True))
    uploads.expire_leases(db, now=later(61))
    with pytest.raises(exceptions.InvalidStatusTransition) as raised:
        finish_with(db, alice, image['id'], 't')
    assert raised.value.kwargs['current'] == 'queued'
    # abort of a queued image stays idempotent, token or not.
    assert uploads.abort(db, alice, image['id'], upload_token='t')['status'] == 'queued'


def test_calls_without_a_token_act_as_before(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60, upload_token='t', holder='host/a-1')
    assert uploads.renew(db, alice, image['id'], 60)['status'] == 'saving'
    assert finish(db, alice, image['id'])['status'] == 'active'


def test_claim_values_are_checked(db, alice):
    image = ready_image(db, alice)
    for token, holder in (('x' * 65, 'h'), ('', 'h'), (5, 'h'), ('t', 'h' * 256), ('t', '')):
        with pytest.raises(exceptions.Invalid):
            uploads.begin(db, alice, image['id'], 60, upload_token=token, holder=holder)
    assert images.get(db, alice, image['id'])['status'] == 'queued'


def test_release_returns_only_the_dead_workers_uploads(db, alice, admin):
    dead = [ready_image(db, alice) for _ in range(2)]
    alive = ready_image(db, alice)
    done = ready_image(db, alice)
    for n, image in enumerate(dead):
        uploads.begin(db, alice, image['id'], 600, upload_token='d%d' % n, holder='host/a-7')
    uploads.begin(db, alice, alive['id'], 600, upload_token='l', holder='host/a-8')
    uploads.begin(db, alice, done['id'], 600, upload_token='f', holder='host/a-7')
    finish_with(db, alice, done['id'], 'f')

    with pytest.raises(exceptions.Forbidden):
        uploads.release(db, alice, 'host/a-7')
    released = uploads.release(db, admin, 'host/a-7')

    assert sorted(image['id'] for image in released) == sorted(i['id'] for i in dead)
    assert all(image['owner'] == alice.owner for image in released)
    for image in dead:
        got = images.get(db, alice, image['id'], internal=True)
        assert got['status'] == 'queued' and got['upload_expires_at'] is None
        # The released upload can publish nothing; the image takes a new upload.
        with pytest.raises(exceptions.InvalidStatusTransition):
            finish_with(db, alice, image['id'], 'd0')
    assert images.get(db, alice, alive['id'])['status'] == 'saving'
    assert images.get(db, alice, done['id'])['status'] == 'active'
    assert uploads.release(db, admin, 'host/a-7') == []
    assert uploads.begin(db, alice, dead[0]['id'], 60, upload_token='n',
                         holder='host/a-9')['status'] == 'saving'
