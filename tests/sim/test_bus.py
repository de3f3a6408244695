"""Several meters on one line: chunked requests, addressing, collisions."""

import pytest

from drivers.clock import VirtualClock
from protocols.cjt188 import codec as cjt188
from protocols.dlt645 import edition2007 as dlt645
from protocols.mbus import codec as mbus
from protocols.modbus import build as modbus_build
from protocols.modbus import frame as modbus_frame
from protocols.core.deframer import frames_in
from protocols.core.errors import CodecError
from protocols.dlt645.frame import Deframer as DltDeframer
from sim.bus import Bus
from sim.meters import Cjt188Meter, Dlt645Meter, MbusMeter, ModbusMeter


def dlt_bus(collision="garble"):
    clk = VirtualClock()
    meters = [Dlt645Meter("000000000161", clk), Dlt645Meter("000000000262", clk),
              Dlt645Meter("000000001161", clk, reply_delay=0.2)]
    return clk, meters, Bus(meters, clk, collision)


@pytest.mark.parametrize("chunking", ["whole", "halves", "bytes"])
def test_request_in_any_chunks_reaches_only_the_addressed_meter(chunking):
    clk, meters, bus = dlt_bus()
    req = dlt645.read("000000000262", 0x00010000).encode()
    if chunking == "whole":
        parts = [req]
    elif chunking == "halves":
        parts = [req[:7], req[7:]]
    else:
        parts = [req[k:k + 1] for k in range(len(req))]
    out = []
    for p in [b"\x00\x13"] + parts:                       # line noise first
        out += bus.receive(p)
    assert len(out) == 1
    delay, reply = out[0]
    assert delay == pytest.approx(0.05)
    d = dlt645.decode_dict(reply)
    assert d["address"] == "000000000262"
    assert d["values"][0]["value"] == meters[1].value("energy.active.import.total")
    assert [m.counters["requests"] for m in meters] == [0, 1, 0]


def test_broadcast_reaches_all_and_gets_no_answer():
    clk, meters, bus = dlt_bus()
    assert bus.receive(dlt645.freeze().encode()) == []
    assert all(len(m.instants) == 1 for m in meters)
    assert bus.counters["silent"] == 1


def test_wildcard_read_address_collides_into_a_bad_frame():
    clk, meters, bus = dlt_bus()
    out = bus.receive(dlt645.read_address().encode())
    assert len(out) == 1 and bus.counters["collisions"] == 1
    delay, garbage = out[0]
    assert delay == pytest.approx(0.05)                   # the earliest answer
    with pytest.raises(CodecError):
        frames_in(DltDeframer(), garbage)
    # a pattern that singles out one meter: a clean answer
    (delay, reply), = bus.receive(dlt645.Frame("AAAAAAAAAA62", 0x13).encode())
    assert dlt645.decode_dict(reply)["address"] == "000000000262"
    # two match 61 in the lowest pair: collide again
    assert len(bus.receive(dlt645.Frame("AAAAAAAAAA61", 0x13).encode())) == 1
    with pytest.raises(CodecError):
        frames_in(DltDeframer(), bus.receive(dlt645.Frame("AAAAAAAAAA61", 0x13).encode())[0][1])


def test_collision_modes_first_and_all():
    clk, meters, first = dlt_bus("first")
    (delay, reply), = first.receive(dlt645.read_address().encode())
    assert dlt645.decode_dict(reply)["address"] in ("000000000161", "000000000262")
    clk, meters, every = dlt_bus("all")
    assert len(every.receive(dlt645.read_address().encode())) == 3


def test_mbus_wildcard_selection_and_254_collide():
    clk = VirtualClock()
    a = MbusMeter("1", clk, secondary="12345678")
    b = MbusMeter("2", clk, secondary="12345679")
    bus = Bus([a, b], clk)
    (d, garbage), = bus.receive(mbus.select_secondary("1234567F"))
    assert garbage != b"\xE5"                             # two E5 at once: not an ACK
    assert mbus.Deframer().feed(garbage) == []
    assert bus.receive(mbus.select_secondary("12345679")) == [(pytest.approx(0.02), b"\xE5")]
    assert (a.selected, b.selected) == (False, True)
    (d, reply), = bus.receive(mbus.req_ud2(0xFD, True))
    assert mbus.decode_dict(reply)["header"]["id"] == "12345679"
    (d, garbage), = bus.receive(mbus.req_ud2(254, True))
    with pytest.raises(CodecError):
        mbus.parse_frame(garbage)
    assert bus.receive(mbus.req_ud2(255, False)) == []


def test_mixed_protocols_on_one_line():
    clk = VirtualClock()
    meters = [Dlt645Meter("000000000161", clk), Cjt188Meter("11223344556677", clk),
              MbusMeter("3", clk), ModbusMeter("4", clk)]
    bus = Bus(meters, clk)
    for req, check in (
            (dlt645.read("000000000161", 0x00010000).encode(), dlt645.decode_dict),
            (cjt188.read_data(0x10, "11223344556677"), cjt188.decode_dict),
            (mbus.req_ud2(3, True), mbus.decode_dict)):
        (d, reply), = bus.receive(req)
        check(reply)
    (d, reply), = bus.receive(modbus_build.read_request(4, 4, 0, 2))
    assert modbus_frame.decode(reply, "reply").kind == "reply"
