"""Registry deactivate / reactivate: compare-and-swap on the status, on SQLite."""

import pytest
import sqlalchemy as sa

from common import exceptions
from registry_service import actions
from registry_service import images
from registry_service import uploads
from registry_service.db import models
from tests.unit.registry.helpers import ready_image


@pytest.fixture
def active(db, alice):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    return uploads.finish(db, alice, image['id'], 'file:///x', 3, 'c' * 32, 'sha512', 'h')


def test_deactivate_then_reactivate(db, alice, active):
    assert actions.deactivate(db, alice, active['id'])['status'] == 'deactivated'
    assert images.get(db, alice, active['id'])['status'] == 'deactivated'
    assert actions.reactivate(db, alice, active['id'])['status'] == 'active'
    assert images.get(db, alice, active['id'])['status'] == 'active'


def test_repeating_an_action_is_a_no_op(db, alice, active):
    assert actions.reactivate(db, alice, active['id'])['status'] == 'active'
    actions.deactivate(db, alice, active['id'])
    assert actions.deactivate(db, alice, active['id'])['status'] == 'deactivated'


@pytest.mark.parametrize('status', ['queued', 'saving', 'killed', 'pending_delete',
                                    'uploading', 'importing'])
def test_actions_from_other_statuses_are_refused_and_change_nothing(db, alice, status):
    image = ready_image(db, alice)
    with db.write() as session:
        session.execute(sa.update(models.Image).where(models.Image.id == image['id'])
                        .values(status=status))
    for action in (actions.deactivate, actions.reactivate):
        # An InvalidStatusTransition of its own class: the api's table answers it with 403.
        with pytest.raises(exceptions.ImageActionNotAllowed) as caught:
            action(db, alice, image['id'])
        assert isinstance(caught.value, exceptions.InvalidStatusTransition)
        assert caught.value.kwargs['current'] == status
        assert str(caught.value) == "Not allowed to %s image in status '%s'" % (
            action.__name__, status)
    assert images.get(db, alice, image['id'])['status'] == status


def test_actions_need_the_owner_or_an_admin(db, alice, bob, admin, active):
    with pytest.raises(exceptions.ImageNotFound):   # shared, not shared with bob: unseen
        actions.deactivate(db, bob, active['id'])
    images.update(db, admin, active['id'],
                  [{'op': 'replace', 'path': 'visibility', 'value': 'public'}])
    with pytest.raises(exceptions.Forbidden):
        actions.deactivate(db, bob, active['id'])
    assert actions.deactivate(db, admin, active['id'])['status'] == 'deactivated'


def test_actions_on_a_deleted_image_are_not_found(db, alice, active):
    images.delete(db, alice, active['id'])
    with pytest.raises(exceptions.ImageNotFound):
        actions.reactivate(db, alice, active['id'])
