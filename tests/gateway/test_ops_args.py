"""Argument checks and time texts of the operations (no engine)."""

from decimal import Decimal

import pytest

from gateway.ops.args import check_args, id_list, parse_time, time_range, unknown_meters
from gateway.ops.params import _secret
from gateway.timefmt import iso as iso_time
from store import with_changes
from upstream.errors import CommandError

T = 1795363200          # 2026-11-23T00:00:00+08:00


def refused(fn, *args, **kw):
    with pytest.raises(CommandError) as info:
        fn(*args, **kw)
    assert info.value.code == "bad_request"
    return info.value.message


def test_iso_time_uses_the_configured_offset():
    assert iso_time(T, 480) == "2026-11-23T00:00:00+08:00"
    assert iso_time(T + 0.9, 480) == "2026-11-23T00:00:00+08:00"
    assert iso_time(T, 0) == "2026-11-22T16:00:00+00:00"
    assert iso_time(T, -330) == "2026-11-22T10:30:00-05:30"
    assert iso_time(None, 480) is None


def test_parse_time_needs_an_offset():
    for text in ("2026-11-23T00:00:00+08:00", "2026-11-22T16:00:00Z", "2026-11-22T16:00:00+00:00",
                 "2026-11-22T11:00:00-05:00"):
        assert parse_time({"ts": text}, "ts") == T
    assert parse_time({"ts": "2026-11-23T00:00:00.5+08:00"}, "ts") == T + 0.5
    assert parse_time({}, "ts", required=False) is None
    assert refused(parse_time, {"ts": "2026-11-23T00:00:00"}, "ts") == (
        "ts: '2026-11-23T00:00:00' has no UTC offset; use ISO 8601 with the UTC offset, "
        "e.g. 2026-11-23T00:00:00+08:00")
    assert "is not a time" in refused(parse_time, {"ts": "23/11/2026"}, "ts")
    assert refused(parse_time, {"ts": Decimal("1795363200.5")}, "ts").startswith(
        "ts: 1795363200.5 is not a time")
    assert refused(parse_time, {}, "from").startswith("from is missing; give ISO 8601")


def test_time_range_order_and_length():
    a, b = "2026-11-01T00:00:00+08:00", "2026-11-23T00:00:00+08:00"
    assert time_range({"from": a, "to": b}) == (T - 22 * 86400, T)
    assert "must be before to" in refused(time_range, {"from": b, "to": a})
    assert "must be before to" in refused(time_range, {"from": a, "to": a})
    assert "at most 7 days" in refused(time_range, {"from": a, "to": b}, 7)


def test_check_args_and_id_lists():
    assert check_args("ping", None, ()) == {}
    assert "args: 'x' is not an argument of ping; it takes none" == \
        refused(check_args, "ping", {"x": 1}, ())
    assert "use meters, q" in refused(check_args, "read", {"meter": 1, "q": []}, ("meters", "q"))
    assert refused(check_args, "read", "m-0001", ("meters",)).startswith("args: 'm-0001'")
    assert id_list({"meters": ["a", "b", "a"]}, "meters") == ["a", "b"]
    assert id_list({"meters": "all"}, "meters", allow_all=True) is None
    assert id_list({"meters": "a"}, "meters", single=True) == ["a"]
    assert id_list({}, "meters", required=False) is None
    assert 'or "all"' in refused(id_list, {"meters": "a"}, "meters", allow_all=True)
    assert refused(id_list, {"meters": ["a", ""]}, "meters").startswith('meters: ["a", ""]')
    err = unknown_meters(["m-1", "m-2"])
    assert err.code == "unknown_meter" and err.message.startswith("no meters m-1, m-2")


def test_meter_changes_merge_as_the_archive_does():
    rec = {"id": "m", "name": "a", "options": {"password": "1", "operator": "2"}}
    assert with_changes(rec, {"name": None, "options": {"password": None, "level": 4}}) == \
        {"id": "m", "options": {"operator": "2", "level": 4}}
    assert _secret("uplink.command_key") and _secret("uplink.password")
    assert not _secret("clock.check_time") and not _secret("plan.hourly")
