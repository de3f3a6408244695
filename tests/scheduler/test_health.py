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


def test_a_jump_during_an_outage_is_seen_after_a_restart(health):
    """The baselines (last value, usual daily consumption) are in the store."""
    h, store, clock = health
    q = "energy.active.import.total"
    v = Decimal("100")
    for day in range(8):
        v += Decimal("10")
        h.values(METER, "daily", [reading(q, str(v), T + day * 86400)])
    assert types(store) == []
    again = Health(store, h.params, clock)             # the agent restarted after an outage
    v += Decimal("300")                                # 3 days at 10x the usual 10 a day
    again.values(METER, "daily", [reading(q, str(v), T + 10 * 86400)])
    assert types(store) == ["consumption_abnormal"]
    assert store.events()[0]["detail"] == {"consumption": "300", "days": 3, "average": "10"}
    third = Health(store, h.params, clock)             # and backwards after another restart
    third.values(METER, "daily", [reading(q, "50", T + 11 * 86400)])
    assert types(store) == ["consumption_abnormal", "reading_backwards"]


def test_the_stopped_watch_and_tamper_counts_survive_a_restart(health):
    h, store, clock = health
    q = "energy.active.import.total"
    h.values(METER, "realtime", [reading(q, "10.00", T, "realtime"),
                                 reading("power.active.total", "1.5", T, "realtime"),
                                 reading("count.cover_open", Decimal("2"), T, "realtime")])
    again = Health(store, h.params, clock)
    again.values(METER, "realtime", [reading(q, "10.00", T + 90000, "realtime"),
                                     reading("power.active.total", "1.5", T + 90000, "realtime"),
                                     reading("count.cover_open", Decimal("3"), T + 90000,
                                             "realtime")])
    assert types(store) == ["meter_stopped", "tamper"]
    assert store.events()[1]["detail"] == {
        "evidence": [{"q": "count.cover_open", "previous": "2", "value": "3"}]}


def test_limits_daily_max_and_zero_days_of_the_archive(health):
    h, store, _ = health
    q = "volume.total"
    water = {"id": "w-1", "kind": "water", "limits": {"daily_max": "2.5", "zero_days": 2}}
    h.values(water, "daily", [reading(q, "10.000", T)])
    h.values(water, "daily", [reading(q, "12.000", T + 86400)])          # 2 m3: fine
    assert types(store) == []
    h.values(water, "daily", [reading(q, "14.600", T + 2 * 86400)])      # 2.6 m3 > 2.5
    assert types(store) == ["consumption_abnormal"]
    assert store.events()[0]["detail"] == {"consumption": "2.600", "days": 1,
                                           "daily_max": "2.5"}
    h.values(water, "daily", [reading(q, "14.600", T + 3 * 86400)])
    assert types(store) == ["consumption_abnormal"]                      # 1 day of 2
    h.values(water, "daily", [reading(q, "14.600", T + 4 * 86400)])
    assert types(store) == ["consumption_abnormal", "consumption_zero"]
    assert store.events()[1]["detail"] == {"days": 2}                   # not the default 3


def test_a_new_last_tamper_record_is_evidence_an_unchanged_one_is_not(health):
    h, store, _ = health
    q = "tamper.cover.last"
    h.values(METER, "realtime", [reading(q, "2026-10-01T08:00:00", kind="realtime")])
    h.values(METER, "realtime", [reading(q, "2026-10-01T08:00:00", T + 900, "realtime")])
    assert types(store) == []
    h.values(METER, "realtime", [reading(q, "2026-11-01T09:30:00", T + 1800, "realtime")])
    (event,) = store.events()
    assert event["type"] == "tamper" and event["detail"] == {"evidence": [
        {"q": q, "previous": "2026-10-01T08:00:00", "value": "2026-11-01T09:30:00"}]}
