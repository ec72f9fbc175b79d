"""Writers of one registry process on SQLite take turns in the process, not in SQLite's
busy handler (which polls in sleeps of up to 100 ms): with no busy timeout at all, concurrent
writers of one Database still all succeed."""

import concurrent.futures

from registry_service import images
from registry_service.db import session as db_session
from tests.unit.registry.helpers import new_image


def test_concurrent_writers_of_one_process_never_meet_a_locked_sqlite(conf, alice,
                                                                    monkeypatch):
    if not conf.database.connection.startswith('sqlite'):
        return
    # Any writer that found the SQLite lock taken would fail at once with "database is
    # locked".
    monkeypatch.setattr(db_session, 'SQLITE_BUSY_TIMEOUT_MS', 0)
    database = db_session.Database.from_conf(conf)
    image = new_image(database, alice)

    def add_property(i):
        change = [{'op': 'add', 'path': 'p%d' % i, 'value': str(i)}]
        return images.update(database, alice, image['id'], change)['id']

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(add_property, range(40))) == [image['id']] * 40
        final = images.get(database, alice, image['id'])
        assert final['properties'] == {'p%d' % i: str(i) for i in range(40)}
    finally:
        database.dispose()
