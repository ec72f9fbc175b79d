"""The committed etc/*.conf.sample files are what the generator produces from our code now.

Our own options (the glimpse.* namespaces) must match the generator exactly. The blocks of
oslo.messaging and oslo.log must be present, but their text may differ: it changes with every
release of those libraries, and a fresh install is free to pick a newer one than the one the
sample was generated with.
"""

import difflib
import importlib.metadata
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATOR_DIR = ROOT / 'etc' / 'oslo-config-generator'
DAEMONS = ['glance-api', 'glance-registry', 'glance-scrubber']
HINT = 'run `tox -e genconfig` and commit the result'


def _generator_namespaces(daemon):
    # oslo-config-generator repeats `namespace =`; a plain ConfigParser keeps only the last.
    lines = (GENERATOR_DIR / f'{daemon}.conf').read_text().splitlines()
    return [line.split('=', 1)[1].strip() for line in lines
            if line.replace(' ', '').startswith('namespace=')]


def _generate(daemon, out_dir):
    out = out_dir / f'{daemon}.conf.sample'
    result = subprocess.run(
        [sys.executable, '-m', 'oslo_config.generator',
         '--config-file', str(GENERATOR_DIR / f'{daemon}.conf'), '--output-file', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f'oslo-config-generator failed:\n{result.stderr}'
    return out.read_text()


def _sample_defaults(text):
    """{section: {option: default}} read from the commented-out `#name = value` lines."""
    defaults, section = {}, None
    for line in text.splitlines():
        if header := re.fullmatch(r'\[(.+)\]', line):
            section = defaults.setdefault(header.group(1), {})
        elif option := re.fullmatch(r'#(\w+) = (.*)', line):
            section[option.group(1)] = option.group(2)
    return defaults


@pytest.mark.parametrize('daemon', DAEMONS)
def test_every_generator_namespace_is_an_installed_entry_point(daemon):
    # The generator skips an unknown namespace with only a warning, so a typo would silently
    # drop a whole group of options from the sample.
    installed = {ep.name for ep in importlib.metadata.entry_points(group='oslo.config.opts')}
    namespaces = _generator_namespaces(daemon)
    assert namespaces, f'no namespace in etc/oslo-config-generator/{daemon}.conf'
    missing = [ns for ns in namespaces if ns not in installed]
    assert not missing, f'{missing} are not oslo.config.opts entry points (pip install -e .?)'


def _blocks(text):
    """{(section, namespace): text} of a sample, split on its `# From NAMESPACE` headers."""
    blocks, section, key = {}, None, None
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if header := re.fullmatch(r'\[(.+)\]', line):
            section, key = header.group(1), None
        elif (origin := re.fullmatch(r'# From (\S+)', line)) and lines[number - 1] == '#':
            key = (section, origin.group(1))
            blocks[key] = []
        elif key is not None:
            blocks[key].append(line)
    return {key: '\n'.join(block).strip('\n#') for key, block in blocks.items()}


def _ours(blocks):
    return {key: text for key, text in blocks.items() if key[1].startswith('glimpse.')}


@pytest.mark.parametrize('daemon', DAEMONS)
def test_committed_sample_matches_generator(daemon, tmp_path):
    committed = ROOT / 'etc' / f'{daemon}.conf.sample'
    generated = _blocks(_generate(daemon, tmp_path))
    assert committed.exists(), f'etc/{daemon}.conf.sample is missing: {HINT}'
    current = _blocks(committed.read_text())
    assert _ours(generated), 'the generator produced no glimpse.* options at all'
    if _ours(current) != _ours(generated):
        def flat(blocks):
            return '\n'.join(f'[{section}] from {namespace}:\n{text}'
                             for (section, namespace), text in sorted(_ours(blocks).items()))
        diff = difflib.unified_diff(flat(current).splitlines(), flat(generated).splitlines(),
                                    f'etc/{daemon}.conf.sample (committed)', '(generated now)',
                                    lineterm='', n=1)
        shown = '\n'.join(list(diff)[:60])
        pytest.fail(f'etc/{daemon}.conf.sample is stale: {HINT}\n{shown}')
    missing = sorted(set(generated) - set(current))
    assert not missing, f'etc/{daemon}.conf.sample lacks {missing}: {HINT}'


@pytest.mark.parametrize('daemon', DAEMONS)
def test_sample_documents_the_bus_shared_by_both_daemons(daemon):
    defaults = _sample_defaults((ROOT / 'etc' / f'{daemon}.conf.sample').read_text())
    assert 'transport_url' in defaults['DEFAULT']
    assert defaults['registry']['topic'] == 'glance_registry'


def test_api_sample_defaults_to_noauth():
    defaults = _sample_defaults((ROOT / 'etc' / 'glance-api.conf.sample').read_text())
    assert defaults['DEFAULT']['auth_strategy'] == 'noauth'


def _validate(daemon, conf_file):
    return subprocess.run(
        [sys.executable, '-m', 'oslo_config.validator',
         '--config-file', str(GENERATOR_DIR / f'{daemon}.conf'), '--input-file', str(conf_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize('daemon', DAEMONS)
def test_example_config_sets_only_options_the_daemon_knows(daemon):
    result = _validate(daemon, ROOT / 'etc' / f'{daemon}.conf')
    assert result.returncode == 0, result.stderr


def test_validator_rejects_an_unknown_option(tmp_path):
    # Guards the test above: a misspelt option must make the validator fail.
    conf_file = tmp_path / 'glance-api.conf'
    conf_file.write_text('[registry]\ntopik = glance_registry\n')
    result = _validate('glance-api', conf_file)
    assert result.returncode != 0
    assert 'registry/topik' in result.stderr
