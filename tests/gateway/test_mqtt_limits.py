"""mqtt.md "Limits": what a command may be, how large a reply; every refusal
carries the command's id when it can be read, is logged and raises
command_rejected."""

import json

import pytest

from tests.gateway.test_ops_mqtt import Mqtt
from upstream import jsonexact, limits


@pytest.fixture
def mqtt(gw):
    return Mqtt(gw)


def refused(m, payload):
    m.replies.clear()
    m.p.process(payload if isinstance(payload, bytes) else payload.encode())
    (reply,) = m.replies
    assert reply["ok"] is False
    return reply


def rejected_codes(gw):
    return [e["detail"]["code"] for e in gw.b.store.events(type="command_rejected")]


def test_a_payload_over_64_kib_is_too_large_without_being_parsed(mqtt, gw):
    big = '{"id": "b1", "op": "ping", "args": {"%s": 1}}' % ("x" * (1 << 20))   # a 1 MB name
    reply = refused(mqtt, big)
    assert reply["error"]["code"] == "too_large" and reply["id"] is None
    assert len(json.dumps(reply)) < 1000                      # nothing of it echoed back
    assert rejected_codes(gw) == ["too_large"]


def test_deep_nesting_is_refused_with_the_id_and_a_reply(mqtt):
    deep = '{"id": "n1", "op": "ping", "args": {"a": %s1%s}}' % ("[" * 2000, "]" * 2000)
    reply = refused(mqtt, deep)
    assert reply["id"] == "n1" and reply["error"]["code"] == "bad_request"
    assert "nested 2002 levels deep; at most 32" in reply["error"]["message"]


def test_a_list_over_2048_items_is_too_large(mqtt):
    ids = ["m-%05d" % k for k in range(2049)]
    reply = refused(mqtt, json.dumps({"id": "l1", "op": "read", "args": {"meters": ids}}))
    assert reply["id"] == "l1" and reply["error"]["code"] == "too_large"


def test_a_key_given_twice_is_ambiguous_and_not_run(mqtt, gw):
    reply = refused(mqtt, '{"id": "d1", "id": "d2", "op": "ping"}')
    assert reply["id"] is None and "given twice" in reply["error"]["message"]
    reply = refused(mqtt, '{"id": "d3", "op": "ping", "op": "reset"}')
    assert reply["id"] == "d3" and reply["error"]["code"] == "bad_request"
    assert not [r for r in gw.b.store.logs("operation") if "ping from mqtt: ok" in r["message"]]


@pytest.mark.parametrize("command", [
    {"id": "f1"},                                          # no op
    {"id": "f1", "op": 7},                                 # op not text
    {"id": "f1", "op": "ping", "args": [1, 2]},            # args a list
    {"id": "f1", "op": "ping", "sig": 5},                  # sig not text
    {"id": "f1", "op": "ping", "extra": True},             # an unknown field
])
def test_refusals_of_a_readable_command_carry_its_id(mqtt, gw, command):
    reply = refused(mqtt, json.dumps(command))
    assert reply["id"] == "f1" and reply["error"]["code"] == "bad_request"
    assert rejected_codes(gw) == ["bad_request"]
    assert any("f1" in r["message"] for r in gw.b.store.logs("operation"))


def test_a_refusal_by_the_operation_raises_command_rejected(mqtt, gw):
    (reply,) = mqtt.send("h1", "recall", {"kind": "weekly"})
    assert reply["error"]["code"] == "bad_request"
    assert rejected_codes(gw) == ["bad_request"]


def test_a_reply_over_256_kib_is_cut_and_says_so():
    reply = {"id": "r1", "ok": True, "result": {"meters": dict(
        ("m-%05d" % k, {"error": {"code": "unknown_meter", "message": "x" * 100}})
        for k in range(4000)), "other": 1}}
    text = limits.bound_reply(reply, jsonexact.dumps)
    assert len(text.encode()) <= limits.MAX_REPLY
    got = jsonexact.loads(text)["result"]
    assert got["truncated"] is True and got["other"] == 1
    assert len(got["meters"]) + got["left_out"] == 4000 and got["left_out"] > 0
    small = {"id": "r2", "ok": True, "result": {"a": [1, 2]}}
    assert limits.bound_reply(small, jsonexact.dumps) == jsonexact.dumps(small)
