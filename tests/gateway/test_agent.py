"""The agent assembled from its configuration, and its control socket.

A real agent (real clock, files, Unix socket) on simulated meters in process;
the console side is the real ControlClient or a raw socket.
"""

import json
import os
import socket
import stat
import threading

import pytest

from gateway import agent as agent_module
from gateway.agent import Agent, sd_notify
from gateway.console import session
from gateway.console.client import ControlClient, ControlError
from tests.gateway.agent_rig import ADMIN, ADMIN_PASSWORD, AgentRig, login

WIDE = {"from": "2020-01-01T00:00:00+08:00", "to": "2040-01-01T00:00:00+08:00"}


@pytest.fixture
def rig(tmp_path):
    r = AgentRig(tmp_path)
    yield r
    r.stop()


def raw(path, *lines):
    """Send raw lines on one connection; the replies, parsed."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        f = s.makefile("rwb")
        out = []
        for line in lines:
            f.write(line + b"\n")
            f.flush()
            out.append(json.loads(f.readline()))
        return out


def test_socket_is_private_and_speaks_json_lines(rig):
    mode = stat.S_IMODE(os.stat(rig.socket).st_mode)
    assert mode == 0o600
    token = session.load(rig.socket).encode()     # the rig's login
    replies = raw(rig.socket, b'{"op": "ping", "token": "%s"}' % token, b"not json",
                  b'{"op": "fly"}', b'[1]', b'{"op": "meters.list", "args": [], "token": "%s"}'
                  % token, b'{"op": "status", "token": "%s"}' % token)
    assert replies[0]["ok"] and replies[0]["result"]["fw"]
    assert replies[1] == {"ok": False, "error": {"code": "bad_request", "message": replies[1][
        "error"]["message"]}} and replies[1]["error"]["message"].startswith("not JSON")
    assert replies[2]["error"]["code"] == "unknown_op"
    assert "use one of" in replies[2]["error"]["message"]
    assert replies[3]["error"]["code"] == "bad_request"
    assert replies[4]["error"] == {"code": "bad_request", "message": "args must be an object"}
    st = replies[5]["result"]
    assert st["cid"] == "c01" and st["agent"] == "running"
    assert sorted(st["ports"]) == ["bus1", "bus2", "bus3", "bus4", "radio"]
    assert st["meters"] == {"total": 8, "offline": 0}
    assert st["uplink"] == {"enabled": False, "channel": None, "csq": None, "signal": None}


def test_console_calls_are_logged_with_the_session_operator_never_user(rig, monkeypatch):
    """Issue 12: USER=mallory is not who asks; the session's operator is, and from where
    is the socket peer (SO_PEERCRED) and the terminal."""
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("SUDO_USER", "mallory")
    c = ControlClient(rig.socket, user="mallory")
    c.call("params.set", {"values": {"log.queries": True}})
    c.call("ping")
    logs = c.call("logs.query", dict(WIDE, category="operation"))["logs"]
    ping = [r for r in logs if r["message"] == "command ping from console:admin: ok"]
    assert ping and "pid %d uid %d" % (os.getpid(), os.getuid()) in ping[0]["detail"]["where"]
    assert not any("mallory" in json.dumps(r) for r in logs)
    mods = c.call("logs.query", dict(WIDE, category="modification"))["logs"]
    assert any(r["detail"].get("by") == "console:admin" for r in mods)


def test_second_agent_is_refused_and_a_stale_socket_is_replaced(rig, tmp_path):
    with pytest.raises(ControlError) as info:
        Agent(rig.cfg, clock=rig.clock, transports=rig.lines)
    assert "another agent is running" in info.value.message
    assert ControlClient(rig.socket).call("ping")["fw"]      # the first one still answers
    rig.stop()
    # a killed agent leaves its socket file behind: the next start replaces it
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(rig.socket)
    s.close()
    assert os.path.exists(rig.socket)
    rig.start()
    assert ControlClient(rig.socket).call("ping")["fw"]


def test_not_running(tmp_path):
    with pytest.raises(ControlError) as info:
        ControlClient(str(tmp_path / "none.sock")).call("ping")
    assert info.value.code == "not_running"


def test_restart_keeps_meters_params_and_clock_and_reports_downtime(rig):
    c = ControlClient(rig.socket)
    c.call("params.set", {"values": {"plan.realtime_interval_min": 30}})
    c.call("meters.update", {"meters": {"id": "m-0001", "name": "gate house"}})
    c.call("time.set", {"ts": "2031-05-01T12:00:00+08:00"})
    rig.stop()
    rig.start()
    # the clock went forward years: the session's idle time ran out with it
    with pytest.raises(ControlError) as info:
        ControlClient(rig.socket).call("meters.list")
    assert info.value.code == "unauthorized" and "expired" in info.value.message
    login(rig, ADMIN, ADMIN_PASSWORD)
    c = ControlClient(rig.socket)
    meters = c.call("meters.list")["meters"]
    assert len(meters) == 8                                   # declared meters not added twice
    assert [m.get("name") for m in meters if m["id"] == "m-0001"] == ["gate house"]
    # the file's [params] were applied once: the console's change is kept
    got = c.call("params.get", {"keys": ["plan.realtime_interval_min"]})
    assert got["params"]["plan.realtime_interval_min"] == 30
    assert c.call("time.get")["ts"].startswith("2031-05-01T12:0")
    events = c.call("events.query", {"from": "2020-01-01T00:00:00+08:00",
                                     "to": "2040-01-01T00:00:00+08:00", "type": "power_up"})
    downtimes = [e["detail"]["downtime_s"] for e in events["events"]]
    assert downtimes[0] is None and len(downtimes) == 2
    assert downtimes[1] is not None and 0 <= downtimes[1] < 60


def test_uptime_comes_from_the_injected_clock():
    class Clock:
        def monotonic(self):
            return 1000.0

    class Cfg:
        id = "c01"
        link = {"channel": "", "signal_file": "", "signal_max_age_s": 300}
    agent = Agent.__new__(Agent)          # only _info is under test: no files, no socket
    agent.clock, agent.cfg, agent.uplink, agent.cid = Clock(), Cfg(), None, "c01"
    agent.started = 0.0                   # a virtual clock may start at 0
    assert agent._info()["uptime_s"] == 1000
    agent.started = None                  # not started yet
    assert agent._info()["uptime_s"] == 0


def test_sd_notify_never_blocks_on_a_listener_that_does_not_read(tmp_path, monkeypatch):
    """A full datagram queue (net.unix.max_dgram_qlen, often 10) held the agent's
    main thread in a watchdog ping or STOPPING=1: test_run_e2e hung at stop."""
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)                       # bound, never read
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setattr(agent_module, "NOTIFY_TIMEOUT", 0.01, raising=False)
    results = []
    t = threading.Thread(target=lambda: results.extend(sd_notify("WATCHDOG=1")
                                                       for _ in range(64)), daemon=True)
    try:
        t.start()
        t.join(120)
        assert not t.is_alive() and len(results) == 64
        assert results[0] is True and results[-1] is False     # the queue filled: dropped
    finally:
        listener.close()
