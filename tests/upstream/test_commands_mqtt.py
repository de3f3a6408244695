"""Commands over MQTT end to end: signed, checked, run once, answered once."""

import time

import pytest

from gateway.ops.dispatch import Operations
from tests.upstream.rig import Rig

KEY = "k3y-for-tests"
SCENARIO = {"port": [
    {"name": "bus1", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 9600, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000011"}]}]}


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = Rig(tmp_path_factory.mktemp("cmd"), SCENARIO, real=True, key=KEY,
            params={"plan.realtime_interval_min": 0},
            uplink={"command_key": KEY, "command_window": 120})
    b = r.bench
    engine = b.start()
    r.handlers = Operations(engine, b.store, b.archive, b.params, b.engine_clock, "test",
                          b.engine_clock.time())
    r.start_uplink()
    assert r.master.wait(lambda: any(s.get("state") == "online" for s in r.master.states), 10)
    yield r
    r.close()


def now_iso(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + offset))


def test_ping_and_read_with_an_accepted_first(rig):
    m = rig.master
    pong = m.command("ping")["result"]
    assert pong["fw"] == "test" and 0 <= pong["uptime_s"] < 600
    meter = sorted(rig.bench.ids)[0]
    cid = m.command("read", {"meters": [meter], "q": ["energy.active.import.total"]}, wait=False)
    assert m.wait(lambda: m.reply_of(cid) is not None, 20)
    final = m.reply_of(cid)
    (value,) = final["result"]["meters"][meter]["values"]
    assert value["q"] == "energy.active.import.total" and value["unit"] == "kWh"
    replies = [r for r in m.replies if r.get("id") == cid]
    assert len([r for r in replies if "accepted" not in r]) == 1       # exactly one final reply


def test_response_topic_gets_the_reply_with_its_correlation_data(rig):
    m = rig.master
    got = {}

    def on_message(client, userdata, msg):
        got["payload"] = msg.payload
        got["corr"] = msg.properties.CorrelationData
    m.client.message_callback_add("answers/for-me", on_message)
    m.client.subscribe("answers/for-me", qos=1)
    time.sleep(0.3)
    reply = m.command("time.get", response_topic="answers/for-me")
    assert reply["ok"]
    assert m.wait(lambda: "corr" in got, 10) and got["corr"].startswith(b"corr-")


def test_a_repeated_id_is_answered_from_the_first_reply_and_not_run_twice(rig):
    m = rig.master
    ts = now_iso()
    first = m.command("params.set", {"values": {"health.zero_days": 5}}, cid="same-1", ts=ts)
    assert first["ok"]
    changes = len(rig.bench.store.events(type="params_changed"))
    m.replies.clear()
    again = m.command("params.set", {"values": {"health.zero_days": 5}}, cid="same-1", ts=ts)
    assert again == first
    assert len(rig.bench.store.events(type="params_changed")) == changes


@pytest.mark.parametrize("case, code", [
    ("forged", "unauthorized"), ("expired", "expired"), ("replayed", "replayed"),
    ("unknown_op", "unknown_op"), ("bad_json", "bad_request"), ("wrong_type", "bad_request"),
    ("unsigned_control", "unauthorized")])
def test_refusals_have_their_code_are_logged_and_change_nothing(rig, case, code):
    m, b = rig.master, rig.bench
    before = (b.params.get("health.zero_days"), len(b.archive.list()))
    rejected = len(b.store.events(type="command_rejected"))
    args = {"values": {"health.zero_days": 9}}
    cid = "bad-" + case
    if case == "forged":
        reply = m.command("params.set", args, cid=cid, key="not-the-key")
    elif case == "expired":
        reply = m.command("params.set", args, cid=cid, ts=now_iso(-3600))
    elif case == "replayed":
        m.command("ping", cid=cid)
        m.replies.clear()
        reply = m.command("params.set", args, cid=cid)
    elif case == "unknown_op":
        reply = m.command("self.destruct", {}, cid=cid)
    elif case == "bad_json":
        m.command("ping", cid=cid, raw=b"{not json", wait=False)
        assert m.wait(lambda: any(r.get("error", {}).get("message", "").startswith("not JSON")
                                  for r in m.replies), 10)
        reply = [r for r in m.replies if r.get("error", {}).get("message", "").startswith("not JSON")][-1]
    elif case == "wrong_type":
        reply = m.command("params.set", {"values": {"health.zero_days": "many"}}, cid=cid)
    else:
        reply = m.command("params.set", args, cid=cid, sign=False)
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert (b.params.get("health.zero_days"), len(b.archive.list())) == before
    if case != "wrong_type":        # refused by the command layer: command_rejected
        assert len(b.store.events(type="command_rejected")) == rejected + 1
    # refused before the handlers: the uplink's row names the id; refused by
    # the op's own checks: the dispatcher's row carries it in its detail
    logged = [(l["message"], (l["detail"] or {}).get("id")) for l in b.store.logs("operation")]
    assert any(case == "bad_json" or cid in line or cid == logged_id for line, logged_id in logged)


def test_status_heartbeat_carries_the_counters(tmp_path):
    from gateway.status import summary
    r = Rig(tmp_path, SCENARIO, real=True, params={"plan.realtime_interval_min": 0},
            uplink={"status_interval": 1})
    try:
        b = r.bench
        engine = b.start()
        r.uplink = None
        from upstream.uplink import Uplink
        r.uplink = Uplink(r.settings, b.store, r.handlers, b.engine_clock, "test",
                          stats=lambda: summary(engine, b.store, b.params))
        r.uplink.start()
        assert r.master.wait(lambda: r.master.statuses, 15)
        st = r.master.statuses[-1]
        assert st["cid"] == "c01" and st["uptime_s"] >= 0
        assert set(st["ports"]) == {"bus1", "bus2"} and "success_rate" in st["ports"]["bus1"]
        assert st["store"]["budget"] == 64 * 1048576 and st["meters"]["total"] == 3
        assert {"up", "waiting_records", "unacked_batches", "oldest_age_s"} <= set(st["uplink"])
        assert "drift_ppm" in st["clock"]
    finally:
        r.close()
