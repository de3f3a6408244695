"""A full disk while the agent runs: one clear error and a ``disk_full`` event,
reminders at a bounded rate on the agent's clock, recovery when space is back
(the issue: 79 tracebacks in a minute).

The disk fills for real as far as SQLite can tell: ``PRAGMA max_page_count``
on every connection of the store makes each write that needs a new page
fail with SQLite's own SQLITE_FULL, the error a full file system gives (a
full file system itself cannot be made on demand without root).
"""

import logging

import pytest

from drivers.clock import VirtualClock
from gateway.agent import Agent
from gateway.console.client import ControlClient
from gateway.demo_board import board
from sim.broker import Mosquitto

T0 = 1793462400 + 9 * 3600     # 2026-11-01 09:00 local
SCENARIO = {"port": [{"name": "bus1", "baud": 9600, "meters": [
    {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000101"},
    {"protocol": "modbus", "kind": "electricity", "count": 2, "first_address": "1"}]}]}


class FullDisk:
    """SQLite's page limit on every connection of ``store`` (those open and
    those still to come): ``fill()`` stops the file growing, ``free()`` lifts it."""

    def __init__(self, store, monkeypatch):
        self.store = store
        self.limit = None
        self.applied = {}
        original = store.connect

        def connect():
            c = original()
            if self.limit is not None and self.applied.get(id(c)) != self.limit:
                c.execute("PRAGMA max_page_count = %d" % self.limit)
                self.applied[id(c)] = self.limit
            return c
        monkeypatch.setattr(store, "connect", connect)

    def _apply(self, limit):
        self.limit = limit
        for held in list(self.store._all):
            held.conn.execute("PRAGMA max_page_count = %d" % limit)
            self.applied[id(held.conn)] = limit

    def fill(self):
        c = self.store.connect()
        self._apply(c.execute("PRAGMA page_count").fetchone()[0])

    def free(self):
        self._apply(1 << 30)


@pytest.fixture(params=["no uplink", "uplink"])
def agent(request, tmp_path, monkeypatch):
    broker = uplink = None
    if request.param == "uplink":       # the forwarder writes batches to the store too
        broker = Mosquitto(str(tmp_path / "broker"), persistence=False).start()
        uplink = {"host": "127.0.0.1", "port": broker.port, "reconnect_min": 0.2,
                  "reconnect_max": 2.0}
    clock = VirtualClock(start=T0, auto=True)
    cfg, lines, _ = board(SCENARIO, clock, str(tmp_path / "data"), str(tmp_path / "c.sock"),
                          uplink=uplink, params={"plan.realtime_interval_min": 1})
    clock.register()                   # time moves only while this test sleeps
    a = Agent(cfg, clock=clock, transports=lines)
    a.disk = FullDisk(a.store, monkeypatch)
    a.broker = broker
    a.start()
    yield a
    clock.unregister()
    a.stop()
    if broker:
        broker.stop()


def test_a_full_disk_is_one_error_an_event_reminders_and_recovery(agent, caplog):
    clock, store = agent.clock, agent.store
    clock.sleep(300)
    assert store.count("realtime") > 0
    caplog.clear()
    caplog.set_level(logging.INFO)
    if agent.broker:                     # a backlog for the uplink when the disk fills
        agent.broker.stop()
        clock.sleep(600)
    agent.disk.fill()
    for _ in range(60):                  # free pages in the file take some writes first
        if store.full is not None:
            break
        clock.sleep(60)
    full_at = clock.time()
    assert store.full is not None
    if agent.broker:                     # the uplink comes back: batches cannot be written
        agent.broker.start()
    clock.sleep(3 * 3600 + 300)          # 3 hours of reads every minute, none stored
    assert store.full is not None and store.full_failures > 500
    status = ControlClient(agent.cfg.concentrator["socket"]).call("status")   # the console
    assert status["agent"] == "running"
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING
                and r.name != "upstream.session"]      # but the broker's outage
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks == [], tracebacks[0].getMessage()
    errors = [r.getMessage() for r in problems if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "the file system is full" in errors[0] and store.path in errors[0]
    assert "remove other files there, or lower store.budget_mb" in errors[0]
    reminders = [r.getMessage() for r in problems if "still full" in r.getMessage()]
    assert len(reminders) == 3, reminders          # one an hour
    assert len(problems) == 4
    assert "writes lost so far" in reminders[-1]

    agent.disk.free()
    caplog.clear()
    clock.sleep(600)                     # the all-clear after 5 minutes of writes that work
    back = [r.getMessage() for r in caplog.records if "space is back" in r.getMessage()]
    assert len(back) == 1 and store.full is None
    assert store.count("realtime") > 0 and store.readings("realtime", newest=True, limit=1)[0][
        "ts"] > full_at + 3 * 3600
    (event,) = store.events(type="disk_full")
    assert event["severity"] == "critical" and full_at - 60 <= event["ts"] <= full_at
    assert event["detail"]["path"] == store.path

