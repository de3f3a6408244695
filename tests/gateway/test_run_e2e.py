"""End to end: `concentrator run` as a process, on `concentrator sim` ptys, with a real broker.

Nothing in process but the console and the master station:

* `concentrator sim` (its own process) serves simulated meters on pseudo
  terminals; the agent opens them with pyserial like /dev/ttyS1 on a board;
* `concentrator run --config FILE` (its own process) under a fake systemd:
  NOTIFY_SOCKET is a datagram socket of this test, WATCHDOG_USEC is set;
* mosquitto on a free loopback port; the master station is the client of
  tests/upstream/master.py, written from mqtt.md alone;
* the console commands run as a field engineer runs them, and talk to the
  agent through its control socket.

The meters were commissioned three days ago (the archive is written before
the agent starts, as after a restore): on start the agent catches up their
frozen daily and hourly values from the meters' own records.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest

from store import Archive
from sim.broker import Mosquitto
from sim.station import Master, utc
from gateway.config import meter_rules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = """
[[port]]
name = "bus1"
line = "pty"
baud = 9600
  [[port.meters]]
  protocol = "dlt645-2007"
  count = 2
  first_address = "000000000101"

[[port]]
name = "bus2"
line = "pty"
baud = 2400
  [[port.meter]]
  protocol = "cjt188"
  kind = "water"
  address = "00000000000301"

[radio]
name = "radio"
line = "pty"
baud = 9600
delay = 0.1
  [[radio.meter]]
  protocol = "dlt645-2007"
  address = "000000000601"
"""
METERS = [("000000000101", "dlt645-2007", "bus1", "electricity", False),
          ("000000000102", "dlt645-2007", "bus1", "electricity", False),
          ("00000000000301", "cjt188", "bus2", "water", False),
          ("000000000601", "dlt645-2007", "radio", "electricity", True)]


def concentrator(*args, **kw):
    return [sys.executable, "-m", "gateway"] + list(args)


def console(config, *args, ok=True, input=None):
    """A console command as its own process; (exit code, stdout, stderr).  Its
    session file (concentrator login) is kept beside the configuration."""
    p = subprocess.run(concentrator(*args), capture_output=True, text=True, timeout=120, cwd=ROOT,
                       input=input, env=dict(os.environ, CONCENTRATOR_CONFIG=config,
                                             CONCENTRATOR_SESSIONS=os.path.join(
                                                 os.path.dirname(config), "sessions")))
    if ok:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.returncode, p.stdout, p.stderr


def js(text):
    """The console's JSON with the meters' digits kept (as the master station parses it)."""
    return json.loads(text, parse_float=Decimal)


def config_text(tmp, ports, broker_port):
    dev = dict((p["name"], p["url"]) for p in ports)
    lines = ['[concentrator]', 'id = "e2e"', 'data_dir = "%s/data"' % tmp,
             'socket = "%s/control.sock"' % tmp, 'log_level = "debug"', '',
             '[[port]]', 'name = "bus1"', 'device = "%s"' % dev["bus1"], 'baud = 9600', '',
             '[[port]]', 'name = "bus2"', 'device = "%s"' % dev["bus2"], 'protocol = "cjt188"',
             'trace = true', '',
             '[radio]', 'device = "%s"' % dev["radio"], 'meter_timeout = 5.0', '',
             '[uplink]', 'host = "127.0.0.1"', 'port = %d' % broker_port,
             'reconnect_min = 0.2', 'reconnect_max = 1.0', '',
             '[params]', 'plan.realtime_interval_min = 0', 'catchup.hourly_hours = 4', '']
    for address, protocol, port, kind, radio in METERS:
        lines += ['[[meter]]', 'address = "%s"' % address, 'protocol = "%s"' % protocol,
                  'port = "%s"' % port, 'kind = "%s"' % kind] + \
                 (['radio = true'] if radio else []) + ['']
    return "\n".join(lines)


class Notify:
    """The systemd side of sd_notify: a datagram socket read all the time, as
    systemd reads it (a socket read only now and then fills its queue of 10
    datagrams with watchdog pings)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self._closed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self._closed.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
            except OSError:
                return

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in m for m in list(self.messages)):
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def bench(tmp_path):
    scenario = tmp_path / "bench.toml"
    scenario.write_text(SCENARIO)
    sim = subprocess.Popen(concentrator("sim", "--scenario", str(scenario), "--json"),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True)
    broker = Mosquitto(tmp_path / "broker").start()
    try:
        ports = json.loads(sim.stdout.readline())["ports"]
        yield ports, broker
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(10)
        broker.stop()


def start_agent(tmp, config, notify):
    log = open(os.path.join(tmp, "agent.log"), "a")
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="1000000")
    agent = subprocess.Popen(concentrator("run", "--config", config), stdout=log,
                             stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    assert notify.wait_for("READY=1", 30), open(log.name).read()
    return agent


@pytest.mark.slow
def test_the_agent_as_a_process_with_its_console_and_a_master_station(tmp_path, bench):
    ports, broker = bench
    tmp = str(tmp_path)
    config = os.path.join(tmp, "concentrator.toml")
    with open(config, "w") as f:
        f.write(config_text(tmp, ports, broker.port))
    # commissioned three days ago
    os.makedirs(os.path.join(tmp, "data"))
    Archive(os.path.join(tmp, "data", "archive.json"),
            meter_rules(["bus1", "bus2", "radio"], "radio")).add(
        [{"address": a, "protocol": p, "port": port, "kind": k, "radio": r}
         for a, p, port, k, r in METERS], now=time.time() - 3 * 86400)
    master = Master(broker.port, "e2e")
    notify = Notify(os.path.join(tmp, "notify.sock"))
    # the first super administrator, made on the board before the first start; no session
    # for anyone before that
    console(config, "users", "init", "root", input="e2e-root-pass\ne2e-root-pass\n")
    agent = start_agent(tmp, config, notify)
    try:
        code, _, err = console(config, "meters", "list", ok=False)
        assert code == 1 and "log in first: concentrator login NAME" in err
        console(config, "login", "root", input="e2e-root-pass\n")
        # status and the archive through the running agent
        _, out, err = console(config, "status", "--json")
        st = js(out)
        assert st["cid"] == "e2e" and st["agent"] == "running"
        assert sorted(st["ports"]) == ["bus1", "bus2", "radio"]
        assert st["meters"]["total"] == 4                 # declared meters not added twice
        assert "not running" not in err
        _, out, _ = console(config, "meters", "list", "--json")
        listed = js(out)["meters"]
        assert [(m["id"], m["address"]) for m in listed] == [
            ("m-0001", "000000000101"), ("m-0002", "000000000102"),
            ("m-0003", "00000000000301"), ("m-0004", "000000000601")]

        # an on-demand read of a meter through the running agent
        _, out, _ = console(config, "read", "m-0002", "--json")
        read = js(out)["meters"]["m-0002"]["values"]
        energy = [v for v in read if v["q"] == "energy.active.import.total"][0]
        assert energy["unit"] == "kWh" and energy["value"] > 0

        # the frozen values the agent caught up, shown by the console ...
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            _, out, _ = console(config, "data", "m-0002", "--kind", "daily", "--json")
            daily = js(out)["values"]
            if len(set(v["ts"] for v in daily)) >= 3:
                break
            time.sleep(2)
        assert len(set(v["ts"] for v in daily)) >= 3, daily
        # caught up; the newest boundary may be today's scheduled freeze instead ("meter" or
        # "read") when the test runs in the read window after local midnight (00:05 on)
        newest = max(v["ts"] for v in daily)
        assert all(v["src"] == "catchup" for v in daily if v["ts"] != newest), daily
        assert all(v["src"] in ("catchup", "meter", "read") for v in daily), daily
        last_daily = max((v for v in daily if v["q"] == "energy.active.import.total"),
                         key=lambda v: v["ts"])
        assert last_daily["value"] <= energy["value"]        # the meter counts up

        # ... are what the master station received, digit for digit
        def received():
            return dict(((r["meter"], r["q"], utc(r["ts"])), r) for r in master.records()
                        if r["_kind"] == "daily")
        assert master.wait(lambda: all((v["meter"], v["q"], utc(v["ts"])) in received()
                                       for v in daily), 60)
        got = received()
        for v in daily:
            r = got[(v["meter"], v["q"], utc(v["ts"]))]
            assert str(r["value"]) == str(v["value"]) and r["unit"] == v["unit"]
            assert r["addr"] == "000000000102"
        assert master.states[-1]["state"] == "online"

        # the frame trace of bus2 is in the log, at debug level
        assert notify.wait_for("WATCHDOG=1", 5)
    finally:
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(60)
    log = open(os.path.join(tmp, "agent.log")).read()
    assert code == 0, log
    assert "agent e2e stopped" in log
    assert "trace.bus2: TX +0.000 s FE FE FE FE 68 10 01 03 00 00 00 00 00" in log, log[-3000:]
    assert re.search(r"trace.bus2: RX \+0\.\d{3} s FE FE FE FE 68 10 01 03 00 00 00 00 00 81 ", log)
    assert notify.wait_for("STOPPING=1", 5)
    assert master.wait(lambda: master.states and master.states[-1]["state"] == "offline", 10)

    # stopped: the console works on the files and says so; a read needs the agent
    code, out, err = console(config, "data", "m-0002", "--kind", "daily", "--json")
    assert code == 0 and js(out)["values"] == daily
    assert "the agent is not running; working on the files in %s/data" % tmp in err
    code, out, err = console(config, "read", "m-0002", ok=False)
    assert code == 1 and "needs the running agent" in err

    # started again: power_up with the downtime, to the master station
    agent = start_agent(tmp, config, Notify(os.path.join(tmp, "notify2.sock")))
    try:
        assert master.wait(lambda: [e for e in master.events() if e["type"] == "power_up"
                                    and e["detail"]["downtime_s"] is not None], 30)
    finally:
        agent.send_signal(signal.SIGINT)
        assert agent.wait(60) == 0
    master.close()
