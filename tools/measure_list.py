"""Registry time per image_list call over 10,000 images, with the SQL and its query plan.

Not a test: it prints figures for a person to read. It fills a fresh database (the URL given,
migrated to head), then times ``listing.list_images`` for a few typical listings of 20::

    python tools/measure_list.py sqlite:////tmp/measure.sqlite
    python tools/measure_list.py postgresql+psycopg2://postgres@127.0.0.1:5432/measure

The database must be empty (or not exist, for SQLite).
"""

import argparse
import datetime
import statistics
import time
import uuid

import sqlalchemy as sa

from common import context
from common import list_query
from registry_service import listing
from registry_service.db import migration
from registry_service.db import models
from registry_service.db import session as db_session

PROJECTS = 100
ROUNDS = 50

QUERIES = {
    # name: (caller project, is admin, filters, sort keys, sort dirs)
    'default list (own + public), created_at desc': ('project-7', False, {}, None, None),
    'owner filter': ('project-7', False, {'owner': 'project-7'}, None, None),
    'name filter': ('project-7', False, {'name': 'image-4207'}, None, None),
    'status + disk_format': ('project-7', False,
                             {'status': 'active', 'disk_format': 'qcow2'}, None, None),
    'extra property filter': ('project-7', False, {'os_distro': 'distro-7'}, None, None),
    'tag filter': ('project-7', False, {'tags': ['tag-7']}, None, None),
    'property filter matching nothing (worst case)': ('project-7', False,
                                                      {'os_distro': 'none'}, None, None),
    'created_at gt, sort name asc': ('project-7', False,
                                     {'created_at': 'gt:2026-01-01T02:00:00Z'},
                                     ['name'], ['asc']),
    'admin, all images, size desc': ('project-admin', True, {}, ['size'], ['desc']),
}


def fill(engine, count):
    start = datetime.datetime(2026, 1, 1)
    images, props, tags = [], [], []
    for i in range(count):
        image_id = str(uuid.uuid4())
        owner = 'project-%d' % (i % PROJECTS)
        images.append({
            'id': image_id, 'name': 'image-%d' % i, 'status': 'active' if i % 4 else 'queued',
            'visibility': ('public' if i % 50 == 0 else 'private' if i % 3 else 'shared'),
            'protected': False, 'os_hidden': False, 'owner': owner, 'size': (i * 7919) % 10 ** 9,
            'container_format': 'bare', 'disk_format': ('qcow2' if i % 2 else 'raw'),
            'min_ram': 0, 'min_disk': 0, 'created_at': start + datetime.timedelta(seconds=i),
            'updated_at': start + datetime.timedelta(seconds=i), 'deleted': False})
        props.append({'image_id': image_id, 'name': 'os_distro', 'value': 'distro-%d' % (i % 10)})
        props.append({'image_id': image_id, 'name': 'hw_disk_bus', 'value': 'virtio'})
        tags.append({'image_id': image_id, 'value': 'tag-%d' % (i % 10)})
    with engine.begin() as conn:
        conn.execute(sa.insert(models.Image), images)
        conn.execute(sa.insert(models.ImageProperty), props)
        conn.execute(sa.insert(models.ImageTag), tags)
    with engine.begin() as conn:  # committed: statistics are transactional on PostgreSQL
        if engine.dialect.name in ('postgresql', 'sqlite'):
            conn.exec_driver_sql('ANALYZE')


def explain(engine, sql):
    prefix = {'sqlite': 'EXPLAIN QUERY PLAN ', 'postgresql': 'EXPLAIN ANALYZE '}.get(
        engine.dialect.name, 'EXPLAIN ')
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + sql).all()
    return '\n'.join('    ' + ' | '.join(str(c) for c in row) for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url')
    parser.add_argument('--count', type=int, default=10000)
    args = parser.parse_args()

    migration.upgrade(args.url)
    engine = sa.create_engine(args.url)
    db = db_session.Database(engine)
    fill(engine, args.count)
    print('%d images, %s' % (args.count, engine.dialect.name))
    for title, (project, admin, filters, keys, dirs) in QUERIES.items():
        roles = ['admin', 'member'] if admin else ['member']
        ctxt = context.RequestContext(project_id=project, user_id='u', roles=roles)
        wanted = list_query.ListQuery.from_legacy(filters, None, 20, keys, dirs)
        listing.list_images(db, ctxt, wanted)  # warm up
        times = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            found = listing.list_images(db, ctxt, wanted)
            times.append((time.perf_counter() - began) * 1000)
        with db.read() as session:
            query = listing.build_query(session, ctxt, wanted)
            sql = str(query.compile(engine, compile_kwargs={'literal_binds': True}))
        print('\n== %s: %d rows, median %.2f ms, p90 %.2f ms (list_images, %d calls)'
              % (title, len(found), statistics.median(times),
                 statistics.quantiles(times, n=10)[-1], ROUNDS))
        print('  SQL: ' + ' '.join(sql.split()))
        print('  plan:\n' + explain(engine, sql))
    db.dispose()


if __name__ == '__main__':
    main()
