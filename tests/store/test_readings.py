"""The SQLite store: exact values, one value per boundary, outbox, pruning, schema."""

import sqlite3
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from store import SchemaError, Store, codec

T = 1795017600   # 2026-11-20 00:00 local


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db", synchronous="normal")
    yield s
    s.close()


def r(meter="m-0001", q="energy.active.import.total", kind="daily", ts=T, value="12345.67",
      src="meter", unit="kWh", **kw):
    if isinstance(value, str) and value.lstrip("-").replace(".", "", 1).isdigit():
        value = Decimal(value)
    out = {"meter": meter, "q": q, "unit": unit, "kind": kind, "ts": ts, "value": value, "src": src}
    out.update(kw)
    return out


def test_values_come_back_with_the_meters_digits(store):
    store.put_readings([r(value="0.0000", q="power.active.total", unit="kW", kind="realtime",
                          ts=T + 17, src="read"),
                        r(value="1200"), r(value="-0.05", q="power_factor.total", unit="",
                                          ts=T + 86400)])
    got = dict((x["q"], x["value"]) for x in store.readings("realtime") + store.readings("daily"))
    assert str(got["power.active.total"]) == "0.0000"
    assert str(got["energy.active.import.total"]) == "1200"
    assert str(got["power_factor.total"]) == "-0.05"
    (rt,) = store.readings("realtime")
    assert rt["ts"] == T + 17 and rt["src"] == "read"


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4,
                   min_value=Decimal("-999999999999"), max_value=Decimal("999999999999")))
def test_any_meter_decimal_round_trips_exactly(tmp_path_factory, value):
    s = Store(tmp_path_factory.mktemp("d") / "s.db", synchronous="normal")
    s.put_readings([r(value=value)])
    (back,) = s.readings("daily")
    assert back["value"] == value and str(back["value"]) == str(value)
    s.close()


def test_states_flags_and_meter_clocks(store):
    store.put_readings([r(q="valve.state", unit="", value="fault", kind="realtime"),
                        r(q="battery.low", unit="", value=True, kind="realtime"),
                        r(q="meter.datetime", unit="", value="2026-11-20T00:00:07", kind="realtime")])
    got = dict((x["q"], x["value"]) for x in store.readings("realtime"))
    assert got == {"valve.state": "fault", "battery.low": True,
                   "meter.datetime": "2026-11-20T00:00:07"}


def test_one_value_per_meter_quantity_kind_and_boundary(store):
    assert store.put_readings([r(value="1.00")]) == 1
    assert store.put_readings([r(value="2.00", src="catchup")]) == 0
    (x,) = store.readings("daily")
    assert x["value"] == Decimal("1.00") and x["src"] == "meter"
    assert store.outbox_depth()[0] == 1


def test_an_empty_value_is_filled_by_a_later_read(store):
    store.put_readings([r(value=None)])
    assert store.put_readings([r(value="3.00", src="catchup")]) == 1
    (x,) = store.readings("daily")
    assert x["value"] == Decimal("3.00") and x["src"] == "catchup"


def test_read_time_of_a_value_read_after_its_boundary(store):
    store.put_readings([r(kind="hourly", src="read", read_ts=T + 95)])
    (x,) = store.readings("hourly")
    assert x["ts"] == T and x["read_ts"] == T + 95


def test_outbox_lists_commits_in_order_whatever_their_time(store):
    store.put_readings([r(ts=T + 86400)])
    store.put_readings([r(ts=T)])                       # caught up later, older boundary
    eid = store.put_event(T, "meter_offline", "warning", "m-0001", {"failures": 3})
    pending = store.outbox_pending()
    assert [p[1] for p in pending] == ["daily", "daily", "event"]
    assert [p[2]["ts"] for p in pending[:2]] == [T + 86400, T]
    assert pending[2][2]["id"] == eid
    store.outbox_remove([pending[0][0]])
    assert store.outbox_depth()[0] == 2
    store.outbox_remove_upto(pending[-1][0])
    assert store.outbox_depth() == (0, None)


def test_present_maps_meters_to_boundaries(store):
    store.put_readings([r(meter="a", ts=T), r(meter="a", ts=T + 86400), r(meter="b", ts=T),
                        r(meter="c", ts=T, value=None)])
    assert store.present("daily", T, T + 2 * 86400) == {
        "a": {T: {"energy.active.import.total"}, T + 86400: {"energy.active.import.total"}},
        "b": {T: {"energy.active.import.total"}}}


def test_reading_rows_stay_small(store):
    rows = [r(meter="m-%04d" % m, kind="hourly", ts=T + h * 3600, value="%d.%02d" % (10000 + h, m % 100))
            for h in range(48) for m in range(200)]
    store.put_readings(rows)
    store.outbox_remove_upto(1 << 62)
    c = store.connect()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = c.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'r_hourly'").fetchone()[0]
    assert size / len(rows) <= 24


def test_retention_keeps_what_has_not_gone_upstream(store):
    old, new = T - 100 * 86400, T
    store.put_readings([r(kind="hourly", ts=old), r(kind="hourly", ts=new)])
    done = store.prune(T + 3600, {"hourly": 45})
    assert done["deleted"]["hourly"] == 0               # both still in the outbox
    store.outbox_remove_upto(1 << 62)
    done = store.prune(T + 3600, {"hourly": 45})
    assert done["deleted"]["hourly"] == 1
    assert [x["ts"] for x in store.readings("hourly")] == [new]


def test_budget_drops_realtime_first_then_unsent_data_and_says_so(tmp_path):
    s = Store(tmp_path / "b.db", synchronous="normal")
    rows = []
    for k in range(60000):
        rows.append(r(meter="m-%04d" % (k % 1000), kind="realtime", ts=T + (k // 1000) * 60 + 1,
                      value="%d.00" % k, src="read"))
    s.put_readings(rows)
    s.put_readings([r(meter="m-0001", kind="monthly", ts=T)])
    s.outbox_remove_upto(1 << 62)
    done = s.prune(T, budget_bytes=16 * 1024 * 1024)
    assert not done["store_full"] and done["deleted"]["realtime"] == 0   # under budget
    # shrink the budget below what is stored (the floor is 16 MB: fake a larger store)
    from store.sqlite import maintenance
    maintenance.MIN_BUDGET = 1
    try:
        done = s.prune(T, budget_bytes=200 * 1024)
    finally:
        maintenance.MIN_BUDGET = 16 * 1024 * 1024
    assert done["deleted"]["realtime"] > 0 and not done["store_full"]
    assert s.count("monthly") == 1                      # the valuable kind is kept
    s.put_readings([r(meter="m-%04d" % k, kind="hourly", ts=T + 3600, value="1.00")
                    for k in range(1000)])              # unsent, and over budget
    maintenance.MIN_BUDGET = 1
    try:
        done = s.prune(T, budget_bytes=8 * 1024)
    finally:
        maintenance.MIN_BUDGET = 16 * 1024 * 1024
    assert done["store_full"] and done["dropped_unsent"] > 0
    assert s.integrity_check() == "ok"
    s.close()


def test_events_logs_and_state(store):
    eid = store.put_event(T, "reading_backwards", "critical", "m-0002", {"value": Decimal("1.5")})
    assert store.event(eid)["detail"] == {"value": "1.5"}
    assert [e["type"] for e in store.events(type="reading_backwards")] == ["reading_backwards"]
    store.log("operation", T, "started")
    store.log("login", T + 1, "root on ttyS0")
    assert [x["message"] for x in store.logs("operation")] == ["started"]
    with pytest.raises(ValueError):
        store.log("gossip", T, "x")
    store.set_state("k", {"a": [1, 2]})
    assert store.get_state("k") == {"a": [1, 2]} and store.get_state("none", 5) == 5


def test_a_newer_schema_or_a_foreign_file_is_refused(tmp_path):
    p = tmp_path / "new.db"
    Store(p).close()
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 99")
    c.close()
    with pytest.raises(SchemaError) as err:
        Store(p)
    assert "schema version 99" in str(err.value)
    f = tmp_path / "foreign.db"
    c = sqlite3.connect(f)
    c.execute("CREATE TABLE x (y)")
    c.close()
    with pytest.raises(SchemaError):
        Store(f)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SchemaError) as err:
        Store(junk)
    assert "restore a backup" in str(err.value)


def test_keys_put_time_first():
    k1 = codec.key_of(T, 5, 3)
    k2 = codec.key_of(T + 60, 1, 1)
    assert k1 < k2 and codec.split_key(k1) == (T, 5, 3)
    with pytest.raises(codec.EncodingError):
        codec.key_of(1000, 1, 1)


def test_ranges_are_half_open_on_each_values_ts_seconds_included(store):
    """mqtt.md: [from, to) compared with each stored value's ts: the read time of a
    real-time value (with its seconds), the boundary of a frozen one."""
    base = T + 10 * 3600
    a, b, c = base + 10, base + 90, base + 5 * 60 + 40      # 10:00:10, 10:01:30, 10:05:40
    store.put_readings([r(kind="realtime", ts=ts, src="read") for ts in (a, b, c)])
    store.put_readings([r(kind="hourly", ts=base), r(kind="hourly", ts=base + 3600)])
    for (start, end), want in (((base + 20, base + 5 * 60 + 20), [b]),
                               ((base + 5, base + 5 * 60 + 50), [a, b, c])):
        assert [x["ts"] for x in store.readings("realtime", None, start, end)] == want
        store.outbox_remove_upto(1 << 62)
        assert store.outbox_requeue("realtime", start, end) == len(want)
        assert sorted(x["ts"] for _, _, x in store.outbox_pending()) == want
    assert [x["ts"] for x in store.readings("hourly", None, base, base + 3600)] == [base]
    assert [x["ts"] for x in store.readings("hourly", None, base + 1, base + 3601)] == [base + 3600]
    store.outbox_remove_upto(1 << 62)
    assert store.outbox_requeue("hourly", base - 1, base + 1) == 1


def test_a_later_real_time_read_in_the_same_minute_replaces_the_earlier_and_says_so(store):
    first = r(kind="realtime", ts=T + 3, src="read", value="10.00")
    assert store.put_readings([first]) == 1
    replaced = []
    assert store.put_readings([r(kind="realtime", ts=T + 7, src="read", value="10.01")],
                              replaced) == 1
    assert replaced == [("m-0001", "energy.active.import.total", T + 3)]
    (kept,) = store.readings("realtime")
    assert kept["ts"] == T + 7 and str(kept["value"]) == "10.01"
    # an empty value does not replace a value; frozen kinds still keep the first
    store.put_readings([r(kind="realtime", ts=T + 9, src="read", value=None)], replaced)
    assert store.readings("realtime")[0]["ts"] == T + 7 and len(replaced) == 1
    store.put_readings([r(value="1.00")])
    store.put_readings([r(value="2.00")], replaced)
    assert str(store.readings("daily")[0]["value"]) == "1.00" and len(replaced) == 1


def test_a_value_frozen_by_a_clock_out_of_tolerance_keeps_its_mark_upstream(store):
    from upstream.payload import PayloadBuilder, decode
    from upstream.settings import UplinkSettings
    store.put_readings([r(clock_off=True), r(q="energy.active.export.total", value="1.00")])
    marked, plain = sorted(store.readings("daily"), key=lambda x: x["q"], reverse=True)
    assert marked["clock_off"] is True and "clock_off" not in plain
    b = PayloadBuilder(UplinkSettings(cid="c01"), addresses=lambda: {})
    _, payload = b.build("daily", 1, [marked, plain])
    records = decode(payload)["records"]
    assert [x.get("clock_off") for x in records] == [True, None]
