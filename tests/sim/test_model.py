"""The meter model: exact registers, tariffs, valve, clock, frozen values, faults."""

import datetime

import pytest

from drivers.clock import VirtualClock
from protocols.core.num import Num
from sim.model import MeterModel
from sim.model_clock import Boundaries, MeterClock, epoch_of_local
from sim.model_profile import ELECTRICITY_SHAPE, Integrator, LoadProfile

H = 3600
DAY = 86400


def clock():
    # 2026-09-21 00:00 local (UTC+8): day boundaries are easy to reason about
    return VirtualClock(start=epoch_of_local(datetime.datetime(2026, 9, 21), 8 * H))


def flat(base):
    return {"base": base}


def test_profile_is_deterministic_per_seed_and_day():
    a = LoadProfile(500, ELECTRICITY_SHAPE, 20, seed=7)
    b = LoadProfile(500, ELECTRICITY_SHAPE, 20, seed=7)
    c = LoadProfile(500, ELECTRICITY_SHAPE, 20, seed=8)
    days = range(20000, 20030)
    assert [a.day_rates(d) for d in days] == [b.day_rates(d) for d in days]
    assert [a.day_rates(d) for d in days] != [c.day_rates(d) for d in days]
    for d in days:
        for h in range(24):
            nominal = 500 * ELECTRICITY_SHAPE[h] // 100
            assert nominal * 80 // 100 - 1 <= a.day_rates(d)[h] <= nominal * 120 // 100 + 1


def test_integrator_is_exact_and_split_by_band():
    p = LoadProfile(100, tuple(range(24)), 0)
    bands = (1,) * 12 + (2,) * 12
    integ = Integrator(p, 0, 0, bands)
    t = 3 * DAY + 13 * H + 600
    day = 3 * sum(100 * h // 100 * H for h in range(24))
    first = sum(h * H for h in range(12))
    assert sum(integ.at(t)) == day + first + 12 * H + 13 * 600
    assert integ.at(t)[0] == 3 * first + first


def test_register_grows_exactly_with_a_flat_profile():
    clk = clock()
    m = MeterModel(clk, "electricity", flat(3600), initial="100.00")
    v0 = m.value("energy.active.import.total")
    clk.advance(H)                       # 3600 W for one hour = 3.60 kWh
    assert m.value("energy.active.import.total") == Num(v0.m + 360, -2)
    clk.advance(10)                      # 10 s = 0.01 kWh exactly
    assert m.value("energy.active.import.total") == Num(v0.m + 361, -2)


def test_tariffs_always_sum_to_the_total_and_never_go_back():
    clk = clock()
    m = MeterModel(clk, "electricity", None, initial="1234.57")
    last = None
    for _ in range(60):
        clk.advance(1777)
        parts = [m.value("energy.active.import.t%d" % k) for k in range(1, 5)]
        total = m.value("energy.active.import.total")
        assert sum(p.m for p in parts) == total.m
        if last:
            assert all(p.m >= q.m for p, q in zip(parts, last))
        last = parts
    with pytest.raises(KeyError):
        m.value("energy.active.import.t5")


def test_valve_closed_period_stops_the_integral_exactly():
    clk = clock()
    m = MeterModel(clk, "water", flat(3600), motor_seconds=30)   # 3.6 m3/h = 1 L/s
    v0 = m.value("volume.total")
    assert m.valve_command(False)
    assert m.valve_state() == "open"                             # motor still moving
    clk.advance(30)
    assert m.valve_state() == "closed"
    clk.advance(2 * H)
    assert m.value("flow.rate") == Num(0)
    closed = m.value("volume.total")
    assert closed.m - v0.m == 3                                  # 30 L = 0.03 m3
    m.valve_command(True)
    clk.advance(30 + 600)
    assert m.value("volume.total").m - closed.m == 60            # 600 s x 1 L/s
    assert m.value("volume.total", clk.time() - H).m == closed.m  # the past stays


def test_stuck_valve_refuses_and_reports_a_fault():
    clk = clock()
    m = MeterModel(clk, "water")
    m.stuck_valve(clk.time() + 10, clk.time() + 1000)
    assert m.valve_state() == "open"
    clk.advance(20)
    assert not m.valve_command(False)
    assert m.valve_state() == "fault"
    assert m.gate.state(clk.time())
    clk.advance(1000)
    assert m.valve_state() == "open"


def test_meter_clock_offset_drift_and_sets():
    mc = MeterClock(1000.0, offset=5, drift_ppm=100)
    assert mc.time(1000.0) == 1005.0
    assert mc.time(1000.0 + 1e6) == pytest.approx(1000.0 + 1e6 + 5 + 100)
    mc.set_time(50000.0, 20000.0)
    assert mc.time(20000.0) == 50000.0
    assert mc.reached(50000.0) == 20000.0        # jumped over: frozen at the jump
    assert mc.reached(1005.0) == 1000.0


def test_frozen_values_follow_the_meter_clock():
    clk = clock()
    fast = MeterModel(clk, "electricity", flat(3600), clock_offset=600)   # 10 min fast
    right = MeterModel(clk, "electricity", flat(3600))
    clk.advance(DAY + 5)
    b = right.boundary("daily", 1)
    assert fast.boundary("daily", 1) == b
    assert right.frozen("daily", b)["energy.active.import.total"] == \
        right.value("energy.active.import.total", b)
    # the fast meter froze 600 s before the true boundary
    assert fast.frozen("daily", b)["energy.active.import.total"] == \
        fast.value("energy.active.import.total", b - 600)


def test_frozen_is_none_before_install_beyond_depth_and_in_the_future():
    clk = clock()
    now = clk.time()
    m = MeterModel(clk, "water", installed=now - 5 * DAY + 1)
    assert m.frozen("daily", m.boundary("daily", 5)) is not None
    assert m.frozen("daily", m.boundary("daily", 6)) is None          # before install
    assert m.frozen("daily", now + DAY) is None                        # future
    assert m.frozen("daily", m.boundary("daily", 1) + 60) is None      # not a boundary
    old = MeterModel(clk, "electricity")
    assert old.frozen("hourly", old.boundary("hourly", 254)) is not None
    assert old.frozen("hourly", old.boundary("hourly", 255)) is None
    assert old.frozen("daily", old.boundary("daily", 63)) is None
    assert set(old.frozen("hourly", old.boundary("hourly", 1))) == {
        "energy.active.import.total", "energy.active.export.total"}


def test_monthly_boundaries_use_the_settlement_day():
    b = Boundaries(8 * H, settle_day=15, settle_hour=0)
    mt = epoch_of_local(datetime.datetime(2026, 3, 10, 12), 8 * H)
    assert b.nth("monthly", 1, mt) == epoch_of_local(datetime.datetime(2026, 2, 15), 8 * H)
    assert b.nth("monthly", 3, mt) == epoch_of_local(datetime.datetime(2025, 12, 15), 8 * H)
    assert b.index("monthly", b.nth("monthly", 3, mt), mt) == 3


def test_reading_jumps_are_part_of_the_oracle():
    clk = clock()
    m = MeterModel(clk, "water", flat(0), initial="10.00")
    t = clk.time()
    m.add_jump("100.00", t + 100)
    m.add_jump("-5.00", t + 200)
    assert m.value("volume.total", t + 50) == Num(1000, -2)
    assert m.value("volume.total", t + 150) == Num(11000, -2)
    assert m.value("volume.total", t + 250) == Num(10500, -2)


def test_heat_meter_flow_follows_thermal_power():
    clk = clock()
    m = MeterModel(clk, "heat", flat(10000))    # 10 kW at dT 15 K: 573 L/h
    assert m.value("heat.power") == Num(10000, -3)
    assert m.value("flow.rate") == Num(10000 * 86 // 1500, -3)
    assert m.value("temperature.difference") == Num(1500, -2)


def test_demand_of_a_flat_profile_is_its_power():
    clk = clock()
    m = MeterModel(clk, "electricity", flat(2500))
    assert m.value("demand.active.import.max.total") == Num(25000, -4)
    m.relay_command(False)
    clk.advance(H)
    assert m.value("power.active.total") == Num(0, -3)
    assert m.value("relay.state") == "open"
