"""31 days of the whole engine with power, bus and radio outages, in virtual time.

Afterwards every daily and monthly boundary is stored exactly once for every
meter that could give it, with the value the simulated meter had (it is the
oracle) and the right source: ``meter`` for the meter's own frozen record,
``catchup`` when that record was fetched after an outage, ``read`` for
protocols without frozen records (read after the boundary, with the read
time).  Boundaries that no meter could give (no history, an outage longer
than the read window) are exactly the ones reported in ``catchup_failed``.
"""

from decimal import Decimal

import pytest

from scheduler.frozen import READ_WINDOW, depth
from bench.harness import T0, Bench

DAY = 86400
SCENARIO = {
    "port": [
        {"name": "bus1", "baud": 2400, "meters": [
            {"protocol": "dlt645-2007", "count": 3, "first_address": "000000000001"},
            {"protocol": "dlt645-1997", "count": 1, "first_address": "000000000091"}]},
        {"name": "bus2", "baud": 2400, "meters": [
            {"protocol": "cjt188", "kind": "water", "count": 2, "first_address": "00000000000011"},
            {"protocol": "cjt188", "kind": "heat", "count": 1, "first_address": "00000000000015"},
            {"protocol": "mbus", "kind": "heat", "count": 2, "first_address": "21"}]},
        {"name": "bus3", "baud": 9600, "meters": [
            {"protocol": "modbus", "count": 2, "first_address": "1"}]},
    ],
    "radio": {"name": "radio", "baud": 9600, "delay": 0.5, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000031"}]},
}
# quantities a protocol's frozen record does not carry (CJ/T188 901F gives a
# heat meter's settlement heat, not its settlement volume)
NOT_IN_RECORD = {("cjt188", "heat"): ("volume.total",)}
# (start, end) in true time: when the agent was without power
POWER = [(T0 + 3 * DAY + 13 * 3600, T0 + 3 * DAY + 18 * 3600),    # 22:00 -> 03:00
         (T0 + 10 * DAY - 3600, T0 + 12 * DAY + 3 * 3600)]         # 08:00 -> 12:00 two days on
BUS2 = (T0 + 18 * DAY + 14 * 3600, T0 + 18 * DAY + 21 * 3600)     # 23:00 -> 06:00
RADIO = (T0 + 23 * DAY + 11 * 3600, T0 + 23 * DAY + 19 * 3600)    # 20:00 -> 04:00
END = T0 + 31 * DAY + 2 * 3600


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    b = Bench(tmp_path_factory.mktemp("month"), SCENARIO,
              params={"plan.realtime_interval_min": 60})
    bus2_line = next(p["line"] for p in b.sc.ports if p["name"] == "bus2")
    radio = b.sc.radio["module"]
    actions = sorted([(s, "power_off") for s, _ in POWER] + [(e, "power_on") for _, e in POWER] +
                     [(BUS2[0], "bus2_down"), (BUS2[1], "bus2_up"),
                      (RADIO[0], "radio_down"), (RADIO[1], "radio_up"), (END, "end")])
    b.start()
    for at, what in actions:
        b.run_until(at)
        if what == "power_off":
            b.stop()
        elif what == "power_on":
            b.start()
        elif what == "bus2_down":
            bus2_line.down = True
        elif what == "bus2_up":
            bus2_line.down = False
        elif what == "radio_down":
            radio.outage(True)
        elif what == "radio_up":
            radio.outage(False)
    b.stop()
    yield b
    b.close()


def _outage_for(meter_rec):
    spans = list(POWER)
    if meter_rec["port"] == "bus2":
        spans.append(BUS2)
    if meter_rec.get("radio"):
        spans.append(RADIO)
    return spans


def _reachable_between(spans, start, end):
    """True when the agent could talk to the meter at some time in [start, end)."""
    t = start
    for s, e in sorted(spans):
        if s <= t < e:
            t = e
    return t < end


def _check(b, kind, boundaries, failed):
    plan_items = dict((k, b.params.get("plan.items.%s.%s" % (k, kind)))
                      for k in ("electricity", "water", "gas", "heat"))
    counts = {"meter": 0, "catchup": 0, "read": 0, "missing": 0}
    for mid, rec in b.ids.items():
        sim = b.meter_of(mid)
        stored = dict(((r["ts"], r["q"]), r) for r in b.store.readings(kind, mid))
        assert len(stored) == len(b.store.readings(kind, mid)), "duplicates for %s" % mid
        has_history = depth(rec["protocol"], kind) > 0
        offered = [q for q in plan_items[rec["kind"]] if _offers(sim, q)]
        assert offered, mid
        for bnd in boundaries:
            frozen = sim.frozen(kind, bnd) or {} if has_history else {}
            for q in offered:
                if has_history and (q not in frozen or q in NOT_IN_RECORD.get((rec["protocol"], rec["kind"]), ())):
                    continue      # the protocol's frozen record does not hold it
                r = stored.get((bnd, q))
                reachable = _reachable_between(_outage_for(rec), bnd + 60, bnd + READ_WINDOW[kind])
                if r is None:
                    assert not has_history and not reachable, (mid, kind, bnd, q)
                    assert (mid, kind, bnd) in failed, "gap not reported: %s %s %d" % (mid, kind, bnd)
                    counts["missing"] += 1
                    continue
                counts[r["src"]] += 1
                if has_history:
                    assert r["src"] in ("meter", "catchup"), (mid, bnd, q, r)
                    assert r["value"] == Decimal(str(sim.frozen(kind, bnd)[q])), (mid, bnd, q)
                    if r["src"] == "meter":
                        assert reachable, (mid, bnd, q)
                else:
                    assert r["src"] == "read" and bnd <= r["read_ts"] < bnd + READ_WINDOW[kind]
                    lo = sim.value(q, r["read_ts"])
                    hi = sim.value(q, r["read_ts"] + 5)
                    assert Decimal(str(lo)) <= r["value"] <= Decimal(str(hi)), (mid, bnd, q, r)
    return counts


def _offers(sim, q):
    """Whether the simulated meter has quantity ``q`` at all (Modbus maps have no tariffs)."""
    if sim.protocol == "modbus":
        return q in set(row[0] for row in sim.rows)
    try:
        return sim.value(q) is not None
    except KeyError:
        return False


def _failed(b):
    """Every boundary given up: each is in the acquisition log; the first of an
    episode also in its one ``catchup_failed`` event."""
    out = set()
    for e in b.store.events(type="catchup_failed"):
        for text in e["detail"]["boundaries"]:
            out.add((e["meter"], e["detail"]["kind"], _utc(text)))
    logged = set()
    for r in b.store.logs("acquisition"):
        if r["message"].startswith("catch-up of "):
            d = r["detail"]
            logged.update((d["meter"], d["kind"], _utc(text)) for text in d["boundaries"])
    assert out <= logged
    return logged


def _utc(text):
    import calendar
    import time
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S")) - 8 * 3600


def test_every_daily_boundary_once_with_the_meters_values(month):
    b = month
    first = T0 - 9 * 3600 + DAY                # 2026-11-02 00:00 local, the first after T0
    counts = _check(b, "daily", list(range(first, END, DAY)), _failed(b))
    assert counts["catchup"] > 0 and counts["meter"] > counts["catchup"] and counts["read"] > 0
    assert counts["missing"] > 0   # CJ/T188/M-Bus/Modbus days lost in the two-day outage


def test_the_monthly_boundary_with_settlement_values(month):
    dec1 = T0 - 9 * 3600 + 30 * DAY          # 2026-12-01 00:00 local
    counts = _check(month, "monthly", [dec1], _failed(month))
    assert counts["meter"] >= 10 and counts["missing"] == 0


def test_hourly_values_of_meters_with_hourly_records_are_all_there(month):
    b = month
    hours = list(range(T0 + 3600 - T0 % 3600, END - 3600, 3600))
    for mid, rec in b.ids.items():
        if rec["protocol"] != "dlt645-2007":
            continue
        stored = set(r["ts"] for r in b.store.readings("hourly", mid)
                     if r["q"] == "energy.active.import.total")
        assert set(hours) <= stored, (mid, sorted(set(hours) - stored)[:5])


def test_outages_show_as_events(month):
    b = month
    ups = [e for e in b.store.events(type="power_up")]
    assert len(ups) == 3
    downtimes = sorted(e["detail"]["downtime_s"] for e in ups[1:])
    assert abs(downtimes[0] - 5 * 3600) <= 300 and abs(downtimes[1] - (2 * DAY + 4 * 3600)) <= 300
    offline = set(e["meter"] for e in b.store.events(type="meter_offline"))
    back = set(e["meter"] for e in b.store.events(type="meter_back_online"))
    bus2 = set(mid for mid, r in b.ids.items() if r["port"] == "bus2")
    radio = set(mid for mid, r in b.ids.items() if r.get("radio"))
    assert bus2 <= offline and bus2 <= back
    assert radio <= offline and radio <= back
