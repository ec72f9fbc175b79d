"""glance-manage db purge / purge_images_table: what deleted images left goes, their rows
stay unless asked (OSSN-0075), and data still queued for the scrubber keeps its image."""

import datetime

import pytest
import sqlalchemy as sa

from common import exceptions
from registry_service import images
from registry_service import manage
from registry_service import members
from registry_service import purge
from registry_service import scrubbing
from registry_service import uploads
from registry_service.db import models
from tests.unit.registry.helpers import new_image
from tests.unit.registry.helpers import ready_image


def _deleted(db, ctxt, days_ago, **values):
    image = new_image(db, ctxt, properties={'a': '1', 'b': '2'}, tags=['t'],
                      visibility='shared', **values)
    members.create(db, ctxt, image['id'], 'project-b')
    images.delete(db, ctxt, image['id'])
    _age(db, image['id'], days_ago)
    return image['id']


def _age(db, image_id, days):
    with db.write() as session:
        row = session.get(models.Image, image_id)
        row.deleted_at = row.deleted_at - datetime.timedelta(days=days)


def _count(db, table, image_id):
    with db.read() as session:
        return session.execute(sa.select(sa.func.count()).select_from(table)
                               .where(table.image_id == image_id if table is not models.Image
                                      else table.id == image_id)).scalar_one()


def _counts(db, image_id):
    return [_count(db, t, image_id) for t in (models.ImageProperty, models.ImageTag,
                                              models.ImageMember, models.Image)]


def test_purge_keeps_image_rows_and_recent_deletes(db, alice):
    old = _deleted(db, alice, 40)
    recent = _deleted(db, alice, 2)
    live = new_image(db, alice, properties={'a': '1'})['id']
    assert purge.purge(db, 30, -1) == [('image_properties', 2), ('image_tags', 1),
                                       ('image_members', 1), ('image_locations', 0)]
    assert _counts(db, old) == [0, 0, 0, 1]
    assert _counts(db, recent) == [2, 1, 1, 1]
    assert _counts(db, live) == [1, 0, 0, 1]
    # The id stays taken.
    with pytest.raises(exceptions.Duplicate):
        new_image(db, alice, id=old)


def test_purge_images_table_removes_the_rows_too(db, alice):
    old = _deleted(db, alice, 200)
    recent = _deleted(db, alice, 100)
    result = purge.purge(db, 180, -1, images_table=True)
    assert result[-1] == ('images', 1)
    assert _counts(db, old) == [0, 0, 0, 0]
    assert _counts(db, recent) == [2, 1, 1, 1]


def test_max_rows_bounds_each_table(db, alice):
    first, second = _deleted(db, alice, 40), _deleted(db, alice, 40)
    assert purge.purge(db, 30, 1) == [('image_properties', 1), ('image_tags', 1),
                                      ('image_members', 1), ('image_locations', 0)]
    assert sum(_count(db, models.ImageProperty, i) for i in (first, second)) == 3
    # Image rows go only once nothing of theirs is left; run after run, everything goes.
    for _ in range(4):
        purge.purge(db, 30, 1, images_table=True)
        for image_id in (first, second):
            counts = _counts(db, image_id)
            assert counts[3] == 1 or counts == [0, 0, 0, 0]
    assert _counts(db, first) == _counts(db, second) == [0, 0, 0, 0]


def test_data_still_queued_keeps_the_image(db, alice, admin):
    image = ready_image(db, alice)
    uploads.begin(db, alice, image['id'], 60)
    uploads.finish(db, alice, image['id'], 'file:///data/x', 3, 'c' * 32, 'sha512', 'h')
    images.delete(db, alice, image['id'], delayed=True)
    _age(db, image['id'], 400)
    assert purge.purge(db, 30, -1, images_table=True)[-1] == ('images', 0)
    [claimed] = scrubbing.claim(db, admin, 0, 10, 60)
    scrubbing.finish(db, admin, claimed['id'])
    assert purge.purge(db, 30, -1, images_table=True)[-1] == ('images', 1)


@pytest.mark.parametrize('age, rows, message', [
    (-1, 10, 'Must supply a non-negative value for age.'),
    (10 ** 6, 10, 'Maximal age is count of days since epoch.'),
    (30, -2, 'Minimal rows limit is -1.'),
])
def test_arguments_upstream_refuses(age, rows, message):
    with pytest.raises(exceptions.Invalid, match=message):
        purge.check_arguments(age, rows)


def test_the_command(db, alice, db_url, tmp_path, capsys):
    old = _deleted(db, alice, 40)
    conf_file = tmp_path / 'glance-registry.conf'
    conf_file.write_text('[database]\nconnection = %s\n' % db_url)
    assert manage.main(['--config-file', str(conf_file), 'db', 'purge',
                        '--age_in_days', '30', '--max_rows', '-1']) == 0
    out = capsys.readouterr().out
    assert 'Purged 2 rows from table image_properties.' in out
    assert _counts(db, old) == [0, 0, 0, 1]
    assert manage.main(['--config-file', str(conf_file), 'db', 'purge_images_table',
                        '--age_in_days', '30']) == 0
    assert 'Purged 1 row from table images.' in capsys.readouterr().out
    assert manage.main(['--config-file', str(conf_file), 'db', 'purge',
                        '--max_rows', '-5']) == manage.INVALID
    assert 'Minimal rows limit is -1.' in capsys.readouterr().err
