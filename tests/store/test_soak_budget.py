"""Soak: a month of the whole engine on simulated meters at a small byte
budget (``make soak``).

Real-time values every 15 minutes fill the store several times over; the
uplink (played by the test: the outbox is emptied every hour, as acknowledged
batches do) works for 20 days, then is down to the end.  Every simulated hour
the store's file and WAL on disk are within the budget (at once, or after the
budget pass the last commit started: one virtual second), and pruning went
in order: real-time values only, never an hourly, daily or monthly one;
unsent real-time values only while the uplink was down, with ``store_full``.
"""

import pytest

from bench.harness import T0, Bench
from scheduler import store_watch
from store.sqlite import maintenance
from tests.store.test_budget import on_flash

pytestmark = pytest.mark.soak

KB = 1024
DAY = 86400
SCENARIO = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "modbus", "kind": "electricity", "count": 4, "first_address": "1"}]}]}
UPLINK_DOWN = T0 + 20 * DAY
END = T0 + 31 * DAY


def test_a_month_over_a_small_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(maintenance, "MIN_BUDGET", 64 * KB)
    monkeypatch.setattr(store_watch, "MB", 32 * KB)        # "16 MB" is 512 KB here
    budget = 16 * 32 * KB
    b = Bench(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 15,
                                          "store.budget_mb": 16,
                                          "retention.realtime_days": 365})   # the budget prunes
    store = b.store
    b.start()
    frozen = dict((k, 0) for k in ("hourly", "daily", "monthly"))
    realtime_drops = 0
    last_realtime = 0
    seen_over = 0
    try:
        t = T0
        while t < END:
            t += 3600
            b.run_until(t)
            if t <= UPLINK_DOWN:
                store.outbox_remove_upto(1 << 62)
            size = on_flash(store.path)
            if size > budget:           # a commit just went over: its pass runs at once
                seen_over += 1
                b.run_until(b.clock.time() + 1)
                size = on_flash(store.path)
            assert size <= budget, (t - T0) / DAY
            for kind in frozen:         # never pruned: they are worth more than real-time
                n = store.count(kind)
                assert n >= frozen[kind], (kind, (t - T0) / DAY)
                frozen[kind] = n
            n = store.count("realtime")
            if n < last_realtime:
                realtime_drops += 1
            last_realtime = n
            events = store.events(type="store_full")
            assert t > UPLINK_DOWN or events == []      # only unsent values raise it
    finally:
        b.close()
    store = b.store
    assert realtime_drops > 10                  # the budget was reached again and again
    assert frozen["hourly"] >= 0.9 * 4 * 2 * 24 * 31 and frozen["daily"] >= 0.9 * 4 * 31
    assert frozen["monthly"] >= 4
    kept = store.readings("realtime")
    assert min(r["ts"] for r in kept) > T0 + 10 * DAY       # the oldest went first
    (first, *_) = store.events(type="store_full")
    assert first["ts"] > UPLINK_DOWN and first["detail"]["dropped_unsent"] > 0
    assert store.integrity_check() == "ok"
    store.close()
