"""The simulated Modbus RTU energy meter."""

import pytest

from drivers.clock import VirtualClock
from protocols.modbus import build as modbus_build
from protocols.modbus import frame as modbus_frame
from protocols.modbus import profiles
from protocols.core.num import Num
from sim.meters import ModbusMeter


@pytest.mark.parametrize("name", ["sdm120", "eastron-sdm630", "ddsu666", "dtsu666", "em24",
                                  "generic"])
def test_planned_reads_decode_to_the_meter_values(name):
    clk = VirtualClock()
    m = ModbusMeter("7", clk, register_map=name)
    plan = profiles.plan_reads(m.rows)
    recs = profiles.extract(plan, [m.handle(r) for r in profiles.read_requests(7, plan)])
    for r in recs:
        assert "error" not in r
        if r["quantity"]:
            assert r["value"] == m.value(r["quantity"]), r["quantity"]
    energy = [r["value"] for r in recs if r["quantity"] == "energy.active.import.total"][0]
    exact = m.model.value("energy.active.import.total")
    # truncated to the row's resolution (EM24: 0.1 kWh) or rounded to float32
    assert -0.001 < float(str(exact)) - float(str(energy)) < 0.1


def test_registers_follow_the_clock():
    clk = VirtualClock()
    m = ModbusMeter("7", clk, register_map="generic", profile={"base": 3600})
    row = m.rows[0]
    first = profiles.row_value(row, modbus_frame.decode(m.handle(modbus_build.read_request(7, 3, 0, 2)),
                                                 "reply").fields["registers"])
    clk.advance(3600)
    later = profiles.row_value(row, modbus_frame.decode(m.handle(modbus_build.read_request(7, 3, 0, 2)),
                                                 "reply").fields["registers"])
    assert later.m - first.m == 360                   # 3.6 kWh in 0.01 kWh


def test_exceptions_writes_and_addressing():
    clk = VirtualClock()
    m = ModbusMeter("7", clk)
    d = modbus_frame.decode_dict(m.handle(modbus_build.read_request(7, 4, 0x1000, 2)), "reply")
    assert (d["kind"], d["exception_code"]) == ("exception", 2)
    d = modbus_frame.decode_dict(m.handle(modbus_build.read_request(7, 1, 0, 8)), "reply")
    assert (d["kind"], d["exception_code"]) == ("exception", 1)
    req = modbus_build.write_register_request(7, 0x0100, 0x1234)
    assert m.handle(req) == req
    d = modbus_frame.decode_dict(m.handle(modbus_build.write_registers_request(7, 0x0101, [1, 2])), "reply")
    assert (d["start"], d["count"]) == (0x0101, 2)
    d = modbus_frame.decode_dict(m.handle(modbus_build.read_request(7, 3, 0x0100, 3)), "reply")
    assert d["registers"] == [0x1234, 1, 2]
    d = modbus_frame.decode_dict(m.handle(modbus_build.write_register_request(7, 0x0200, 1)), "reply")
    assert d["exception_code"] == 2
    assert m.handle(modbus_build.read_request(8, 4, 0, 2)) is None
    assert m.handle(modbus_build.write_register_request(0, 0x0100, 9)) is None
    assert m.area[0x0100] == 9 and m.counters["broadcasts"] == 1


def test_single_phase_relay_open_reads_zero_power():
    clk = VirtualClock()
    m = ModbusMeter("7", clk, register_map="sdm120")
    m.model.relay_command(False)
    assert m.value("power.active.total") == Num(0)
    assert m.value("voltage.a") == m.model.value("voltage.a")
