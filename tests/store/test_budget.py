"""The byte budget: what the file takes on flash comes back under it, and the
least valuable data goes first (real-time, hourly, daily, monthly; what has
gone upstream before what has not)."""

import os
import sqlite3
from decimal import Decimal

import pytest

from store import Store
from store.sqlite import maintenance

T = 1795017600   # 2026-11-20 00:00 local
KB = 1024
MB = 1024 * 1024


@pytest.fixture
def small_budgets(monkeypatch):
    """Budgets below the product's 16 MB floor, so that a test fills them quickly."""
    monkeypatch.setattr(maintenance, "MIN_BUDGET", 64 * KB)


def on_flash(path):
    """Bytes the store takes on the file system: the file and its WAL."""
    path = str(path)
    return os.path.getsize(path) + (os.path.getsize(path + "-wal")
                                    if os.path.exists(path + "-wal") else 0)


def realtime(n, first=0, meters=200, start=T):
    return [{"meter": "m-%04d" % (k % meters), "q": "power.active.total", "unit": "kW",
             "kind": "realtime", "ts": start + (k // meters) * 60 + 7,
             "value": Decimal("%d.123" % k), "src": "read"} for k in range(first, first + n)]


def frozen(kind, n, step, start=T, meters=200):
    return [{"meter": "m-%04d" % (k % meters), "q": "energy.active.import.total", "unit": "kWh",
             "kind": kind, "ts": start + (k // meters) * step, "value": Decimal("%d.50" % k),
             "src": "meter"} for k in range(n)]


def put(store, rows, sent):
    for i in range(0, len(rows), 5000):
        store.put_readings(rows[i:i + 5000])
    if sent:
        store.outbox_remove_upto(1 << 62)    # what the uplink does as batches are acknowledged


def test_new_files_vacuum_incrementally(tmp_path):
    s = Store(tmp_path / "s.db")
    assert s.connect().execute("PRAGMA auto_vacuum").fetchone()[0] == 2    # INCREMENTAL
    s.close()


def test_an_older_file_without_incremental_vacuum_is_converted_once(tmp_path):
    path = str(tmp_path / "s.db")
    s = Store(path, synchronous="normal")
    put(s, frozen("daily", 1000, 86400), sent=False)
    s.close()
    c = sqlite3.connect(path, isolation_level=None)     # as an older version left it
    c.execute("PRAGMA auto_vacuum = NONE")
    c.execute("VACUUM")
    assert c.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    c.close()
    s = Store(path, synchronous="normal")
    assert s.connect().execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert s.count("daily") == 1000 and s.outbox_depth()[0] == 1000
    s.close()


def test_pruning_gives_the_file_back_under_the_budget(tmp_path, small_budgets):
    path = tmp_path / "s.db"
    s = Store(path, synchronous="normal")
    put(s, realtime(300000), sent=True)
    put(s, frozen("daily", 2000, 86400), sent=True)
    peak = on_flash(path)
    assert peak > 6 * MB
    done = s.prune(T + 3600, budget_bytes=2 * MB)
    assert on_flash(path) <= 2 * MB, (peak, on_flash(path), done)
    assert done["bytes"] <= 2 * MB and s.usage()["bytes"] == on_flash(path)
    assert s.count("daily") == 2000 and 0 < s.count("realtime") < 300000
    assert s.integrity_check() == "ok"
    s.close()


def test_free_pages_are_all_given_back(tmp_path):
    path = tmp_path / "s.db"
    s = Store(path, synchronous="normal")
    put(s, realtime(200000), sent=True)
    s.wipe()
    c = s.connect()
    assert c.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert on_flash(path) < 512 * KB
    s.close()


def test_over_budget_realtime_goes_before_hourly_even_unsent(tmp_path, small_budgets):
    """The issue: 18,000 hourly values (sent) went, 427,000 real-time (unsent) stayed."""
    path = tmp_path / "s.db"
    s = Store(path, synchronous="normal")
    put(s, frozen("monthly", 400, 30 * 86400, start=T - 400 * 86400), sent=True)
    put(s, frozen("daily", 4000, 86400, start=T - 40 * 86400), sent=True)
    put(s, frozen("hourly", 18000, 3600, start=T - 4 * 86400), sent=True)
    put(s, realtime(60000, start=T - 86400), sent=True)       # older real-time: upstream
    put(s, realtime(140000, first=60000, start=T - 86400), sent=False)   # newer: uplink down
    assert on_flash(path) > 5 * MB
    done = s.prune(T, budget_bytes=3 * MB)
    assert on_flash(path) <= 3 * MB
    assert s.count("hourly") == 18000 and s.count("daily") == 4000 and s.count("monthly") == 400
    assert done["deleted"]["hourly"] == done["deleted"]["daily"] == 0
    # every sent real-time value went, then unsent ones, oldest first, and it says so
    assert done["deleted"]["realtime"] > 60000 and done["store_full"]
    assert done["dropped_unsent"] == done["deleted"]["realtime"] - 60000
    kept = s.readings("realtime")
    assert len(kept) == 200000 - done["deleted"]["realtime"]
    assert min(int(x["value"]) for x in kept) == done["deleted"]["realtime"]   # the newest stay
    assert s.outbox_depth()[0] == len(kept)          # no outbox entry points at nothing
    assert s.integrity_check() == "ok"
    s.close()


def test_sent_values_of_a_kind_go_before_its_unsent_ones(tmp_path, small_budgets):
    path = tmp_path / "s.db"
    s = Store(path, synchronous="normal")
    put(s, frozen("hourly", 30000, 3600, start=T - 10 * 86400), sent=False)   # old, unsent
    put(s, realtime(100000, start=T - 86400), sent=True)
    before = on_flash(path)
    done = s.prune(T, budget_bytes=before // 2)
    assert on_flash(path) <= before // 2
    assert not done["store_full"] and done["dropped_unsent"] == 0
    assert done["deleted"]["hourly"] == 0 and s.count("hourly") == 30000
    s.close()


def test_when_real_time_is_not_enough_hourly_goes_next(tmp_path, small_budgets):
    path = tmp_path / "s.db"
    s = Store(path, synchronous="normal")
    put(s, frozen("daily", 3000, 86400, start=T - 20 * 86400), sent=True)
    put(s, frozen("hourly", 100000, 3600, start=T - 30 * 86400), sent=True)
    put(s, realtime(2000, start=T - 3600), sent=False)
    done = s.prune(T, budget_bytes=1 * MB)
    assert on_flash(path) <= 1 * MB
    assert s.count("realtime") == 0 and done["dropped_unsent"] == 2000 and done["store_full"]
    assert 0 < s.count("hourly") < 100000 and s.count("daily") == 3000
    ts = [x["ts"] for x in s.readings("hourly")]
    assert min(ts) > T - 30 * 86400              # the oldest hours went
    s.close()


def test_close_waits_for_the_write_in_progress(tmp_path):
    """An agent stopping while its scheduler still writes (its join timed out
    under load): closing the connection under BEGIN/COMMIT crashed the process."""
    import threading
    s = Store(tmp_path / "s.db", synchronous="normal")
    inside, release, out = threading.Event(), threading.Event(), {}

    def writer():
        try:
            with s.write() as c:
                s.set_state("k", 1, c)
                inside.set()
                release.wait(30)
            out["ok"] = True
        except Exception as err:
            out["error"] = err
    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(30)
    closer = threading.Thread(target=s.close)
    closer.start()
    closer.join(0.5)                  # give close() the chance to go first
    release.set()
    t.join(30)
    closer.join(30)
    assert out == {"ok": True}
    assert Store(tmp_path / "s.db").get_state("k") == 1
