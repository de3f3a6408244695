"""Commands on the buses (read, control, freeze, time.sync_meters) and the
ones that report (ping, time, recall, events, logs, diag), end to end on the
Bench: values are compared with the simulated meters' oracle."""

import re
from decimal import Decimal

from gateway.ops.table import OPS
from scheduler import jobs
from scheduler.boundaries import Calendar
from scheduler.jobs import Job
from tests.gateway.conftest import MQTT, VERSION, Gateway
from bench.harness import T0
from upstream import jsonexact
from upstream.errors import CommandError

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\Z")
DAY_FROM, DAY_TO = "2026-11-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00"
MQTT_OPS = {"ping", "read", "recall", "time.get", "time.set", "time.sync_meters", "freeze",
            "meters.list", "meters.add", "meters.update", "meters.remove", "params.get",
            "params.set", "control", "events.query", "logs.query", "diag", "reset",
            "meter.params.get", "meter.params.set",
            "upgrade.begin", "upgrade.status", "upgrade.apply", "upgrade.abort",
            "users.list", "users.add", "users.update", "users.remove", "roles.list", "roles.set",
            "roles.remove"}


def oracle(sim, q, ts):
    """What the meter showed around ``ts`` (the read took part of a second)."""
    return set(Decimal(str(sim.value(q, t))) for t in (ts - 1, ts, ts + 1, ts + 2))


# ------------------------------------------------------------------ interface
def test_ops_signatures_and_slow_ones(gw):
    h = gw.h
    assert h.ops() == MQTT_OPS == set(op.name for op in OPS if not op.console_only)
    assert set(op for op in MQTT_OPS if h.needs_signature(op)) == {
        "control", "reset", "params.set", "upgrade.apply", "meter.params.set", "users.add",
        "users.update", "users.remove", "roles.set", "roles.remove"}
    assert set(op for op in MQTT_OPS if h.slow(op)) == {"read", "control", "time.sync_meters",
                                                       "freeze", "recall", "upgrade.apply",
                                                       "meter.params.get", "meter.params.set"}
    assert not h.slow("recall", {"kind": "daily", "from": DAY_FROM, "to": DAY_TO})
    assert h.slow("recall", {"kind": "daily", "from": "2026-01-01T00:00:00+08:00", "to": DAY_TO})
    assert h.slow("reset", {"what": "data"}) and not h.slow("reset", {"what": "restart"})


def test_unknown_op_and_malformed_args(gw):
    err = gw.error("reboot")
    assert err.code == "unknown_op" and "reboot" in err.message and "ping" in err.message
    err = gw.error("read", ["m-0001"])
    assert err.code == "bad_request" and err.message.startswith("args:")
    err = gw.error("read", {"meter": ["m-0001"]})
    assert err.code == "bad_request" and "'meter'" in err.message and "meters" in err.message
    err = gw.error("ping", {"x": 1})
    assert err.code == "bad_request" and "takes none" in err.message


def test_every_call_that_changes_or_controls_is_in_the_operation_log(gw):
    """Issue 12: queries that only look are logged only when log.queries asks."""
    gw.call("ping")
    gw.error("read", {"meters": ["m-0404"]})
    gw.call("params.set", {"values": {"log.queries": True}})
    gw.call("ping", meta={"source": "console", "user": "alice"})
    logs = [r for r in gw.b.store.logs("operation") if r["message"].startswith("command")]
    assert [r["message"] for r in logs] == [
        "command read from mqtt: unknown_meter", "command params.set from mqtt: ok",
        "command ping from console:alice: ok"]
    assert logs[0]["detail"] == {"op": "read", "source": "mqtt", "ok": False, "id": "c1",
                                 "code": "unknown_meter", "where": "mqtt",
                                 "args": {"meters": ["m-0404"]}}


# ------------------------------------------------------------- ping, time
def test_ping_and_time_get(gw):
    ping = gw.call("ping")
    assert ping == {"ts": "2026-11-01T09:00:00+08:00", "fw": VERSION, "uptime_s": 30}
    got = gw.call("time.get")
    assert got["ts"] == "2026-11-01T09:00:00+08:00" and got["epoch"] == T0
    assert got["tz_offset_min"] == 480 and got["drift_ppm"] is None and "rtc_offset_s" in got
    gw.b.params.set("time.tz_offset_min", 0)      # timestamps follow the configured offset
    assert gw.call("ping")["ts"] == "2026-11-01T01:00:00+00:00"


def test_time_set_moves_the_clock_and_logs_clock_set(gw):
    got = gw.call("time.set", {"ts": "2026-11-01T09:00:10+08:00"})
    assert abs(got["correction_s"] - 10) < 0.5
    assert abs(gw.now() - (T0 + 10)) < 0.5
    (ev,) = gw.b.store.events(type="clock_set")
    assert ev["detail"]["source"] == "master"
    assert gw.call("ping")["uptime_s"] == 30            # uptime does not jump with the clock
    gw.call("time.set", {"ts": "2026-11-01T01:00:10Z"}, meta={"source": "console", "user": "bob"})
    assert gw.b.store.events(type="clock_set")[-1]["detail"]["source"] == "console:bob"
    for bad_ts, why in (("2026-11-01T09:00:10", "has no UTC offset"),
                        ("yesterday", "is not a time"), (1793494810, "is not a time"),
                        ("1999-01-01T00:00:00+08:00", "is out of range")):
        err = gw.error("time.set", {"ts": bad_ts})
        assert err.code == "bad_request" and err.message.startswith("ts: ") and why in err.message
    assert "ts is missing" in gw.error("time.set").message


# ------------------------------------------------------------------ read
def test_read_gives_the_meters_values(gw):
    q = ["energy.active.import.total", "voltage.a"]
    got = gw.call("read", {"meters": ["m-0001", "m-0005"], "q": q})["meters"]
    for mid in ("m-0001", "m-0005"):
        values = got[mid]["values"]
        assert [v["q"] for v in values] == q
        for v in values:
            ts = int(gw.b.engine.plan.calendar.utc(*map(int, re.split("[-T:+]", v["ts"])[:6])))
            assert ISO.match(v["ts"]) and isinstance(v["value"], Decimal)
            assert v["value"] in oracle(gw.sim(mid), v["q"], ts)
        assert values[0]["unit"] == "kWh" and values[1]["unit"] == "V"
    stored = gw.b.store.readings("realtime", "m-0001")
    assert set(r["q"] for r in stored) == set(q) and all(r["src"] == "read" for r in stored)
    # the plan's real-time quantities of every meter, water and M-Bus too
    every = gw.call("read", {"meters": "all"})["meters"]
    assert sorted(every) == ["m-%04d" % i for i in range(1, 10)]
    for mid in ("m-0006", "m-0009"):
        (vol,) = [v for v in every[mid]["values"] if v["q"] == "volume.total"]
        assert vol["unit"] == "m³" and vol["value"] in oracle(gw.sim(mid), "volume.total",
                                                              int(gw.now()))
    # exact JSON: the meter's own digits
    text = jsonexact.dumps(got)
    assert '"value":%s' % format(got["m-0001"]["values"][0]["value"], "f") in text


def test_read_refuses_bad_args_naming_the_field(gw):
    err = gw.error("read", {"meters": ["m-0404", "m-0405"]})
    assert err.code == "unknown_meter" and "m-0404, m-0405" in err.message
    # with a meter that exists, the unknown ones are per-meter errors (mqtt.md, read)
    got = gw.call("read", {"meters": ["m-0001", "m-0404"], "q": ["voltage.a"]})["meters"]
    assert got["m-0404"]["error"]["code"] == "unknown_meter" and "values" in got["m-0001"]
    for args, field in (({}, "meters is missing"), ({"meters": "m-0001"}, "meters: 'm-0001'"),
                        ({"meters": []}, "meters: []"), ({"meters": [1]}, "meters: [1]"),
                        ({"meters": "all", "q": "voltage.a"}, "q: 'voltage.a'"),
                        ({"meters": "all", "q": ["voltage.a", "volts"]}, "q: 'volts'")):
        err = gw.error("read", args)
        assert err.code == "bad_request" and field in err.message, err.message
        assert "use " in err.message or "give " in err.message


def test_read_reports_a_silent_meter_and_a_timeout(gw):
    gw.call("meters.add", {"meters": {"address": "000000000099", "protocol": "dlt645-2007",
                                      "port": "bus1"}})
    got = gw.call("read", {"meters": ["m-0010", "m-0001"], "q": ["voltage.a"]})["meters"]
    assert got["m-0010"]["error"]["code"] == "meter_error"
    assert got["m-0010"]["error"]["message"]
    assert got["m-0001"]["values"][0]["q"] == "voltage.a"
    quick = gw.handlers(timeout=0.01)
    got = gw.call("read", {"meters": ["m-0002"]}, h=quick)["meters"]
    assert got["m-0002"]["error"]["code"] == "timeout"


# --------------------------------------------------------------- control
def test_valve_control_reads_back_the_new_state(gw):
    got = gw.call("control", {"meter": "m-0006", "action": "valve.close"})
    assert got == {"meter": "m-0006", "action": "valve.close", "state": "closed"}
    assert gw.sim("m-0006").value("valve.state") == "closed"
    assert gw.call("control", {"meter": "m-0006", "action": "valve.open"})["state"] == "open"
    assert gw.sim("m-0006").value("valve.state") == "open"
    gw.call("meters.add", {"meters": {"address": "00000000000399", "protocol": "cjt188",
                                      "kind": "water", "port": "bus2"}})
    err = gw.error("control", {"meter": "m-0010", "action": "valve.close"})   # no such meter
    assert err.code == "meter_error" and "valve.close on meter m-0010: " in err.message
    assert gw.b.store.events(type="valve_fault") == []


def test_a_stuck_valve_fails_the_control_with_its_state_and_raises_valve_fault(gw):
    err = gw.error("control", {"meter": "m-0008", "action": "valve.close"})
    assert err.code == "meter_error" and "reports the valve fault, not closed" in err.message
    assert err.detail == {"meter": "m-0008", "action": "valve.close", "state": "fault"}
    assert gw.sim("m-0008").value("valve.state") == "fault"
    (event,) = gw.b.store.events(type="valve_fault")
    assert event["meter"] == "m-0008" and event["severity"] == "critical"
    assert event["detail"] == {"state": "fault", "action": "valve.close", "asked": "closed"}
    gw.error("control", {"meter": "m-0008", "action": "valve.close"})
    assert len(gw.b.store.events(type="valve_fault")) == 1          # one episode, one event


def test_relay_control_reads_back_the_new_state(gw):
    got = gw.call("control", {"meter": "m-0001", "action": "relay.open"})
    assert got == {"meter": "m-0001", "action": "relay.open", "state": "open"}
    assert gw.sim("m-0001").value("relay.state") == "open"
    assert gw.sim("m-0001").model.relay_trips == 1
    assert gw.call("control", {"meter": "m-0001", "action": "relay.close"})["state"] == "closed"
    assert gw.sim("m-0001").value("relay.state") == "closed"


def test_control_refusals(gw):
    for args, code, text in (
            ({"meter": "m-0009", "action": "valve.close"}, "not_supported", "M-Bus"),
            ({"meter": "m-0001", "action": "valve.close"}, "not_supported", "CJ/T188"),
            ({"meter": "m-0005", "action": "relay.open"}, "not_supported", "DL/T645-2007"),
            ({"meter": "m-0006", "action": "relay.open"}, "not_supported", "DL/T645-2007"),
            ({"meter": "m-0404", "action": "relay.open"}, "unknown_meter", "m-0404"),
            ({"meter": "m-0001", "action": "relay.toggle"}, "bad_request",
             "action: 'relay.toggle'"),
            ({"meter": "m-0001"}, "bad_request", "action is missing"),
            ({"action": "relay.open"}, "bad_request", "meter is missing"),
            ({"meter": ["m-0001"], "action": "relay.open"}, "bad_request", "meter: [\"m-0001\"]")):
        err = gw.error("control", args)
        assert (err.code, text in err.message) == (code, True), err.message
    assert gw.sim("m-0001").value("relay.state") == "closed"


def test_control_not_started_in_time_is_cancelled(gw):
    clock = gw.b.engine_clock
    busy = Job(jobs.ONDEMAND, "call", gw.b.ids["m-0007"], fn=lambda reader: clock.sleep(100))
    gw.engine.enqueue(busy)
    quick = gw.handlers(timeout=5)
    err = gw.error("control", {"meter": "m-0006", "action": "valve.close"}, h=quick)
    assert err.code == "timeout" and "5 s" in err.message
    gw.run_until(T0 + 200)
    assert busy.done.is_set()
    assert gw.sim("m-0006").value("valve.state") == "open"      # not closed after the reply


# ---------------------------------------------------------------- freeze
def test_freeze_broadcasts_and_reads_every_meter(gw):
    got = gw.call("freeze", {"kind": "daily"})
    assert got == {"broadcast": ["bus1"], "meters": 9, "instant": 4}
    assert gw.b.buses["bus1"].counters.port.broadcasts == 1
    for mid in ("m-0001", "m-0002", "m-0003", "m-0004"):
        assert len(gw.sim(mid).instants) == 1          # 16H 99H: an immediate freeze
    gw.run_until(T0 + 120)
    rows = gw.b.store.readings("realtime")
    assert set(r["meter"] for r in rows) == set("m-%04d" % i for i in range(1, 10))
    # DL/T645-2007 meters: their instant-freeze record (0501xx01), at the broadcast
    # instant, also those whose clock is 150 s off; the others' current values
    instant = [r for r in rows if r["meter"] in ("m-0001", "m-0002", "m-0003", "m-0004")]
    assert instant and all(r["src"] == "meter" for r in instant)
    assert all(r["src"] == "read" for r in rows if r not in instant)
    for r in instant:
        sim = gw.sim(r["meter"])
        assert abs(r["ts"] - sim.instants[0]) <= 1
        assert r["value"] == Decimal(str(sim.model.value(r["q"], sim.instants[0]))), r
    e1 = set(r["q"] for r in rows if r["meter"] == "m-0001")
    assert e1 == set(gw.b.params.get("plan.items.electricity.daily"))
    assert gw.b.store.count("daily") == 0                 # no boundary value invented
    for kind in ("weekly", None, 1):
        err = gw.error("freeze", {"kind": kind} if kind else {})
        assert err.code == "bad_request" and err.message.startswith("kind")


# --------------------------------------------------------- meter clocks
def test_time_sync_meters_within_the_protocols_limits(gw):
    early = gw.call("time.sync_meters", {"meters": ["m-0003"]})["meters"]["m-0003"]
    assert early["action"] == "none" and "within 5 minutes of the hour" in early["reason"]
    assert 140 <= early["deviation_s"] <= 160
    gw.run_until(T0 + 20 * 60)                            # 09:20: allowed
    got = gw.call("time.sync_meters")["meters"]
    assert sorted(got) == ["m-%04d" % i for i in range(1, 10)]
    assert got["m-0003"]["action"] == "broadcast"
    # m-0004 is read after the broadcast on its bus: it took it
    assert got["m-0004"]["action"] == "none" and abs(got["m-0004"]["deviation_s"]) <= 2
    assert got["m-0006"]["action"] == got["m-0007"]["action"] == "written"
    assert -910 <= got["m-0006"]["deviation_s"] <= -890
    assert got["m-0001"]["action"] == "none" and got["m-0001"]["reason"] == "within 2 s"
    assert gw.b.buses["bus1"].counters.port.broadcasts == 1
    cal = Calendar()
    for mid in ("m-0003", "m-0004", "m-0006", "m-0007"):
        shown = gw.sim(mid).value("meter.datetime")
        t = cal.utc(*map(int, re.split("[-T:]", shown)[:6]))
        assert abs(t - gw.b.clock.time()) <= 5, (mid, shown)
    # a second broadcast the same day is not allowed
    sim = gw.sim("m-0003")
    sim.model.set_meter_time(sim.model.meter_time() + 120)
    again = gw.call("time.sync_meters", {"meters": ["m-0003"]})["meters"]["m-0003"]
    assert again["action"] == "none" and again["reason"] == "broadcast already sent today on bus1"
    assert gw.call("time.sync_meters", {"meters": "all"})["meters"]["m-0009"]["action"] == "none"
    err = gw.error("time.sync_meters", {"meters": ["m-0404"]})
    assert err.code == "unknown_meter"
    assert gw.error("time.sync_meters", {"meters": "m-0001"}).code == "bad_request"


def test_radio_meters_get_broadcast_time_sync_and_freeze_through_the_module(tmp_path):
    g = Gateway(tmp_path, scenario={"port": [], "radio": {
        "name": "radio", "baud": 9600, "delay": 0.5, "meters": [
            {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000031",
             "clock_offset": 150}]}})
    try:
        g.run_until(T0 + 20 * 60)
        got = g.call("time.sync_meters")["meters"]["m-0001"]
        assert got["action"] == "broadcast" and 140 <= got["deviation_s"] <= 160
        assert g.engine.timekeeping.synced_today == {"radio": "2026-11-01"}
        module = g.b.radio[1]
        assert module.counters.port.broadcasts == 1          # 1376.2 AFN 05H F3
        sim = g.sim("m-0001")
        shown = sim.value("meter.datetime")
        assert abs(Calendar().utc(*map(int, re.split("[-T:]", shown)[:6])) - g.b.clock.time()) <= 5
        assert g.call("read", {"meters": ["m-0001"], "q": ["voltage.a"]})["meters"]["m-0001"][
            "values"][0]["unit"] == "V"
        assert g.call("freeze", {"kind": "hourly"}) == {"broadcast": ["radio"], "meters": 1,
                                                        "instant": 1}
        assert module.counters.port.broadcasts == 2 and len(sim.instants) == 1
        g.run_until(g.now() + 60)
        rows = [r for r in g.b.store.readings("realtime") if r["src"] == "meter"]
        assert rows and all(abs(r["ts"] - sim.instants[0]) <= 1 for r in rows)
    finally:
        g.b.close()


# ------------------------------------------------------------------ recall
def test_recall_queues_stored_values_again(gw):
    gw.call("read", {"meters": ["m-0001", "m-0006"]})
    n_all = gw.b.store.count("realtime")
    depth = len(gw.b.store.outbox_pending(streams=["realtime"]))
    assert gw.call("recall", {"kind": "realtime", "from": DAY_FROM, "to": DAY_TO}) == \
        {"records": n_all}
    assert len(gw.b.store.outbox_pending(streams=["realtime"])) == depth + n_all
    one = gw.call("recall", {"kind": "realtime", "from": DAY_FROM, "to": DAY_TO,
                             "meters": ["m-0006"]})
    assert one["records"] == len(gw.b.store.readings("realtime", "m-0006")) > 0
    assert gw.call("recall", {"kind": "daily", "from": DAY_FROM, "to": DAY_TO}) == {"records": 0}
    gw.call("meters.remove", {"meters": ["m-0006"]})      # its history can still be recalled
    assert gw.call("recall", {"kind": "realtime", "from": DAY_FROM, "to": DAY_TO,
                              "meters": ["m-0006"]}) == one
    for args, code, text in (
            ({"kind": "realtime", "from": DAY_TO, "to": DAY_FROM}, "bad_request", "before to"),
            ({"kind": "daily", "from": "2025-01-01T00:00:00+08:00", "to": DAY_TO},
             "bad_request", "at most 400 days"),
            ({"kind": "yearly", "from": DAY_FROM, "to": DAY_TO}, "bad_request", "kind: 'yearly'"),
            ({"kind": "daily", "to": DAY_TO}, "bad_request", "from is missing"),
            ({"kind": "daily", "from": "2026-11-01", "to": DAY_TO}, "bad_request", "from: "),
            ({"kind": "daily", "from": DAY_FROM, "to": DAY_TO, "meters": ["m-0404"]},
             "unknown_meter", "m-0404")):
        err = gw.error("recall", args)
        assert (err.code, text in err.message) == (code, True), err.message


# ------------------------------------------------------------ events, logs
def test_events_and_logs_queries(gw):
    gw.call("time.set", {"ts": "2026-11-01T09:00:05+08:00"})
    events = gw.call("events.query", {"from": DAY_FROM, "to": DAY_TO})
    assert events["truncated"] is False
    types = [e["type"] for e in events["events"]]
    assert "power_up" in types and "clock_set" in types
    assert all(ISO.match(e["ts"]) for e in events["events"])
    only = gw.call("events.query", {"from": DAY_FROM, "to": DAY_TO, "type": "clock_set"})
    assert [e["type"] for e in only["events"]] == ["clock_set"]
    assert only["events"][0]["detail"]["source"] == "master"
    none = gw.call("events.query", {"from": DAY_TO, "to": "2026-11-03T00:00:00+08:00"})
    assert none == {"events": [], "truncated": False}
    logs = gw.call("logs.query", {"category": "operation", "from": DAY_FROM, "to": DAY_TO})
    messages = [r["message"] for r in logs["logs"]]
    assert "agent started" in messages and "command time.set from mqtt: ok" in messages
    assert all(ISO.match(r["ts"]) for r in logs["logs"])
    mod = gw.call("logs.query", {"category": "modification", "from": DAY_FROM, "to": DAY_TO})
    assert mod["logs"][0]["message"].startswith("clock set by master")
    err = gw.error("logs.query", {"category": "debug", "from": DAY_FROM, "to": DAY_TO})
    assert err.code == "bad_request" and "category: 'debug'" in err.message
    assert "acquisition" in err.message and "login" in err.message
    err = gw.error("events.query", {"from": DAY_FROM})
    assert err.code == "bad_request" and "to is missing" in err.message
    assert gw.error("events.query", {"from": DAY_FROM, "to": DAY_TO, "type": 7}).message \
        .startswith("type: 7")


# ------------------------------------------------------------------- diag
def test_diag_reports_ports_store_clock_uplink_health(tmp_path):
    g = Gateway(tmp_path, uplink_status=lambda: {"connected": False, "reconnects": 2})
    try:
        g.call("read", {"meters": "all"})
        g.run_until(T0 + 600)                   # the engine's clock check at start is done
        d = g.call("diag")
        assert set(d["ports"]) == {"bus1", "bus2", "bus3"}
        bus1 = d["ports"]["bus1"]
        assert bus1["requests"] > 0 and bus1["success_rate"] > 0.5 and bus1["meters"] == 5
        assert ISO.match(bus1["last_ok"]) and bus1["queue"] == d["queues"]["bus1"]
        assert d["store"]["integrity"] == "ok" and d["store"]["bytes"] > 0
        assert d["store"]["readings"]["realtime"] > 0
        assert d["outbox"]["depth"] > 0
        assert ISO.match(d["clock"]["ts"]) and d["fw"] == VERSION and d["meters"] == 9
        assert d["uplink"] == {"connected": False, "reconnects": 2}
        # that check found the clocks of m-0003/4 and m-0006/7 off
        assert d["health"] == {"active": 4, "by_condition": {"clock_deviation": 4}}
        jsonexact.dumps(d)
    finally:
        g.b.close()


def test_internal_errors_are_answered_internal(gw):
    def broken():
        raise RuntimeError("socket gone")
    h = gw.handlers(uplink_status=broken)
    assert gw.call("diag", h=h)["uplink"] == {"error": "socket gone"}
    h.engine = None                                   # a bug: every op that needs it fails
    err = gw.error("diag", h=h)
    assert err.code == "internal" and "diag failed" in err.message
    assert isinstance(err, CommandError)
    assert gw.b.store.logs("operation")[-1]["detail"]["code"] == "internal"
    assert MQTT["source"] == "mqtt"
