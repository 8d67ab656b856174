"""Unit tests of session_outbox and session_inbound: numbering, keeping
until acknowledged, and when to acknowledge (docs/SESSIONS.md §3, §4.4)."""

import pytest

from session_inbound import ACK_EVERY, Inbound
from session_outbox import Outbox
from session_wire import WireError


def test_outbox_numbers_from_one_and_keeps_until_acked():
    outbox = Outbox()
    assert [outbox.add(p) for p in ("a", b"b", "c")] == [1, 2, 3]
    assert len(outbox) == 3
    outbox.ack(2)
    assert (outbox.acked, len(outbox), outbox.get(3)) == (2, 1, "c")
    with pytest.raises(KeyError):
        outbox.get(2)


def test_outbox_ignores_old_acks_and_refuses_acks_beyond_sent():
    outbox = Outbox()
    for payload in "abcd":
        outbox.add(payload)
    outbox.ack(3)
    outbox.ack(1)
    outbox.ack(3)
    assert (outbox.acked, len(outbox)) == (3, 1)
    with pytest.raises(WireError) as caught:
        outbox.ack(5)
    assert caught.value.rule == "ack_beyond_sent"


def test_outbox_resume_sends_again_after_the_servers_rx():
    outbox = Outbox()
    for payload in "abcde":
        outbox.add(payload)
    outbox.ack(1)
    assert outbox.resume_from(3) == 4
    assert [outbox.get(n) for n in (4, 5)] == ["d", "e"]
    assert outbox.resume_from(5) == 6
    assert len(outbox) == 0


def test_outbox_resume_refuses_an_rx_behind_an_ack_or_beyond_sent():
    outbox = Outbox()
    for payload in "abc":
        outbox.add(payload)
    outbox.ack(2)
    with pytest.raises(WireError) as behind:
        outbox.resume_from(1)
    assert behind.value.rule == "rx_behind_ack"
    with pytest.raises(WireError) as beyond:
        outbox.resume_from(4)
    assert beyond.value.rule == "ack_beyond_sent"


def test_inbound_counts_and_acks_every_32():
    inbound = Inbound()
    for expected in range(1, ACK_EVERY):
        assert inbound.receive() == expected
        assert not inbound.ack_due()
    inbound.receive()
    assert inbound.ack_due()
    assert inbound.take_ack() == ACK_EVERY
    assert (inbound.unacked, inbound.ack_due()) == (0, False)
    inbound.receive()
    assert inbound.unacked == 1
