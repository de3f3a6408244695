"""Port transactions on an in-process line under the virtual clock."""

import pytest

from drivers.clock import VirtualClock
from drivers.errors import BadFrameError, NoReplyError, WrongAddressError
from drivers.port import Port, PortSettings
from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645.frame import Deframer
from sim.lines import InProcessLine

REQUEST = dlt645.read("000000000161", 0x00010000).encode()
REPLY = bytes.fromhex("FE FE 68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16")
OTHER = dlt645.reply_read("000000000162", 0x00010000, b"\x26\x00\x00\x00").encode(b"")


class Scripted:
    """A responder that answers each request with the next scripted reply."""

    def __init__(self, *replies, delay=0.05):
        self.replies = list(replies)
        self.delay = delay
        self.requests = 0

    def receive(self, data):
        self.requests += 1
        reply = self.replies.pop(0) if self.replies else None
        return [(self.delay, reply)] if reply else []


def make(responder, pacing=True, echo=False, **settings):
    clock = VirtualClock(auto=True)
    line = InProcessLine(responder, clock, baud=2400, pacing=pacing, echo=echo)
    port = Port("bus1", line, clock, PortSettings(echo=echo, **settings))
    return port, clock


def accept_161(frame):
    f = dlt645.decode(frame)
    return None if f.address == "000000000161" else "reply from address %s" % f.address


def test_reply_is_collected_and_timed_like_the_wire():
    port, clock = make(Scripted(REPLY))
    ex = port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert ex.frame == REPLY[2:] and ex.attempts == 1
    wire = (len(REQUEST) + len(REPLY)) * 11 / 2400 + 0.05
    assert wire <= ex.elapsed <= wire + 0.021  # plus at most the inter-frame silence
    c = port.counters.meter("000000000161")
    assert (c.requests, c.replies, c.timeouts) == (1, 1, 0)
    assert c.bytes_out == len(REQUEST) and c.bytes_in == len(REPLY)


def test_silent_meter_costs_retries_plus_one_timeouts():
    port, clock = make(Scripted(), reply_timeout=0.6, retries=2)
    t0 = clock.monotonic()
    with pytest.raises(NoReplyError) as err:
        port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert "no reply within 600 ms after 2 retries" in str(err.value)
    spent = clock.monotonic() - t0
    assert spent <= 3 * (0.6 + len(REQUEST) * 11 / 2400 + 0.02) + 1e-6
    assert port.counters.port.timeouts == 3 and port.counters.port.retries == 2


def test_bad_checksum_then_good_retry():
    bad = REPLY[:-2] + bytes((REPLY[-2] ^ 0xFF, 0x16))
    port, _ = make(Scripted(bad, REPLY))
    ex = port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert ex.attempts == 2 and ex.frame == REPLY[2:]
    assert port.counters.port.checksum_errors == 1


def test_bad_checksum_every_time_names_the_byte():
    bad = REPLY[:-2] + bytes((REPLY[-2] ^ 0xFF, 0x16))
    port, _ = make(Scripted(bad, bad, bad), retries=2)
    with pytest.raises(BadFrameError) as err:
        port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert "checksum" in str(err.value) and "at byte 18" in str(err.value)
    assert err.value.frame.startswith("FE FE 68")


def test_reply_from_another_address_is_not_taken():
    port, _ = make(Scripted(OTHER, OTHER, OTHER), retries=2, reply_timeout=0.3)
    with pytest.raises(WrongAddressError) as err:
        port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert "reply from address 000000000162" in str(err.value)
    assert port.counters.port.wrong_address == 3


def test_local_echo_is_dropped():
    port, _ = make(Scripted(REPLY), echo=True)
    ex = port.transact(REQUEST, Deframer(), accept_161, meter="000000000161")
    assert ex.frame == REPLY[2:]


def test_broadcast_expects_nothing():
    responder = Scripted()
    port, clock = make(responder)
    port.broadcast(dlt645.broadcast_time((2026, 11, 23, 10, 0, 0)).encode())
    assert responder.requests == 1 and port.counters.port.broadcasts == 1
