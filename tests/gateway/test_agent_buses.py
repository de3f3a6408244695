"""The running agent with a bus that fails as real ones do: a serial device
that disappears (EIO), an Ethernet-to-RS485 converter that drops and comes
back, noise on the line, a transaction that hangs.

The agent opens bus1 with real pyserial: a pty or a TCP server of the
simulator (sim.lines) in front of the scenario's simulated meters; the other
buses stay in process.  Real clock, real files; conditions are waited for.
"""

import logging
import os
import socket
import threading
import time

import pytest

from drivers.transport import SerialTransport
from gateway.status import summary
from sim.lines import PtyLine, TcpLine
from tests.gateway.agent_rig import AgentRig

SCENARIO = {"port": [
    {"name": "bus1", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"}]},
    {"name": "bus2", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 1, "first_address": "000000000201"}]}]}
BOUND = 60.0


def wait_for(cond, seconds=BOUND):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def rig_on(tmp_path, line_class, **kw):
    """An agent whose bus1 is ``line_class`` (PtyLine/TcpLine) opened with pyserial."""
    rig = AgentRig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0,
                                               "health.offline_after": 3}, start=False)
    responder = rig.lines["bus1"].engine.responder
    line = line_class(responder, rig.clock, baud=9600, **kw).start()
    rig.lines["bus1"] = SerialTransport(line.url, 9600, "E")
    rig.start()
    bus1 = sorted(m["id"] for m in rig.agent.archive.list() if m["port"] == "bus1")
    return rig, line, responder, bus1


def read(rig, mid):
    return rig.agent.engine.read_now([mid], timeout=BOUND)[mid]


def events(rig, type_):
    return rig.agent.store.events(type=type_)


def bugs(caplog):
    """Log records with a traceback (what a bug in a job gives)."""
    return [r for r in caplog.records if r.exc_info]


def test_a_device_that_disappears_is_a_port_fault_with_meter_offline(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rig, line, _, bus1 = rig_on(tmp_path, PtyLine)
    try:
        assert "values" in read(rig, bus1[0])
        line.stop()                  # the pty's master closed: EIO, as a USB adapter pulled
        for _ in range(3):
            got = read(rig, bus1[0])
            assert got["error"] == "meter_error"
        assert "Input/output error" in events(rig, "meter_offline")[0]["detail"]["error"] or \
            "is down" in events(rig, "meter_offline")[0]["detail"]["error"]
        st = summary(rig.agent.engine, rig.agent.store, rig.agent.params)
        assert st["meters"]["offline"] == 1
        assert st["ports"]["bus1"]["port_faults"] >= 1 and st["ports"]["bus1"]["last_error"]
        assert bugs(caplog) == []
        # the other bus is not touched
        other = sorted(m["id"] for m in rig.agent.archive.list() if m["port"] == "bus2")[0]
        assert "values" in read(rig, other)
    finally:
        rig.stop()


def test_a_tcp_converter_that_drops_is_reopened_and_its_meter_comes_back(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rig, line, responder, bus1 = rig_on(tmp_path, TcpLine)
    tcp_port = line.port
    try:
        assert "values" in read(rig, bus1[0])
        line.stop()
        assert wait_for(lambda: "error" in read(rig, bus1[0]) and
                        events(rig, "meter_offline"))
        line = TcpLine(responder, rig.clock, baud=9600, port=tcp_port).start()
        assert wait_for(lambda: "values" in read(rig, bus1[0]))
        back = events(rig, "meter_back_online")
        assert [e["meter"] for e in back] == [bus1[0]]
        assert rig.agent.ports["bus1"].counters.port.reopens >= 1
        assert bugs(caplog) == []
    finally:
        rig.stop()
        line.stop()


def test_a_noisy_bus_stops_in_bounded_time_and_reports_its_noise(tmp_path):
    rig, line, _, bus1 = rig_on(tmp_path, PtyLine)
    line.engine.set_noise(240, rig.clock.monotonic())
    try:
        got = read(rig, bus1[0])
        assert got["error"] == "meter_error" and got["message"].startswith("noise: ")
        st = summary(rig.agent.engine, rig.agent.store, rig.agent.params)
        assert st["ports"]["bus1"]["noise_bytes"] > 0
        assert st["ports"]["bus1"]["last_error"].startswith("noise: ")
        # the bus is in a transaction on the noise when the agent is told to stop
        threading.Thread(target=rig.agent.engine.read_now, args=(bus1, None, BOUND),
                         daemon=True).start()
        port = rig.agent.ports["bus1"]
        before = port.counters.port.requests
        assert wait_for(lambda: port.counters.port.requests > before)
        t0 = time.monotonic()
        rig.stop()
        assert time.monotonic() - t0 < 10       # was 30 s per bus
    finally:
        rig.stop()
        line.stop()


class Notify:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)

    def next(self, text, seconds=BOUND):
        """True when a message with ``text`` arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if text in self.sock.recv(4096).decode():
                    return True
            except socket.timeout:
                pass
        return False

    def drain(self):
        self.sock.settimeout(0)
        try:
            while True:
                self.sock.recv(4096)
        except (BlockingIOError, socket.timeout):
            pass
        finally:
            self.sock.settimeout(0.2)


class Hung:
    """A line stuck inside its read, ignoring the timeout, until released."""

    def __init__(self):
        self.is_open = False
        self.url = "hung://bus1"
        self.hung = threading.Event()
        self.release = threading.Event()

    def open(self):
        self.is_open = True

    def close(self):
        self.is_open = False

    def write(self, data):
        pass

    def flush_input(self):
        pass

    def read(self, max_bytes, timeout):
        if self.hung.is_set():
            self.release.wait(BOUND)
        return b""


def test_the_watchdog_is_fed_only_while_every_bus_makes_progress(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    notify = Notify(os.path.join(str(tmp_path), "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", notify.path)
    monkeypatch.setenv("WATCHDOG_USEC", "200000")     # a ping every 0.1 s
    rig = AgentRig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0}, start=False)
    hung = Hung()
    rig.lines["bus1"] = hung
    agent = rig.start()
    agent.progress_bound = 0.5
    runner = threading.Thread(target=agent.run, daemon=True)
    runner.start()
    bus1 = sorted(m["id"] for m in agent.archive.list() if m["port"] == "bus1")
    try:
        assert notify.next("WATCHDOG=1")               # failing (silent) but progressing
        assert "error" in read(rig, bus1[0])
        assert notify.next("WATCHDOG=1")
        hung.hung.set()                                # now a transaction never ends
        threading.Thread(target=agent.engine.read_now, args=(bus1[:1], None, BOUND),
                         daemon=True).start()
        assert wait_for(lambda: agent.stalled() == ["bus bus1"])
        assert wait_for(lambda: any("the watchdog is no longer fed" in r.getMessage()
                                    for r in caplog.records))
        assert "bus bus1" in [r for r in caplog.records
                              if "no longer fed" in r.getMessage()][0].getMessage()
        hung.hung.clear()
        hung.release.set()                             # the transaction ends: fed again
        assert wait_for(lambda: agent.stalled() == [])
        notify.drain()
        assert notify.next("WATCHDOG=1")
    finally:
        hung.release.set()
        agent.stopping.set()
        runner.join(BOUND)
        rig.stop()
        notify.sock.close()

