"""[import_filtering_opts] as upstream's validate_import_uri, and Glimpse's refusal of
link-local and metadata addresses after name resolution."""

import types

import pytest

from api_service.imports import filtering


def opts(**overrides):
    values = {'allowed_schemes': ['http', 'https'], 'disallowed_schemes': [],
              'allowed_hosts': [], 'disallowed_hosts': [], 'allowed_ports': [80, 443],
              'disallowed_ports': []}
    values.update(overrides)
    return types.SimpleNamespace(**values)


@pytest.mark.parametrize('uri', ['http://example.com/a.img', 'https://example.com:443/x',
                                 'http://203.0.113.9/x', 'http://[2001:db8::1]/x'])
def test_upstream_defaults_accept(uri):
    filtering.check_uri(opts(), uri)


@pytest.mark.parametrize('uri, rule', [
    ('ftp://example.com/x', 'scheme'),
    ('file:///etc/passwd', 'scheme'),
    ('http://example.com:8080/x', 'port 8080'),
    ('http://2130706433/x', 'host'),
    ('http://0x7f000001/x', 'host'),
    ('http://127.1/x', 'host'),
    ('', 'needs a URI'),
    ('http://example.com:99999/x', 'cannot be parsed'),
])
def test_upstream_defaults_refuse(uri, rule):
    with pytest.raises(filtering.Refused, match=rule):
        filtering.check_uri(opts(), uri)


def test_an_allow_list_replaces_its_deny_list():
    rules = opts(allowed_hosts=['images.example'], disallowed_hosts=['images.example'],
                 allowed_ports=[], disallowed_ports=[8080])
    filtering.check_uri(rules, 'http://images.example/x')
    with pytest.raises(filtering.Refused, match='host'):
        filtering.check_uri(rules, 'http://other.example/x')
    with pytest.raises(filtering.Refused, match='port 8080'):
        filtering.check_uri(rules, 'http://images.example:8080/x')
    filtering.check_uri(rules, 'http://images.example:8081/x')


def test_deny_lists_without_allow_lists():
    rules = opts(allowed_schemes=[], disallowed_schemes=['https'],
                 disallowed_hosts=['bad.example'])
    filtering.check_uri(rules, 'http://good.example/x')
    with pytest.raises(filtering.Refused, match='scheme'):
        filtering.check_uri(rules, 'https://good.example/x')
    with pytest.raises(filtering.Refused, match='host'):
        filtering.check_uri(rules, 'http://BAD.example/x')


def resolver(table):
    return lambda host, port: table.get(host, [])


@pytest.mark.parametrize('address', ['169.254.169.254', '169.254.0.1', 'fe80::1',
                                     'fd00:ec2::254'])
def test_link_local_after_resolution_is_refused(address):
    table = {'sneaky.example': ['203.0.113.1', address]}
    with pytest.raises(filtering.Refused, match='link-local'):
        filtering.check_before_request(opts(), 'http://sneaky.example/x', resolver(table))


def test_link_local_literal_is_refused_whatever_the_resolver():
    with pytest.raises(filtering.Refused, match='link-local'):
        filtering.check_before_request(opts(), 'http://169.254.169.254/latest',
                                       resolver({}))


def test_link_local_allowed_when_listed():
    table = {'meta.example': ['169.254.169.254']}
    allowed = opts(allowed_hosts=['meta.example'])
    assert filtering.check_before_request(allowed, 'http://meta.example/x',
                                          resolver(table)) == ['169.254.169.254']
    by_address = opts(allowed_hosts=['169.254.169.254', 'other.example'])
    filtering.check_before_request(by_address, 'http://169.254.169.254/x', resolver({}))


def test_a_name_that_resolves_to_nothing_is_refused():
    with pytest.raises(filtering.Refused, match='no address'):
        filtering.check_before_request(opts(), 'http://nowhere.example/x', resolver({}))


def test_the_real_resolver_on_loopback():
    assert '127.0.0.1' in filtering.resolve('127.0.0.1', 80)
