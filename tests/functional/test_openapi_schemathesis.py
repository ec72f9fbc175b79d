"""Schemathesis against a live glance-api: no 5xx, and every answer as the document says.

A private glance-api + glance-registry (SQLite) serves GET /v2/openapi.json; ``st run``
generates requests from it (examples, coverage, fuzzing and stateful phases, valid and
invalid data, a bounded number of cases per operation) and checks every response: not a
server error, a documented status code, content type, headers and body schema, invalid
requests refused. ``positive_data_acceptance`` is left out: the document cannot say
everything the server refuses for good reasons (a reserved property name, NUL in a
string, both sort syntaxes at once). tools/run-schemathesis runs the same, longer, against
a running Glimpse.
"""

import json
import os
import pathlib
import subprocess

import pytest

from tests.functional import daemons

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOOKS = 'tests.functional.schemathesis_hooks'
# Enough to cover every operation in every phase; the run stays well under a minute.
MAX_EXAMPLES = 15
SEED = 20261122
CHECKS = ['--checks', 'all', '--exclude-checks', 'positive_data_acceptance']


def schemathesis_command(base_url, report_path, project_id, max_examples, seed=None):
    """The ``st run`` argument list (also what tools/run-schemathesis runs)."""
    command = [daemons.console_script('st'), 'run', base_url + '/v2/openapi.json',
               '--url', base_url, *CHECKS,
               '--max-examples', str(max_examples), '--workers', '1',
               '--request-timeout', '30', '--suppress-health-check', 'all',
               '--generation-database', 'none', '--no-color',
               '--report', 'json', '--report-json-path', str(report_path)]
    if seed is not None:
        command += ['--seed', str(seed)]
    for name, value in daemons.project_headers(project_id).items():
        command += ['--header', f'{name}: {value}']
    return command


@pytest.fixture(scope='module')
def fuzzed_service(tmp_path_factory):
    with daemons.private_service(tmp_path_factory.mktemp('schemathesis'),
                                 name='schemathesis') as service:
        yield service


def test_schemathesis_finds_no_server_error_and_no_departure_from_the_document(
        fuzzed_service, tmp_path):
    report_path = tmp_path / 'schemathesis.json'
    env = dict(os.environ, SCHEMATHESIS_HOOKS=HOOKS,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get('PYTHONPATH')])))
    result = subprocess.run(
        schemathesis_command(fuzzed_service.base_url, report_path, 'schemathesis-project',
                             MAX_EXAMPLES, seed=SEED),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout[-20000:] + result.stderr[-5000:]
    report = json.loads(report_path.read_text())
    assert report['failures'] == [], output
    assert report['errors'] == [], output
    assert result.returncode == 0, output
    # Every operation of the document was exercised, with hundreds of cases in all.
    assert report['operations']['tested'] == report['operations']['total'], report
    assert report['test_cases']['generated'] >= 300, report['test_cases']
    assert report['test_cases']['with_failures'] == 0
    print('schemathesis: %(generated)d cases generated, %(with_failures)d with failures'
          % report['test_cases'])
