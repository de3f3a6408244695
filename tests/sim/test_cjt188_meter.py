"""Simulated CJ/T188 water, gas and heat meters."""

import datetime

import pytest

from drivers.clock import VirtualClock
from protocols.cjt188 import codec
from protocols.core.deframer import frames_in
from protocols.core.num import Num
from sim.meters import Cjt188Meter
from sim.model_clock import epoch_of_local

ADDR = "11223344556677"


def setup(kind="water", **options):
    clk = VirtualClock(start=epoch_of_local(datetime.datetime(2026, 9, 21, 10, 20), 8 * 3600))
    return clk, Cjt188Meter(ADDR, clk, kind=kind, **options)


def ask(meter, frame):
    return meter.handle(frames_in(codec.Deframer(), frame)[0])


def current(meter, **kw):
    return codec.decode_dict(ask(meter, codec.read_data(meter.meter_type, meter.address, **kw)))


def vals(d):
    return dict((r["name"], r["value"]) for r in d["values"])


@pytest.mark.parametrize("kind,mtype", [("water", 0x10), ("gas", 0x30)])
def test_water_and_gas_current_data_equal_the_oracle(kind, mtype):
    clk, m = setup(kind, profile={"base": 360})       # 0.36 m3/h = 0.01 m3 per 100 s
    d = current(m, ser=7)
    assert (d["meter_type"], d["ser"], d["di"]) == ("%02X" % mtype, 7, "901F")
    v = vals(d)
    assert v["current_volume"] == m.value("volume.total")
    assert v["settlement_volume"] == m.frozen("monthly", m.boundary("monthly", 1))["volume.total"]
    assert d["meter_time"] == "2026-09-21T10:20:00"
    assert (d["valve_state"], d["battery_low"]) == ("open", False)
    clk.advance(1000)
    assert vals(current(m))["current_volume"].m == v["current_volume"].m + 10
    assert ask(m, codec.read_data(mtype, ADDR)).startswith(b"\xFE" * 4 + b"\x68")


def test_heat_meter_current_data():
    clk, m = setup("heat")
    d = current(m)
    v = vals(d)
    assert d["meter_type"] == "20"
    assert v["current_heat"] == m.value("heat.energy.total")
    frozen = m.frozen("monthly", m.boundary("monthly", 1))
    assert v["settlement_heat"] == frozen["heat.energy.total"]
    for name, q in (("power", "heat.power"), ("flow", "flow.rate"), ("volume", "volume.total"),
                    ("supply_temp", "temperature.supply"), ("return_temp", "temperature.return"),
                    ("working_hours", "time.operating")):
        assert v[name] == m.value(q), name


def test_history_months_are_the_settlement_values():
    clk, m = setup()
    for month in (1, 2, 12):
        d = codec.decode_dict(ask(m, codec.read_history(0x10, ADDR, month)))
        frozen = m.frozen("monthly", m.boundary("monthly", month))
        assert d["values"][0]["value"] == frozen["volume.total"]
    young = Cjt188Meter("00000000000001", clk, installed=clk.time() - 40 * 86400)
    d = codec.decode_dict(ask(young, codec.read_history(0x10, young.address, 3)))
    assert d["values"][0]["value"] is None


def test_read_address_wildcards_and_wrong_addresses():
    clk, m = setup()
    d = codec.decode_dict(ask(m, codec.read_address(ser=3)))
    assert (d["control"], d["address"], d["meter_type"], d["ser"]) == ("0x83", ADDR, "10", 3)
    pattern = codec.request(0xAA, "AAAAAAAAAAAA77", 0x810A)
    assert codec.decode_dict(ask(m, pattern))["address"] == ADDR
    assert ask(m, codec.request(0xAA, "AAAAAAAAAAAA78", 0x810A)) is None
    assert ask(m, codec.read_data(0x10, "11223344556678")) is None
    assert ask(m, codec.read_data(0x20, ADDR)) is None                 # another meter type


def test_valve_close_with_motor_time_and_stuck_valve():
    clk, m = setup(motor_seconds=10, profile={"base": 3600})
    d = codec.decode_dict(ask(m, codec.valve(0x10, ADDR, "close", ser=1)))
    assert (d["control"], d["valve_state"]) == ("0x84", "open")       # still moving
    clk.advance(10)
    assert current(m)["valve_state"] == "closed"
    v = vals(current(m))["current_volume"]
    clk.advance(3600)
    assert vals(current(m))["current_volume"] == v
    assert vals(current(m))["current_volume"] == m.value("volume.total")
    clk2, stuck = setup(faults=[{"type": "stuck_valve"}])
    d = codec.decode_dict(ask(stuck, codec.valve(0x10, ADDR, "close")))
    assert (d["valve_state"], d["status"][:2]) == ("fault", "03")
    assert stuck.model.gate.state(clk2.time())


def test_battery_flag_and_di_order():
    clk, m = setup(faults=[{"type": "dead_battery"}])
    d = current(m, di_order="be")
    assert (d["battery_low"], d["di_wire"]) == (True, "901F")
    assert current(m, di_order="le")["di_wire"] == "1F90"
    clk, strict = setup(di_order="be")
    assert current(strict, di_order="be")["is_error"] is False
    d = current(strict, di_order="le")
    assert (d["is_error"], d["control"]) == (True, "0xC1")


def test_write_time_meter_base_and_abnormal_replies():
    clk, m = setup()
    d = codec.decode_dict(ask(m, codec.write_time(0x10, ADDR, "2026-09-21T10:30:00")))
    assert d["control"] == "0x84"
    assert m.value("meter.datetime") == "2026-09-21T10:30:00"
    d = codec.decode_dict(ask(m, codec.write_meter_base(0x10, ADDR, "4321.00")))
    assert d["control"] == "0x96"
    assert m.value("volume.total") == Num(432100, -2)
    assert vals(current(m))["current_volume"] == Num(432100, -2)
    d = codec.decode_dict(ask(m, codec.read_data(0x10, ADDR, 0x8102)))
    assert (d["control"], d["is_error"]) == ("0xC1", True)
    assert m.counters["errors"] == 1
