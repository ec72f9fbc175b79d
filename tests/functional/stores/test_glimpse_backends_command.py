"""tools/glimpse-backends (tools/backends/cli.py): up in the background, show, down."""

import json
import os
import pathlib
import subprocess
import sys

from tools.backends.common import ROOT


def run(state, *args):
    result = subprocess.run(
        [sys.executable, '-m', 'tools.backends.cli', *args], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, GLIMPSE_BACKENDS_DIR=str(state)))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_up_show_down(tmp_path):
    state = tmp_path / 'backends'
    try:
        out = run(state, 'up', 'swift', 'http')
        record = json.loads((state / 'swift.json').read_text())
        info = record['info']
        references = pathlib.Path(info['dir']) / 'glance-swift-store.conf'
        assert f'swift_store_config_file = {references}' in out
        assert 'default_swift_reference = ref1' in out
        assert f'auth_address = {info["auth_url"]}' in references.read_text()
        assert 'user = test:tester' in references.read_text()
        assert 'no Swift store driver yet' not in out
        pids = [*record['pids'].values(),
                *json.loads((state / 'http.json').read_text())['pids'].values()]
        assert len(pids) == 5
        assert all(os.path.exists(f'/proc/{pid}') for pid in pids)
        # A second `up` finds them running and only prints the settings.
        assert 'Starting' not in run(state, 'up', 'swift')
        assert info['auth_url'] in run(state, 'show')
    finally:
        out = run(state, 'down')
    assert 'Stopping swift' in out
    for pid in pids:
        stat = f'/proc/{pid}/stat'
        # Gone, or a zombie waiting for init to reap it.
        assert not os.path.exists(stat) or open(stat).read().rsplit(')', 1)[1].split()[0] == 'Z'
    assert 'No back end is running' in run(state, 'show')
    # The next `up` keeps Swift's ports.
    try:
        run(state, 'up', 'swift')
        assert json.loads((state / 'swift.json').read_text())['info']['ports'] == info['ports']
    finally:
        run(state, 'down')
