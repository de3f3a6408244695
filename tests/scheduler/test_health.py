"""Meter health conditions are raised once per episode, not on every poll."""

from decimal import Decimal

import pytest

from drivers.clock import VirtualClock
from protocols.core import quantities
from scheduler.health import Health
from store import Params
from store import Store

T = 1795017600
METER = {"id": "m-0001", "kind": "electricity", "limits": {"power_max_kw": "5"}}


@pytest.fixture
def health(tmp_path):
    store = Store(tmp_path / "s.db", synchronous="normal")
    params = Params(tmp_path / "p.json", quantity_unit=quantities.unit_of)
    clock = VirtualClock(start=T)
    yield Health(store, params, clock), store, clock
    store.close()


def types(store):
    return [e["type"] for e in store.events()]


def reading(q, value, ts=T, kind="daily"):
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        value = Decimal(value)
    return {"q": q, "value": value, "ts": ts, "kind": kind}


def test_offline_after_consecutive_failures_and_back_online_once(health):
    h, store, _ = health
    for _ in range(5):
        h.failed("m-0001", "no reply")
    assert types(store) == ["meter_offline"]
    assert store.events()[0]["detail"]["failures"] == 3
    h.succeeded("m-0001")
    h.succeeded("m-0001")
    assert types(store) == ["meter_offline", "meter_back_online"]
    h.failed("m-0001", "x")
    h.failed("m-0001", "x")
    assert types(store) == ["meter_offline", "meter_back_online"]   # only 2 in a row


def test_reading_backwards_once_per_episode(health):
    h, store, _ = health
    q = "energy.active.import.total"
    h.values(METER, "daily", [reading(q, "100.00", T)])
    h.values(METER, "daily", [reading(q, "90.00", T + 86400)])
    h.values(METER, "daily", [reading(q, "89.00", T + 2 * 86400)])
    assert types(store) == ["reading_backwards"]
    h.values(METER, "daily", [reading(q, "95.00", T + 3 * 86400)])
    h.values(METER, "daily", [reading(q, "94.00", T + 4 * 86400)])
    assert types(store) == ["reading_backwards", "reading_backwards"]


def test_abnormal_and_zero_consumption(health):
    h, store, _ = health
    q = "energy.active.import.total"
    v = Decimal("100")
    for day in range(8):
        v += Decimal("10")
        h.values(METER, "daily", [reading(q, str(v), T + day * 86400)])
    v += Decimal("100")                                        # 10x the average
    h.values(METER, "daily", [reading(q, str(v), T + 8 * 86400)])
    assert types(store) == ["consumption_abnormal"]
    for day in range(9, 13):                                   # no consumption
        h.values(METER, "daily", [reading(q, str(v), T + day * 86400)])
    assert types(store) == ["consumption_abnormal", "consumption_zero"]


def test_overload_valve_fault_and_battery_once(health):
    h, store, _ = health
    for _ in range(3):
        h.values(METER, "realtime", [reading("power.active.total", "6.5", kind="realtime")])
    water = {"id": "m-0002", "kind": "water"}
    for _ in range(2):
        h.values(water, "realtime", [reading("valve.state", "fault", kind="realtime"),
                                     reading("battery.low", True, kind="realtime")])
    assert sorted(types(store)) == ["battery_low", "overload", "valve_fault"]


def test_episodes_survive_a_restart(health, tmp_path):
    h, store, clock = health
    for _ in range(3):
        h.failed("m-0001", "no reply")
    again = Health(store, h.params, clock)
    for _ in range(3):
        again.failed("m-0001", "no reply")
    assert types(store) == ["meter_offline"]
