"""Meters whose clocks are hours or days off, over days of virtual time.

A meter's own freeze records are found by their freeze time whatever its
clock shows; values frozen by a clock out of tolerance are stored marked
``clock_off``; and a meter whose values cannot be had raises one
``catchup_failed`` per episode (the later give-ups go to the acquisition log),
not one an hour, also over a restart.
"""

from decimal import Decimal

import pytest

from bench.harness import T0, Bench

DAY = 86400
HOUR = 3600
SCENARIO = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000001"},
    {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000002", "clock_offset": 7000},
    {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000003",
     "clock_offset": -7300},
    # 12 days ahead: its hourly records (254 hours) no longer reach our boundaries
    {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000004",
     "clock_offset": 12 * DAY}]}]}
END = T0 + 4 * DAY


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    b = Bench(tmp_path_factory.mktemp("clockoff"), SCENARIO,
              params={"plan.realtime_interval_min": 0})
    b.start()
    b.run_until(T0 + 2 * DAY + 5 * HOUR)
    b.stop()                                    # a restart keeps the open episode
    b.start()
    b.run_until(END)
    b.stop()
    yield b
    b.close()


def _id(b, address):
    return next(mid for mid, rec in b.ids.items() if rec["address"] == address)


def test_records_are_found_by_their_own_time_and_marked(days):
    b = days
    hours = range(T0 + HOUR, END - 3 * HOUR, HOUR)
    for address in ("000000000002", "000000000003"):
        mid = _id(b, address)
        sim = b.meter_of(mid)
        rows = [r for r in b.store.readings("hourly", mid)
                if r["q"] == "energy.active.import.total"]
        got = dict((r["ts"], r) for r in rows)
        assert set(hours) <= set(got), (mid, sorted(set(hours) - set(got))[:3])
        for t in hours:
            want = sim.model.frozen("hourly", t)["energy.active.import.total"]
            assert got[t]["value"] == Decimal(str(want)), (mid, t)
            assert got[t].get("clock_off") is True, (mid, t)
        daily = b.store.readings("daily", mid)
        assert daily and all(r.get("clock_off") for r in daily)
    normal = b.store.readings("hourly", _id(b, "000000000001"))
    assert normal and not any(r.get("clock_off") for r in normal)


def test_one_event_per_episode_not_one_an_hour(days):
    b = days
    failed = b.store.events(type="catchup_failed")
    far = _id(b, "000000000004")
    assert [(e["meter"], e["detail"]["kind"]) for e in failed] == [(far, "hourly")]
    logged = [r for r in b.store.logs("acquisition") if r["message"].startswith(
        "catch-up of %s hourly given up" % far)]
    assert len(logged) > 48          # every hour given up is still written down
    # the far meter's daily records are still within reach: stored, marked
    assert all(r.get("clock_off") for r in b.store.readings("daily", far))
    deviations = [e["meter"] for e in b.store.events(type="meter_clock_deviation")]
    assert sorted(deviations) == sorted(_id(b, a) for a in ("000000000002", "000000000003",
                                                            "000000000004"))
