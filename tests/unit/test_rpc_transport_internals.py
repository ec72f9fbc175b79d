"""common.rpc.transport.messaging_internals(): the only use of oslo.messaging's private API.

These tests fail when an oslo.messaging release moves what it relies on, or makes it public
(then the private use can go).
"""

import pytest
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from common.rpc import transport as rpc_transport

UNLISTED_GROUPS = {'oslo_messaging_metrics', 'oslo_messaging_tracing'}


def _conf():
    conf = cfg.ConfigOpts()
    rpc_transport.register_messaging_opts(conf)
    conf([], project='glance')
    return conf


@pytest.fixture
def transport_for():
    made = []

    def make(url):
        transport = rpc_transport.get_transport(_conf(), url=url)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.cleanup()


def test_the_unlisted_option_groups_are_still_there_and_still_unlisted():
    unlisted_opts, _ = rpc_transport.messaging_internals()
    assert {group for group, _ in unlisted_opts} == UNLISTED_GROUPS
    for _, opts in unlisted_opts:
        assert opts and all(isinstance(opt, cfg.Opt) for opt in opts)
    # Once list_opts() lists them, messaging_internals() need not import them.
    listed = {group for group, _ in messaging_opts.list_opts()}
    assert not listed & UNLISTED_GROUPS


def test_register_messaging_opts_registers_the_unlisted_groups():
    conf = _conf()
    for group in UNLISTED_GROUPS:
        assert list(conf[group])


@pytest.mark.parametrize('url', ['kombu+memory:////', 'rabbit://guest:guest@127.0.0.1:1//'])
def test_the_amqp_driver_still_sets_up_its_reply_queue_in_one_method(transport_for, url):
    # Making the transport does not connect; only the set-up itself would.
    _, set_up = rpc_transport.messaging_internals(transport_for(url))
    assert callable(set_up) and set_up.__name__ == '_get_reply_q'


def test_setting_up_the_reply_queue_works_on_kombus_memory_transport(transport_for):
    _, set_up = rpc_transport.messaging_internals(transport_for('kombu+memory:////'))
    assert set_up()


def test_a_driver_without_reply_queue_has_no_set_up(transport_for):
    assert rpc_transport.messaging_internals(transport_for('fake:/'))[1] is None
    assert rpc_transport.messaging_internals(None)[1] is None
