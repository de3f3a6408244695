"""meters.*, params.* and reset through the command handlers: validated by
the Archive and Params, all or nothing, each change an event and a log."""

import re

from tests.gateway.conftest import Gateway

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\Z")
NEW = {"address": "000000000031", "protocol": "dlt645-2007", "port": "bus1", "name": "pump"}


def events(gw, type_):
    return gw.b.store.events(type=type_)


# ------------------------------------------------------------------ meters
def test_meters_list_is_the_archive(gw):
    got = gw.call("meters.list")["meters"]
    assert [m["id"] for m in got] == ["m-%04d" % i for i in range(1, 10)]
    first = got[0]
    assert first["address"] == "000000000001" and first["protocol"] == "dlt645-2007"
    assert first["port"] == "bus1" and first["added"] == "2026-11-01T09:00:00+08:00"


def test_meters_add_validates_and_raises_meters_changed(gw):
    got = gw.call("meters.add", {"meters": NEW})
    (rec,) = got["added"]
    assert rec["id"] == "m-0010" and rec["name"] == "pump" and ISO.match(rec["added"])
    assert gw.b.archive.get("m-0010")["address"] == "000000000031"
    (ev,) = events(gw, "meters_changed")
    assert ev["detail"] == {"added": ["m-0010"], "by": "mqtt"}
    assert gw.b.store.logs("modification")[-1]["message"] == "archive changed by mqtt: added m-0010"
    assert gw.engine.meter("m-0010") is not None          # the engine sees it
    # refused: each with the archive's message naming the field
    for record, text in (
            (dict(NEW, name="twin"), "same address 000000000031"),
            (dict(NEW, address="000000000032", port="bus9"), "port"),
            (dict(NEW, address="000000000032", protocol="iec62056"), "protocol"),
            (dict(NEW, address="12345678901234"), "address"),
            (dict(NEW, address="000000000032", colour="red"), "colour"),
            (dict(NEW, address="000000000032", id="m-0001"), "m-0001 exists already")):
        err = gw.error("meters.add", {"meters": record})
        assert err.code == "bad_request" and text in err.message, err.message
    # a list is all or nothing
    err = gw.error("meters.add", {"meters": [dict(NEW, address="000000000033"),
                                             dict(NEW, address="000000000034", port="nope")]})
    assert err.code == "bad_request" and "record 2 of 2" in err.message
    assert gw.b.archive.count() == 10 and len(events(gw, "meters_changed")) == 1
    two = gw.call("meters.add", {"meters": [dict(NEW, address="000000000033"),
                                            dict(NEW, address="000000000034")]})
    assert [r["id"] for r in two["added"]] == ["m-0011", "m-0012"]
    for args, text in (({}, "meters is missing"), ({"meters": []}, "meters: []"),
                       ({"meters": "m-0001"}, "meters: 'm-0001'"), ({"meter": NEW}, "'meter'")):
        err = gw.error("meters.add", args)
        assert err.code == "bad_request" and text in err.message, err.message


def test_meters_update_changes_fields_all_or_nothing(gw):
    got = gw.call("meters.update", {"meters": [{"id": "m-0001", "name": "kitchen",
                                                "limits": {"power_max_kw": "5"}},
                                               {"id": "m-0002"}]})
    assert [r["id"] for r in got["updated"]] == ["m-0001"] and got["unchanged"] == ["m-0002"]
    rec = gw.b.archive.get("m-0001")
    assert rec["name"] == "kitchen" and rec["limits"] == {"power_max_kw": "5"}
    assert events(gw, "meters_changed")[-1]["detail"]["updated"] == ["m-0001"]
    gw.call("meters.update", {"meters": {"id": "m-0001", "name": None}})   # None removes
    assert "name" not in gw.b.archive.get("m-0001")
    err = gw.error("meters.update", {"meters": [{"id": "m-0001", "name": "x"},
                                                {"id": "m-0002", "address": "000000000011"}]})
    assert err.code == "bad_request" and "same address" in err.message
    assert "name" not in gw.b.archive.get("m-0001")        # nothing changed
    err = gw.error("meters.update", {"meters": {"id": "m-0404", "name": "x"}})
    assert err.code == "unknown_meter" and "m-0404" in err.message
    err = gw.error("meters.update", {"meters": {"name": "x"}})
    assert err.code == "bad_request" and err.message.startswith("meters[0].id")
    err = gw.error("meters.update", {"meters": [{"id": "m-0001"}, {"id": "m-0001"}]})
    assert err.code == "bad_request" and "listed twice" in err.message


def test_meters_remove_keeps_the_history(gw):
    gw.call("read", {"meters": ["m-0006"], "q": ["volume.total"]})
    assert gw.call("meters.remove", {"meters": ["m-0006"]}) == {"removed": ["m-0006"]}
    assert "m-0006" not in gw.b.archive.ids() and gw.engine.meter("m-0006") is None
    assert len(gw.b.store.readings("realtime", "m-0006")) == 1
    assert events(gw, "meters_changed")[-1]["detail"]["removed"] == ["m-0006"]
    err = gw.error("meters.remove", {"meters": ["m-0007", "m-0404"]})
    assert err.code == "unknown_meter" and "m-0404" in err.message
    assert "m-0007" in gw.b.archive.ids()                 # all or nothing
    assert gw.call("meters.remove", {"meters": "m-0007"}) == {"removed": ["m-0007"]}
    assert gw.error("meters.remove", {}).message.startswith("meters is missing")


# ------------------------------------------------------------------ params
def test_params_get_by_keys_prefix_or_all(gw):
    got = gw.call("params.get", {"keys": ["plan.hourly", "time.tz_offset_min"]})
    assert got == {"params": {"plan.hourly": True, "time.tz_offset_min": 480}}
    plan = gw.call("params.get", {"prefix": "freeze."})["params"]
    assert plan == {"freeze.settlement_day": 1, "freeze.settlement_hour": 0}
    every = gw.call("params.get")["params"]
    assert set(every) == set(gw.b.params.keys())
    assert every["plan.realtime_interval_min"] == 0     # the bench's setting
    err = gw.error("params.get", {"keys": ["plan.hourli"]})
    assert err.code == "bad_request" and "'plan.hourli'" in err.message
    assert "did you mean plan.hourly" in err.message
    err = gw.error("params.get", {"keys": ["plan.hourly"], "prefix": "plan"})
    assert err.code == "bad_request" and err.message.startswith("prefix")
    assert gw.error("params.get", {"keys": "plan.hourly"}).message.startswith("keys: ")


def test_params_set_all_or_nothing(gw):
    got = gw.call("params.set", {"values": {"clock.deviation_threshold_s": 30,
                                            "plan.broadcast_freeze": ["daily"]}})
    assert got == {"changed": {"clock.deviation_threshold_s": {"old": 60, "new": 30},
                               "plan.broadcast_freeze": {"old": [], "new": ["daily"]}}}
    assert gw.b.params.get("clock.deviation_threshold_s") == 30
    (ev,) = events(gw, "params_changed")
    assert ev["detail"]["changes"]["clock.deviation_threshold_s"] == [60, 30]
    assert gw.b.store.logs("modification")[-1]["message"] == \
        "parameters changed by mqtt: clock.deviation_threshold_s, plan.broadcast_freeze"
    # the pairs may be the args themselves
    assert gw.call("params.set", {"health.zero_days": 5})["changed"] == \
        {"health.zero_days": {"old": 3, "new": 5}}
    # one bad value: nothing is set
    err = gw.error("params.set", {"values": {"clock.deviation_threshold_s": 10,
                                             "plan.hourly_offset_min": 99}})
    assert err.code == "bad_request" and "plan.hourly_offset_min" in err.message
    assert "0..59" in err.message
    assert gw.b.params.get("clock.deviation_threshold_s") == 30
    err = gw.error("params.set", {"values": {"clock.deviation_threshold_s": 10,
                                             "no.such": 1, "plan.hourly": "maybe"}})
    assert err.code == "bad_request" and "none set" in err.message and "no.such" in err.message
    assert gw.b.params.get("clock.deviation_threshold_s") == 30
    assert len(events(gw, "params_changed")) == 2
    assert gw.call("params.set", {"health.zero_days": 5}) == {"changed": {}}   # unchanged
    assert len(events(gw, "params_changed")) == 2
    for args in ({}, {"values": {}}, {"values": ["plan.hourly"]}):
        err = gw.error("params.set", args)
        assert err.code == "bad_request" and err.message.startswith("values"), err.message


# ------------------------------------------------------------------- reset
def test_reset_data_needs_confirm_and_keeps_the_state(gw):
    gw.call("read", {"meters": "all"})
    seq_state = gw.b.store.get_state("scheduler.last")
    gw.b.store.set_state("uplink.seq", 41)                # the batch counter never goes back
    assert gw.b.store.count("realtime") > 0
    err = gw.error("reset", {"what": "data"})
    assert err.code == "bad_request" and err.message.startswith("confirm:")
    assert "confirm: true" in err.message
    assert gw.error("reset", {"what": "data", "confirm": "yes"}).message.startswith("confirm: ")
    assert gw.b.store.count("realtime") > 0
    got = gw.call("reset", {"what": "data", "confirm": True})
    assert got["what"] == "data" and got["deleted"]["r_realtime"] > 0
    store = gw.b.store
    assert store.count("realtime") == store.count("hourly") == 0
    assert store.events() == [] and store.outbox_depth() == (0, None)
    assert [r["message"] for r in store.logs("modification")][-1] == "stored data reset by mqtt"
    # the five logs are kept: no operation deletes them (issue 12)
    assert [r["message"] for r in store.logs("operation") if r["message"].startswith("command")] \
        == ["command read from mqtt: ok", "command reset from mqtt: bad_request",
            "command reset from mqtt: bad_request", "command reset from mqtt: ok"]
    (read,) = [r for r in store.logs("acquisition") if r["detail"]["what"] == "read command"]
    assert read["detail"]["count"] == 9 == read["detail"]["good"] + read["detail"]["failed"]
    assert store.get_state("scheduler.last") == seq_state
    assert store.get_state("uplink.seq") == 41
    assert store.integrity_check() == "ok"
    # the agent goes on storing
    gw.call("read", {"meters": ["m-0001"], "q": ["voltage.a"]})
    assert store.count("realtime") == 1 and store.outbox_depth()[0] == 1


def test_reset_params_needs_confirm(gw):
    gw.call("params.set", {"health.zero_days": 5})
    err = gw.error("reset", {"what": "params", "confirm": False})
    assert err.code == "bad_request" and "confirm: true" in err.message
    assert gw.b.params.get("health.zero_days") == 5
    got = gw.call("reset", {"what": "params", "confirm": True})
    assert got == {"what": "params", "reset": ["health.zero_days", "plan.realtime_interval_min",
                                               "store.synchronous"]}
    assert gw.b.params.get("health.zero_days") == 3
    assert events(gw, "params_changed")[-1]["detail"]["changes"]["health.zero_days"] == [5, 3]


def test_reset_restart_and_bad_what(gw, tmp_path):
    assert gw.call("reset", {"what": "restart"}) == {"what": "restart", "restarting": True}
    assert gw.restarts == [True]
    err = gw.error("reset", {"what": "restart"}, h=gw.handlers(on_restart=False))
    assert err.code == "not_supported"
    for args, text in (({}, "what is missing"), ({"what": "everything"}, "what: 'everything'")):
        err = gw.error("reset", args)
        assert err.code == "bad_request" and text in err.message
        assert "restart, data, params" in err.message
    assert isinstance(gw, Gateway)
