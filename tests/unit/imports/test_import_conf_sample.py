"""etc/glance-image-import.conf.sample (upstream's optional file of the import plugins'
options) is what the generator produces now."""

from tests.unit import test_config_samples as samples


def test_committed_import_sample_matches_generator(tmp_path):
    committed = samples.ROOT / 'etc' / 'glance-image-import.conf.sample'
    generated = samples._blocks(samples._generate('glance-image-import', tmp_path))
    assert {section for section, _ in generated} == {
        'image_import_opts', 'import_filtering_opts', 'image_conversion',
        'inject_metadata_properties'}
    assert samples._blocks(committed.read_text()) == generated, samples.HINT
