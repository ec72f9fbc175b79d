"""etc/policy.yaml.sample is what oslopolicy-sample-generator produces from our rules now."""

import difflib
import importlib.metadata
import pathlib
import subprocess
import sys

import yaml

from api_service import policy_rules

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATOR_CONF = ROOT / 'etc' / 'oslo-policy-generator' / 'glance-api.conf'
SAMPLE = ROOT / 'etc' / 'policy.yaml.sample'
HINT = 'run `tox -e genconfig` and commit the result'


def _generate(out):
    # The console script's own entry point, run with this interpreter.
    result = subprocess.run(
        [sys.executable, '-c', 'from oslo_policy import generator; generator.generate_sample()',
         '--config-file', str(GENERATOR_CONF), '--output-file', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f'oslopolicy-sample-generator failed:\n{result.stderr}'
    return out.read_text()


def test_policy_namespace_and_enforcer_are_installed_entry_points():
    policies = {ep.name: ep.value
                for ep in importlib.metadata.entry_points(group='oslo.policy.policies')}
    enforcers = {ep.name: ep.value
                 for ep in importlib.metadata.entry_points(group='oslo.policy.enforcer')}
    assert policies.get('glimpse.api') == 'api_service.policy_rules:list_rules'
    assert enforcers.get('glimpse.api') == 'api_service.policy:get_enforcer'


def test_committed_policy_sample_matches_generator(tmp_path):
    assert SAMPLE.exists(), f'etc/policy.yaml.sample is missing: {HINT}'
    generated = _generate(tmp_path / 'policy.yaml.sample')
    committed = SAMPLE.read_text()
    if committed != generated:
        diff = difflib.unified_diff(committed.splitlines(), generated.splitlines(),
                                    'etc/policy.yaml.sample (committed)', '(generated now)',
                                    lineterm='', n=1)
        raise AssertionError(f'etc/policy.yaml.sample is stale: {HINT}\n'
                             + '\n'.join(list(diff)[:60]))


def test_sample_lists_every_rule_with_its_default():
    # Uncommented, the sample is a policy file that restates every default.
    text = '\n'.join(line[1:] if line.startswith('#"') else line
                     for line in SAMPLE.read_text().splitlines())
    restated = yaml.safe_load(text)
    assert restated == {rule.name: rule.check_str for rule in policy_rules.list_rules()}
    assert restated['publicize_image'] == 'rule:context_is_admin'
    assert restated['context_is_admin'] == 'role:admin'
