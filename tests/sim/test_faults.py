"""Each fault type does what it says, reproducibly."""

import pytest

from drivers.clock import VirtualClock
from protocols.cjt188 import codec as cjt188
from protocols.dlt645 import edition2007 as dlt645
from protocols.mbus import codec as mbus
from protocols.modbus import build as modbus_build
from protocols.modbus import frame as modbus_frame
from protocols.core.errors import ChecksumError, CodecError
from protocols.core.num import Num
from sim.bus import Bus
from sim.faults import Faults
from sim.meters import Cjt188Meter, Dlt645Meter, MbusMeter, ModbusMeter

ADDR = "000000000161"
REQ = dlt645.read(ADDR, 0x00010000).encode()


def one(faults, seed=1, **options):
    clk = VirtualClock()
    m = Dlt645Meter(ADDR, clk, faults=faults, seed=seed, **options)
    return clk, m, Bus([m], clk)


def test_no_reply_count_then_normal():
    clk, m, bus = one([{"type": "no_reply", "count": 2}])
    assert bus.receive(REQ) == [] and bus.receive(REQ) == []
    assert len(bus.receive(REQ)) == 1
    assert m.faults.counters == {"no_reply": 2}


def test_probability_is_reproducible_with_the_seed():
    def pattern(seed):
        clk, m, bus = one([{"type": "no_reply", "probability": 0.5}], seed=seed)
        return [len(bus.receive(REQ)) for _ in range(40)]
    assert pattern(3) == pattern(3)
    assert pattern(3) != pattern(4)
    assert 5 < sum(pattern(3)) < 35


def test_window_from_until():
    clk, m, bus = one([])
    t = clk.time()
    m.faults = Faults([{"type": "late_reply", "delay": 2.5, "from": t + 10, "until": t + 20}])
    assert bus.receive(REQ)[0][0] == pytest.approx(0.05)
    clk.advance(15)
    assert bus.receive(REQ)[0][0] == pytest.approx(2.55)
    clk.advance(10)
    assert bus.receive(REQ)[0][0] == pytest.approx(0.05)


def test_corrupt_byte_and_bad_checksum_fail_the_codec():
    clk, m, bus = one([{"type": "corrupt_byte", "count": 1}, {"type": "bad_checksum", "count": 1}])
    good = m.handle(dlt645.decode(REQ).encode(b""))
    (_, bad), = bus.receive(REQ)
    assert len(bad) == len(good) and sum(x != y for x, y in zip(bad, good)) == 2
    with pytest.raises(CodecError):
        dlt645.decode_dict(bad)
    clk, m, bus = one([{"type": "bad_checksum"}])
    with pytest.raises(ChecksumError):
        dlt645.decode_dict(bus.receive(REQ)[0][1])


def test_noise_truncation_and_wrong_address():
    clk, m, bus = one([{"type": "noise_before", "bytes": 3}, {"type": "noise_after", "bytes": 2}])
    (_, data), = bus.receive(REQ)
    good = m.handle(dlt645.decode(REQ).encode(b""))
    assert data[3:-2] == good
    clk, m, bus = one([{"type": "truncated", "keep": 10}])
    assert len(bus.receive(REQ)[0][1]) == 10
    clk, m, bus = one([{"type": "wrong_address"}])
    d = dlt645.decode_dict(bus.receive(REQ)[0][1])
    assert d["address"] == "000000000162"
    assert d["values"][0]["value"] == m.value("energy.active.import.total")


def test_wrong_address_and_bad_checksum_for_every_protocol():
    clk = VirtualClock()
    c = Cjt188Meter("11223344556677", clk, faults=[{"type": "wrong_address", "address": "1"}])
    b = MbusMeter("3", clk, faults=[{"type": "wrong_address"}])
    s = ModbusMeter("4", clk, faults=[{"type": "wrong_address"}])
    bus = Bus([c, b, s], clk)
    assert cjt188.decode_dict(bus.receive(cjt188.read_data(0x10, c.address))[0][1])["address"] \
        == "00000000000001"
    assert mbus.decode_dict(bus.receive(mbus.req_ud2(3, True))[0][1])["a"] == 4
    assert modbus_frame.decode(bus.receive(modbus_build.read_request(4, 4, 0, 2))[0][1], "reply").address == 5
    e5 = MbusMeter("9", clk, faults=[{"type": "bad_checksum"}])
    assert Bus([e5], clk).receive(mbus.snd_nke(9)) == [(pytest.approx(0.02), b"\xE4")]


def test_state_faults_are_in_the_oracle():
    clk = VirtualClock()
    t = clk.time()
    m = Dlt645Meter(ADDR, clk, profile={"base": 0}, initial="10.00", faults=[
        {"type": "reading_jump", "at": t + 100, "amount": "+100.00"},
        {"type": "reading_backwards", "at": t + 200, "amount": "5.00"},
        {"type": "clock_drift", "ppm": 1000, "from": t}])
    clk.advance(150)
    assert dlt645.values_of(m.handle(dlt645.decode(REQ).encode(b"")))[0]["value"] == \
        Num(11000, -2)
    clk.advance(100)
    assert m.value("energy.active.import.total") == Num(10500, -2)
    assert m.model.meter_time() == pytest.approx(clk.time() + 0.25)
    w = Cjt188Meter("11223344556677", clk, faults=[{"type": "dead_battery", "from": t + 1000}])
    assert w.value("battery.low") is False
    clk.advance(1000)
    assert w.value("battery.low") is True


def test_unknown_fault_types_and_fields_are_refused():
    with pytest.raises(ValueError):
        Faults([{"type": "gremlins"}])
    with pytest.raises(ValueError):
        Faults([{"type": "no_reply", "probabilty": 0.5}])
