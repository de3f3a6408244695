"""MQTT commands through the one dispatcher: logged once, errors wrapped once,
busy refusals counted, signatures asked of the op table.

``CommandProcessor.process`` runs synchronously here (no broker): a command
in, the replies it sends out, the store's operation log to look at.
"""

import json
import queue

import pytest

from upstream import jsonexact
from upstream.commands import CommandProcessor
from upstream.settings import UplinkSettings


class Mqtt:
    """A CommandProcessor on ``handlers`` over the Bench's store and clock."""

    def __init__(self, gw, handlers=None, **settings):
        self.gw = gw
        self.replies = []
        self.p = CommandProcessor(UplinkSettings(cid="c01", **settings), handlers or gw.h,
                                  gw.b.store, gw.b.engine_clock,
                                  lambda text, response: self.replies.append(jsonexact.loads(text)))

    def send(self, cid, op, args=None):
        self.p.process(json.dumps({"id": cid, "op": op, "args": args or {}}).encode())
        return [r for r in self.replies if r.get("id") == cid and "accepted" not in r]

    def rows(self):
        return self.gw.b.store.logs("operation")


@pytest.fixture
def mqtt(gw):
    return Mqtt(gw)


def rows_of(rows, cid):
    return [r for r in rows if cid in r["message"] or (r["detail"] or {}).get("id") == cid]


def test_one_operation_log_row_per_executed_command(mqtt):
    (reply,) = mqtt.send("p0", "ping")
    assert reply["ok"] and rows_of(mqtt.rows(), "p0") == []       # only looks: not logged
    mqtt.gw.b.params.set("log.queries", True)
    (reply,) = mqtt.send("p1", "ping")
    assert reply["ok"]
    (row,) = rows_of(mqtt.rows(), "p1")
    assert row["message"] == "command ping from mqtt: ok"
    (reply,) = mqtt.send("r1", "read", {"meters": ["m-0404"]})     # refused by the op's check
    assert reply["error"]["code"] == "unknown_meter"
    (row,) = rows_of(mqtt.rows(), "r1")
    assert row["detail"]["code"] == "unknown_meter"


def test_one_row_per_command_refused_before_the_dispatcher(mqtt):
    (reply,) = mqtt.send("u1", "self.destruct")
    assert reply["error"]["code"] == "unknown_op"
    (row,) = rows_of(mqtt.rows(), "u1")
    assert "rejected unknown_op" in row["message"]
    (reply,) = mqtt.send("s1", "status")           # console-only: not an MQTT op
    assert reply["error"]["code"] == "unknown_op"
    assert len(rows_of(mqtt.rows(), "s1")) == 1


def test_a_handler_bug_is_wrapped_once_and_logged_once(gw):
    h = gw.handlers()
    h.engine = None                                 # a bug: diag cannot work
    m = Mqtt(gw, h)
    (reply,) = m.send("d1", "diag")
    assert reply["error"]["code"] == "internal"
    assert reply["error"]["message"].startswith("diag failed: ")     # the dispatcher's words
    (row,) = rows_of(m.rows(), "d1")
    assert row["detail"]["code"] == "internal"


def test_busy_refusals_are_counted_and_logged(gw):
    m = Mqtt(gw)
    m.p.queue = queue.Queue(maxsize=1)              # no worker runs: the queue stays full
    m.p.submit(b'{"id": "q1", "op": "ping"}')
    m.p.submit(b'{"id": "q2", "op": "ping"}')
    (reply,) = m.replies                            # with its id (mqtt.md, Limits)
    assert reply == {"id": "q2", "ok": False, "error": {
        "code": "busy", "message": "too many commands waiting: send it again later"}}
    assert m.p.counters["rejected"] == 1 and m.p.counters["busy"] == 1
    (row,) = [r for r in m.rows() if "busy" in r["message"]]
    assert "rejected busy" in row["message"]
    assert [e["detail"]["code"] for e in gw.b.store.events(type="command_rejected")] == ["busy"]


class Signed:
    """Operations whose op table would say: ping needs a signature, control does not."""

    def __init__(self, h):
        self.h = h
        self.ops, self.slow, self.call = h.ops, h.slow, h.call

    def needs_signature(self, op):
        return op == "ping"


def test_authorisation_asks_the_handlers_which_ops_need_a_signature(gw):
    m = Mqtt(gw, Signed(gw.h))
    (reply,) = m.send("n1", "ping")
    assert reply["error"]["code"] == "unauthorized" and "ping needs a signed" in reply["error"][
        "message"]
    (reply,) = m.send("n2", "params.set", {"values": {"health.zero_days": 6}})
    assert reply["ok"] and gw.b.params.get("health.zero_days") == 6


def test_unsigned_control_ops_follow_the_control_column(gw):
    m = Mqtt(gw)
    (reply,) = m.send("c1", "params.set", {"values": {"health.zero_days": 6}})
    assert reply["error"]["code"] == "unauthorized"
    allowed = Mqtt(gw, allow_unsigned_control=True)
    (reply,) = allowed.send("c2", "params.set", {"values": {"health.zero_days": 6}})
    assert reply["ok"]
