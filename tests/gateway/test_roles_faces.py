"""Issue 12: for each role, every op of the table through the console (on the
files, agent stopped), the control socket (the running agent) and MQTT (a
real mosquitto, the master station acting with that role): the ops the role's
permissions grant run (those given harmless arguments succeed), the others
are refused ``unauthorized`` naming the permission, each with an
operation-log row saying who and which op.

The arguments are chosen to change nothing lasting: a call the permission
lets through may still fail on its arguments (``bad_request``,
``unknown_meter``, ``not_supported``) -- that is the op's own check, after
the permission's.  Refusals by the users rules (a department, the last super
administrator) are tested in test_auth.py; here "refused" is the permission
column's refusal only.
"""

import pytest

from gateway.auth import roles
from gateway.console.client import ControlClient, ControlError
from gateway.console.offline import Offline
from gateway.ops.table import OPS
from sim.broker import Mosquitto
from sim.station import Master
from tests.gateway.agent_rig import QUIET, AgentRig
from upstream.errors import CommandError

WIDE = {"from": "2020-01-01T00:00:00+08:00", "to": "2040-01-01T00:00:00+08:00"}
NOBODY = "nobody-here"
ARGS = {
    "ping": {}, "read": {"meters": ["m-0001"]},
    "recall": {"kind": "daily", "from": "2021-01-01T00:00:00+08:00",
               "to": "2021-01-02T00:00:00+08:00"},
    "time.get": {}, "time.set": {"ts": "not a time"},
    "time.sync_meters": {"meters": ["m-0404"]}, "freeze": {"kind": "weekly"},
    "meters.list": {}, "meters.add": {"meters": [{"address": "x"}]},
    "meters.update": {"meters": [{"id": "m-0001", "name": "gate"}]},
    "meters.remove": {"meters": ["m-0404"]}, "meters.import": {"csv": 5},
    "meters.export": {}, "params.get": {"keys": ["plan.hourly"]},
    "params.set": {"values": {"health.zero_days": 3}},
    "control": {"meter": "m-0001", "action": "fly"}, "events.query": WIDE,
    "meter.params.get": {"meter": "m-0404"},
    "meter.params.set": {"meter": "m-0001", "params": {"fly": 1}},
    "logs.query": dict(WIDE, category="modification"), "diag": {},
    "reset": {"what": "data"},                       # no confirm: refused by the op itself
    "status": {}, "data": {"meter": "m-0001", "kind": "daily"},
    "upgrade.begin": {}, "upgrade.status": {}, "upgrade.apply": {}, "upgrade.abort": {},
    "lcd.keys": {"keys": []}, "lcd.screen": {},
    "login": None, "logout": {}, "whoami": {}, "users.init": {"name": NOBODY, "password": "x"},
    "users.passwd": {"old": "not-it", "new": "whatever-else"}, "users.list": {},
    "users.add": {"name": NOBODY}, "users.update": {"name": NOBODY},
    "users.remove": {"name": NOBODY}, "roles.list": {},
    "roles.set": {"name": "r", "permissions": ["fly"]}, "roles.remove": {"name": NOBODY},
}
# these succeed outright when allowed (the others may fail on their arguments)
SUCCEED = {"ping", "read", "recall", "time.get", "meters.list", "meters.update",
           "meters.export", "params.get", "params.set", "events.query", "logs.query", "diag",
           "status", "data", "lcd.screen", "login", "whoami", "users.list", "roles.list"}
ROLES = ("super", "dept_admin", "operator", "viewer")
PASSWORD = "role-password-1"


def test_every_op_has_arguments_here():
    assert set(ARGS) == set(op.name for op in OPS), "a new op: give it harmless ARGS here"


def ordered():
    """The table's ops, logout last (it ends the session)."""
    return [op for op in OPS if op.name != "logout"] + [op for op in OPS if op.name == "logout"]


def args_of(op, role):
    if op.name == "login":
        return {"name": "u-" + role, "password": PASSWORD}
    return ARGS[op.name]


def outcome(fn):
    """("ok", result) or (code, message)."""
    try:
        return "ok", fn()
    except (ControlError, CommandError) as err:
        return err.code, err.message


def permission_refusal(code, message):
    return code == "unauthorized" and "needs the permission" in message


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faces")
    broker = Mosquitto(str(tmp / "broker")).start()
    rig = AgentRig(tmp / "rig", params=dict(QUIET, **{"uplink.allow_unsigned_control": True}),
                   uplink={"host": "127.0.0.1", "port": broker.port, "reconnect_min": 0.2,
                           "reconnect_max": 1.0})
    master = Master(broker.port, "c01")
    admin = ControlClient(rig.socket)
    tokens = {}
    for role in ROLES:
        admin.call("users.add", {"name": "u-" + role, "role": role, "password": PASSWORD})
        tokens[role] = admin.call("login", {"name": "u-" + role, "password": PASSWORD})["token"]
    assert master.wait(lambda: any(s.get("state") == "online" for s in master.states), 30)
    yield rig, master, admin, tokens
    master.close()
    rig.stop()
    broker.stop()


def refusal_rows(store_logs, op, user, after):
    return [r for r in store_logs if r["id"] > after and r["detail"].get("op") == op and
            r["detail"].get("code") == "unauthorized" and r["detail"].get("user") == user]


def last_id(admin):
    rows = admin.call("logs.query", dict(WIDE, category="operation"))["logs"]
    return rows[-1]["id"] if rows else 0


def check(face, role, op, code, message, result, allowed, rows):
    where = "%s %s %s" % (face, role, op.name)
    if allowed:
        assert not permission_refusal(code, message), (where, message)
        if op.name in SUCCEED:
            assert code == "ok", (where, code, message)
    else:
        assert permission_refusal(code, message), (where, code, message)
        assert op.permission in message, (where, message)
        assert len(rows) == 1, (where, rows)


@pytest.mark.parametrize("role", ROLES)
def test_control_socket_every_op_for_each_role(board, role):
    rig, master, admin, tokens = board
    client = ControlClient(rig.socket, token=tokens[role])
    for op in ordered():
        after = last_id(admin)
        code, got = outcome(lambda: client.call(op.name, args_of(op, role)))
        allowed = roles.grants(roles.BUILTIN[role], op)
        rows = refusal_rows(admin.call("logs.query", dict(WIDE, category="operation"))["logs"],
                            op.name, "u-" + role, after)
        check("socket", role, op, code, got if code != "ok" else "", got, allowed, rows)
    # logout ended the session: the next call has none
    code, message = outcome(lambda: client.call("meters.list"))
    assert code == "unauthorized" and "no session" in message
    tokens[role] = admin.call("login", {"name": "u-" + role, "password": PASSWORD})["token"]


@pytest.mark.parametrize("role", ROLES)
def test_mqtt_every_op_for_each_role_of_the_master_station(board, role):
    rig, master, admin, tokens = board
    admin.call("params.set", {"values": {"access.master_role": role}})
    try:
        for op in ordered():
            if op.console_only:
                reply = master.command(op.name, {}, wait=20)
                assert reply["error"]["code"] == "unknown_op", (role, op.name)
                continue
            after = last_id(admin)
            reply = master.command(op.name, args_of(op, role), wait=30)
            assert reply is not None, (role, op.name)
            code = "ok" if reply.get("ok") else reply["error"]["code"]
            message = "" if reply.get("ok") else reply["error"]["message"]
            allowed = roles.grants(roles.BUILTIN[role], op)
            logs = admin.call("logs.query", dict(WIDE, category="operation"))["logs"]
            rows = refusal_rows(logs, op.name, "master", after)
            check("mqtt", role, op, code, message, reply.get("result"), allowed, rows)
            if not allowed:
                assert rows[0]["detail"]["id"] == reply["id"]
                assert rows[0]["detail"]["where"] == "mqtt command %s" % reply["id"]
    finally:
        admin.call("params.set", {"values": {"access.master_role": "master_station"}})


def test_console_on_the_files_every_offline_op_for_each_role(board):
    """Last: the agent stops and the console works on the files, checking the same."""
    rig, master, admin, tokens = board
    rig.stop()
    offline = Offline(rig.cfg)
    try:
        for role in ROLES:
            meta = {"source": "console", "token": tokens[role], "where": "console (test)"}
            for op in ordered():
                if not op.offline:
                    continue
                after = max([r["id"] for r in offline.store.logs("operation")] or [0])
                code, got = outcome(lambda: offline.call(op.name, args_of(op, role), meta))
                allowed = roles.grants(roles.BUILTIN[role], op)
                rows = refusal_rows(offline.store.logs("operation"), op.name, "u-" + role,
                                    after)
                check("offline", role, op, code, got if code != "ok" else "", got, allowed,
                      rows)
    finally:
        offline.close()
        rig.start()
