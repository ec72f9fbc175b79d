"""``database_independent``: run a test on the SQLite service alone.

For tests whose outcome no database backend can change: the api answers before it asks the
registry (versions, schemas, request checks, refused names, headers), or the test is about
the HTTP layer and not what the registry stores. The behaviour that does reach the database
is tested on every backend elsewhere; running these three times only costs time.
Use it on a test (or as a module's ``pytestmark``) that asks for ``glance_service`` or
``images``.
"""

import pytest

database_independent = pytest.mark.parametrize('glance_service', ['sqlite'], indirect=True)
