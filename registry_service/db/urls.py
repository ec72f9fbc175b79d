"""[database] connection as operators write it, turned into a URL SQLAlchemy can open.

Install guides print ``mysql://`` and ``postgresql://``. For those plain schemes SQLAlchemy
picks a default driver (MySQLdb, psycopg 3) that Glimpse's extras may not install; when the
default is missing, the plain scheme is mapped to a driver that is installed (PyMySQL,
psycopg2), and the log says so once. An explicit ``+driver`` is kept as written. A URL whose
driver is missing raises MissingDriver, whose message names the scheme and the pip extra.
"""

import logging
import threading

import sqlalchemy as sa

LOG = logging.getLogger(__name__)

# backend -> (the pip extra of Glimpse that installs a driver for it, the drivers tried for
# the plain scheme in order: SQLAlchemy's own default first).
BACKENDS = {
    'mysql': ('mysql', ('mysqldb', 'pymysql')),
    'mariadb': ('mysql', ('mysqldb', 'pymysql')),
    'postgresql': ('postgresql', ('psycopg', 'psycopg2')),
}
# Schemes SQLAlchemy no longer accepts that older guides still print.
ALIASES = {'postgres': 'postgresql'}

_announced = set()
_announced_lock = threading.Lock()


class MissingDriver(Exception):
    """No installed Python driver can open [database] connection."""


class BadUrl(Exception):
    """[database] connection is not a database URL SQLAlchemy knows."""


def _dbapi_error(url):
    """None if the URL's driver imports, else the ImportError's text."""
    try:
        url.get_dialect().import_dbapi()
    except ImportError as exc:
        return str(exc)
    return None


def _missing(scheme, backend, detail):
    extra = BACKENDS[backend][0] if backend in BACKENDS else None
    message = ('[database] connection uses %s://, but its Python driver is not installed '
               '(%s).' % (scheme, detail))
    if extra:
        message += (" Install Glimpse with the '%s' extra (pip install 'glimpse[%s]', or "
                    "'.[%s]' from a checkout)." % (extra, extra, extra))
    return MissingDriver(message)


def _announce(scheme, url):
    with _announced_lock:
        if scheme in _announced:
            return
        _announced.add(scheme)
    LOG.info('[database] connection: %s:// uses the installed %s driver (as %s+%s://); '
             'write that scheme to choose the driver yourself.',
             scheme, url.get_driver_name(), url.get_backend_name(), url.get_driver_name())


def resolve(connection):
    """The sqlalchemy URL to open for ``connection`` (a string or URL).

    Raises BadUrl for a malformed URL or an unknown scheme, MissingDriver when no
    installed driver can open it.
    """
    try:
        url = sa.engine.make_url(connection)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise BadUrl('[database] connection is not a database URL: %s' % exc) from exc
    backend = ALIASES.get(url.get_backend_name(), url.get_backend_name())
    if backend != url.get_backend_name():
        driver = url.drivername.partition('+')[2]
        url = url.set(drivername=backend + ('+' + driver if driver else ''))
    scheme = url.drivername
    try:
        url.get_dialect()
    except sa.exc.NoSuchModuleError as exc:
        if '+' in scheme and backend in BACKENDS:
            raise _missing(scheme, backend, 'SQLAlchemy knows no driver %r for %s'
                           % (url.get_driver_name(), backend)) from exc
        raise BadUrl('[database] connection: SQLAlchemy does not know the scheme %s://'
                     % scheme) from exc
    error = _dbapi_error(url)
    if error is None:
        return url
    if '+' in scheme or backend not in BACKENDS:
        raise _missing(scheme, backend, error)
    for driver in BACKENDS[backend][1]:
        candidate = url.set(drivername='%s+%s' % (backend, driver))
        if _dbapi_error(candidate) is None:
            _announce(scheme, candidate)
            return candidate
    raise _missing(scheme, backend, 'tried %s' % ', '.join(BACKENDS[backend][1]))
