"""Parameters: defaults, coercion from JSON and CLI text, refusals, storage, change reports."""

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.core.quantities import unit_of
from store import Params, ParamsError, StoreFileError, params_table


@pytest.fixture
def changes():
    return []


@pytest.fixture
def params(tmp_path, changes):
    return Params(tmp_path / "params.json", on_change=changes.append, quantity_unit=unit_of)


def _stored(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return dict((r["key"], r["value"]) for r in doc["params"].values())


def test_every_default_is_valid_for_its_own_row():
    for p in params_table.ALL:
        assert p.type in params_table.TYPES, p.key
        assert params_table.coerce(p, p.default, unit_of) == p.default, p.key


def test_defaults_of_the_brief(params):
    assert params.get("plan.realtime_interval_min") == 15
    assert params.get("plan.broadcast_freeze") == []
    assert params.get("health.abnormal_factor") == "5"
    assert params.get("clock.check_time") == "02:30"
    assert params.get("plan.items.electricity.daily") == [
        "energy.active.import.total", "energy.active.import.t1", "energy.active.import.t2",
        "energy.active.import.t3", "energy.active.import.t4", "energy.active.export.total"]
    assert params.get("plan.items.heat.realtime") == [
        "heat.energy.total", "volume.total", "heat.power", "flow.rate", "temperature.supply",
        "temperature.return", "valve.state", "battery.low"]
    # what the alarms need (issue 17): the status, the tamper counters and flags
    assert params.get("plan.items.water.realtime") == ["volume.total", "valve.state",
                                                       "battery.low"]
    assert params.get("plan.items.electricity.realtime") == [
        "energy.active.import.total", "voltage.a", "current.a", "power.active.total",
        "count.cover_open", "count.terminal_cover_open", "count.magnetic", "tamper.cover",
        "tamper.terminal_cover", "tamper.reverse_power"]
    assert params.get("plan.items.gas.hourly") == ["volume.total"]
    assert params.get("store.synchronous") == "full"
    assert len(params.keys()) == len(set(params.keys())) == len(params_table.ALL) >= 46


def test_get_returns_a_copy(params):
    params.get("plan.items.water.daily").append("x")
    assert params.get("plan.items.water.daily") == ["volume.total"]


@pytest.mark.parametrize("key, value, stored", [
    ("plan.realtime_interval_min", "30", 30),
    ("plan.realtime_interval_min", 0, 0),
    ("plan.realtime_interval_min", " 1440 ", 1440),
    ("plan.realtime_interval_min", 60.0, 60),
    ("time.tz_offset_min", "-720", -720),
    ("plan.hourly", "false", False),
    ("plan.hourly", "OFF", False),
    ("plan.hourly", 0, False),
    ("clock.correct_meters", "yes", True),
    ("health.abnormal_factor", "2.50", "2.50"),
    ("health.abnormal_factor", 3, "3"),
    ("health.abnormal_factor", 1.5, "1.5"),
    ("clock.check_time", "3:05", "03:05"),
    ("clock.check_time", "23:59", "23:59"),
    ("store.synchronous", "NORMAL", "normal"),
    ("clock.ntp_server", "ntp.aliyun.com", "ntp.aliyun.com"),
    ("clock.ntp_server", "10.0.0.1:123", "10.0.0.1:123"),
    ("plan.broadcast_freeze", "daily, monthly", ["daily", "monthly"]),
    ("plan.broadcast_freeze", '["hourly"]', ["hourly"]),
    ("plan.broadcast_freeze", "", []),
    ("plan.broadcast_freeze", ["daily"], ["daily"]),
    ("plan.items.water.daily", "volume.total,flow.rate", ["volume.total", "flow.rate"]),
    ("plan.items.electricity.realtime", ["energy.active.import.t3", "frequency"],
     ["energy.active.import.t3", "frequency"]),
])
def test_values_are_coerced(params, key, value, stored):
    params.set(key, value)
    assert params.get(key) == stored
    assert Params(params.path).get(key) == stored


@pytest.mark.parametrize("key, value, words", [
    ("plan.realtime_interval_min", "1441", "use a whole number 0..1440"),
    ("plan.realtime_interval_min", "-1", "use a whole number 0..1440"),
    ("plan.realtime_interval_min", "15min", "use a whole number 0..1440"),
    ("plan.realtime_interval_min", 1.5, "use a whole number 0..1440"),
    ("plan.realtime_interval_min", True, "a whole number, not true/false"),
    ("freeze.settlement_day", 29, "use a whole number 1..28"),
    ("plan.hourly", "maybe", "use true or false"),
    ("plan.hourly", 2, "use true or false"),
    ("health.abnormal_factor", "1", "use a decimal number > 1"),
    ("health.abnormal_factor", "abc", "use a decimal number > 1"),
    ("health.abnormal_factor", "nan", "use a decimal number > 1"),
    ("clock.check_time", "24:00", "use a time of day HH:MM"),
    ("clock.check_time", "2.30", "use a time of day HH:MM"),
    ("store.synchronous", "off", "use one of full, normal"),
    ("clock.ntp_server", "a b", "host name or address"),
    ("clock.ntp_server", 5, "host name or address"),
    ("plan.broadcast_freeze", "weekly", "'weekly' is not one of hourly, daily, monthly"),
    ("plan.broadcast_freeze", "daily,daily", "daily is listed twice"),
    ("plan.broadcast_freeze", "[broken", "a list: a,b,c or a JSON array"),
    ("plan.broadcast_freeze", 5, "a list of names"),
    ("plan.items.water.daily", "volume.total,volume.bogus", "'volume.bogus' is not a quantity name"),
])
def test_bad_values_are_refused_naming_key_value_and_allowed(params, key, value, words):
    with pytest.raises(ParamsError) as info:
        params.set(key, value)
    msg = str(info.value)
    assert msg.startswith("%s = %r is not allowed" % (key, value))
    assert words in msg
    assert info.value.key == key
    assert not os.path.exists(params.path)


def test_without_a_quantity_validator_only_the_form_is_checked(tmp_path):
    p = Params(tmp_path / "p.json")
    p.set("plan.items.water.daily", "volume.total,anything.else")
    with pytest.raises(ParamsError, match="'Bad Name' is not a quantity name"):
        p.set("plan.items.water.daily", "Bad Name")


@pytest.mark.parametrize("key, words", [
    ("plan.realtime_intervall_min", "did you mean plan.realtime_interval_min"),
    ("retention.hourly", "did you mean retention.hourly_days"),
    ("zzz", "parameters are access.*, catchup.*, clock.*, freeze.*, health.*"),
])
def test_unknown_keys_suggest_close_matches(params, key, words):
    with pytest.raises(ParamsError) as info:
        params.set(key, 1)
    assert "unknown parameter %r" % key in str(info.value)
    assert words in str(info.value)
    with pytest.raises(ParamsError):
        params.get(key)


def test_set_many_is_all_or_nothing(params, changes):
    with pytest.raises(ParamsError) as info:
        params.set_many({"plan.hourly": "false", "plan.hourly_offset_min": "75", "nope": 1})
    assert "2 parameters refused, none set" in str(info.value)
    assert len(info.value.errors) == 2
    assert params.get("plan.hourly") is True
    assert changes == []
    assert not os.path.exists(params.path)


def test_changes_are_reported_and_only_non_defaults_stored(params, changes):
    assert params.set_many({"plan.hourly": "false", "plan.realtime_interval_min": 15,
                            "clock.check_time": "04:00"}) == {
        "plan.hourly": (True, False), "clock.check_time": ("02:30", "04:00")}
    assert changes == [{"plan.hourly": (True, False), "clock.check_time": ("02:30", "04:00")}]
    assert _stored(params.path) == {"plan.hourly": False, "clock.check_time": "04:00"}
    assert params.set("plan.hourly", False) == {}
    assert len(changes) == 1
    params.set("plan.hourly", True)
    assert _stored(params.path) == {"clock.check_time": "04:00"}


def test_reset(params, changes):
    params.set_many({"plan.hourly": False, "store.budget_mb": 128, "clock.check_time": "01:00"})
    assert params.reset(["store.budget_mb"]) == {"store.budget_mb": (128, 64)}
    assert params.get("store.budget_mb") == 64
    assert params.reset() == {"plan.hourly": (False, True), "clock.check_time": ("01:00", "02:30")}
    assert _stored(params.path) == {}
    with pytest.raises(ParamsError, match="unknown parameter"):
        params.reset("nope")


def test_get_many_by_prefix_or_keys(params):
    assert params.get_many("freeze") == {"freeze.settlement_day": 1, "freeze.settlement_hour": 0}
    assert params.get_many("freeze.") == params.get_many("freeze")
    assert params.get_many(["plan.hourly", "store.budget_mb"]) == {"plan.hourly": True,
                                                                  "store.budget_mb": 64}
    assert len(params.get_many("")) == len(params_table.ALL)
    assert list(params.get_many("plan.items.gas")) == [
        "plan.items.gas.realtime", "plan.items.gas.hourly", "plan.items.gas.daily",
        "plan.items.gas.monthly"]
    with pytest.raises(ParamsError, match="did you mean"):
        params.get_many("plan.itemz.gas")


def test_describe(params):
    params.set("store.budget_mb", "100")
    rows = params.describe("store")
    assert rows[0] == {"key": "store.budget_mb", "value": 100, "default": 64, "type": "int",
                       "allowed": "a whole number 16..100000",
                       "description": "hard size limit of the reading store in MB"}
    assert [r["key"] for r in params.describe()] == params.keys()


def test_revision_increases_on_change(params):
    r = params.revision
    params.set("plan.hourly", False)
    assert params.revision == r + 1
    params.set("plan.hourly", False)
    assert params.revision == r + 1


def test_change_by_another_process_is_noticed(params):
    r = params.revision
    Params(params.path).set("plan.daily", False)
    assert params.get("plan.daily") is False
    assert params.revision > r


def _write(path, rows):
    path.write_text(json.dumps({"params": dict((str(i), {"key": k, "value": v})
                                               for i, (k, v) in enumerate(rows, 1))}))


def test_unknown_stored_key_is_reported_and_kept(tmp_path, caplog):
    path = tmp_path / "params.json"
    _write(path, [("uplink.future_thing", 7), ("plan.hourly", False)])
    p = Params(path)
    assert p.unknown == {"uplink.future_thing": 7}
    assert "uplink.future_thing is unknown to this version (kept, not used)" in str(p.problems[0])
    assert "uplink.future_thing" in caplog.text
    p.set("plan.daily", False)
    assert _stored(path) == {"uplink.future_thing": 7, "plan.hourly": False, "plan.daily": False}
    assert p.reset("uplink.future_thing") == {"uplink.future_thing": (7, None)}
    assert _stored(path) == {"plan.hourly": False, "plan.daily": False}


def test_invalid_stored_value_stops_the_load(tmp_path):
    path = tmp_path / "params.json"
    _write(path, [("plan.realtime_interval_min", 5000)])
    with pytest.raises(ParamsError) as info:
        Params(path)
    assert str(path) in str(info.value)
    assert "stored plan.realtime_interval_min = 5000 is not allowed: use a whole number 0..1440" \
        in str(info.value)


def test_tolerant_load_uses_the_default_and_can_repair(tmp_path):
    path = tmp_path / "params.json"
    _write(path, [("plan.realtime_interval_min", 5000)])
    p = Params(path, tolerant=True)
    assert p.get("plan.realtime_interval_min") == 15
    assert p.problems[0].key == "plan.realtime_interval_min"
    assert p.reset("plan.realtime_interval_min") == {"plan.realtime_interval_min": (5000, 15)}
    assert Params(path).get("plan.realtime_interval_min") == 15


def test_broken_file_is_a_store_error(tmp_path):
    (tmp_path / "params.json").write_text("{")
    with pytest.raises(StoreFileError, match="is not valid JSON"):
        Params(tmp_path / "params.json")


def test_adding_a_row_is_one_line(tmp_path):
    row = params_table.Param("uplink.status_interval", "int", 300, params_table.Range(10, 3600),
                             "heartbeat interval in seconds")
    p = Params(tmp_path / "p.json", table=params_table.ALL + (row,))
    p.set("uplink.status_interval", "60")
    assert p.get("uplink.status_interval") == 60


@given(st.integers(-10**6, 10**6))
def test_int_coercion_from_text_and_json_agree(n):
    row = params_table.BY_KEY["time.tz_offset_min"]
    ok = -720 <= n <= 840
    for value in (n, str(n)):
        if ok:
            assert params_table.coerce(row, value) == n
        else:
            with pytest.raises(ValueError):
                params_table.coerce(row, value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-100,
                   max_value=100))
def test_decimal_coercion_keeps_the_digits(d):
    row = params_table.BY_KEY["health.abnormal_factor"]
    if d > 1:
        text = params_table.coerce(row, str(d))
        assert text == format(d, "f")
    else:
        with pytest.raises(ValueError):
            params_table.coerce(row, str(d))
