"""common.rpc.transport.ReplyQueue: a call waits for the reply queue no longer than its timeout.

The driver here stands in for oslo.messaging's AMQP driver while RabbitMQ is down (its reply
queue set-up blocks); test_faults_rabbitmq.py shows the same with a real broker.
"""

import threading
import time
import types

import oslo_messaging
import pytest

from common.rpc import transport as rpc_transport


class BlockingDriver:
    def __init__(self):
        self.broker_back = threading.Event()

    def _get_reply_q(self):
        self.broker_back.wait(30)
        return 'reply_queue'


def test_wait_gives_up_after_its_timeout_while_the_reply_queue_cannot_be_set_up():
    driver = BlockingDriver()
    reply_queue = rpc_transport.ReplyQueue(types.SimpleNamespace(_driver=driver))
    started = time.monotonic()
    with pytest.raises(oslo_messaging.MessagingTimeout):
        reply_queue.wait(0.2)
    assert time.monotonic() - started < 2

    driver.broker_back.set()
    reply_queue.wait(5)  # returns at once now


def test_a_driver_without_reply_queue_never_makes_a_call_wait():
    reply_queue = rpc_transport.ReplyQueue(types.SimpleNamespace(_driver=object()))
    reply_queue.wait(0)


def test_a_failed_set_up_lets_the_calls_go_on_and_report_it():
    class FailingDriver:
        def _get_reply_q(self):
            raise RuntimeError('access refused')

    reply_queue = rpc_transport.ReplyQueue(types.SimpleNamespace(_driver=FailingDriver()))
    reply_queue.wait(5)
