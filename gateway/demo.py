"""The demo: the whole product on a simulated board, in accelerated time.

The bench scenario's meters (every kind, four ports and a radio) run in
process on a ``VirtualClock``; the real agent (``gateway.agent.Agent``: the
same engine, store, uplink and control socket as on a board) runs on them
with its data in a temporary directory; a local mosquitto on a free loopback
port carries the uplink to a master-station client (``sim.master``) whose
view is printed live.  A governor paces virtual time at ``speed`` simulated
seconds per real second: the clock only jumps while every worker is idle
and the governor sleeps, so a day of polling takes ``86400 / speed`` real
seconds when the machine keeps up (and longer when it does not).
"""

import os
import shutil
import tempfile
import threading
import time
import tomllib

import click

from drivers.clock import ShiftedClock, VirtualClock
from store import KINDS

SCENARIO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "sim", "scenarios", "bench.toml")
STEP = 60.0                   # virtual seconds the governor lets pass at a time
DEMO_PARAMS = {"store.synchronous": "normal"}
WIDTH = 80


def default_scenario():
    import sim
    return os.path.join(os.path.dirname(sim.__file__), "scenarios", "bench.toml")


class Demo:
    def __init__(self, scenario=None, days=3.0, speed=4320.0, data_dir=None, broker=True,
                 out=click.echo, start=None):
        self.scenario_path = scenario or default_scenario()
        self.days = float(days)
        self.speed = float(speed)
        self.out = out
        self.keep = data_dir is not None
        self.dir = data_dir or tempfile.mkdtemp(prefix="concentrator-demo-")
        self.want_broker = broker
        self.t0 = float(start if start is not None else int(time.time()))
        self.broker = None
        self.master = None
        self.agent = None
        self.uplink_note = None
        self.pending = None
        self.view_lock = threading.Lock()

    # ------------------------------------------------------------ set-up
    def _start_broker(self):
        if not self.want_broker:
            self.uplink_note = "uplink disabled (--no-broker)"
            return None
        from sim.broker import Mosquitto
        try:
            self.broker = Mosquitto(os.path.join(self.dir, "broker"), persistence=False).start()
        except (RuntimeError, OSError) as err:
            self.broker = None
            self.uplink_note = "uplink disabled: no local MQTT broker could be started (%s)" % err
            return None
        return {"host": "127.0.0.1", "port": self.broker.port, "reconnect_min": 0.2,
                "reconnect_max": 2.0}

    def setup(self):
        from gateway.agent import Agent
        from gateway.demo_board import board
        from sim.scenario import ScenarioError
        with open(self.scenario_path, "rb") as f:
            try:
                scenario = tomllib.load(f)
            except tomllib.TOMLDecodeError as err:
                raise ScenarioError("%s: not valid TOML: %s" % (self.scenario_path, err))
        uplink = self._start_broker()
        self.clock = VirtualClock(start=self.t0, auto=True)
        cfg, lines, self.sc = board(scenario, self.clock, os.path.join(self.dir, "data"),
                                    os.path.join(self.dir, "control.sock"), cid="demo",
                                    uplink=uplink or {"enabled": False}, params=DEMO_PARAMS)
        self.cfg = cfg
        if uplink:
            from sim.master import MasterView
            try:
                self.master = MasterView("127.0.0.1", self.broker.port, "demo",
                                         on_message=self._show)
            except RuntimeError as err:
                self.uplink_note = "no master-station view: %s" % err
        self.agent = Agent(cfg, clock=ShiftedClock(self.clock), transports=lines)

    # --------------------------------------------------------- live view
    def _stamp(self):
        return time.strftime("%m-%d %H:%M", time.gmtime(self.clock.time() + self.clock.tz_offset))

    def _show(self, leaf, body):
        """One line per stream and simulated minute (the uplink sends what is
        committed at once: a boundary's values come in several batches)."""
        with self.view_lock:
            if leaf.startswith("data/"):
                stream = leaf[5:]
                records = body.get("records") or []
                if stream == "realtime" or not records:
                    return
                key = (stream, self._stamp())
                p = self.pending
                if p is not None and p["key"] != key:
                    self._flush()
                    p = None
                if p is None:
                    r = records[0]
                    p = self.pending = {"key": key, "first": body.get("seq"), "n": 0, "sample":
                                        "%s %s %s %s" % (r.get("meter"), r.get("value"),
                                                         r.get("unit"), r.get("q"))}
                p["last"] = body.get("seq")
                p["n"] += len(records)
                return
            self._flush()
            if leaf == "event":
                events = body.get("events") or []
                shown = "; ".join(" ".join(x for x in (e.get("type"), e.get("meter")) if x)
                                  for e in events)
                self.out(("%s  %-8s #%-9s %s" % (self._stamp(), "event", body.get("seq"),
                                                 shown))[:WIDTH])
            elif leaf == "state":
                meters = " (%s meters)" % body["meters"] if body.get("meters") else ""
                self.out("%s  %-8s %-10s %s%s" % (self._stamp(), "state", "", body.get("state"),
                                                  meters))

    def _flush(self):
        p, self.pending = self.pending, None
        if p is None:
            return
        seqs = "%s" % p["first"] if p["first"] == p["last"] else "%s-%s" % (p["first"], p["last"])
        stream, stamp = p["key"]
        self.out(("%s  %-8s #%-9s %4d rec  %s" % (stamp, stream, seqs, p["n"], p["sample"]))[:WIDTH])

    def _progress(self, day_end):
        with self.view_lock:
            self._flush()
        store = self.agent.store
        stored = sum(store.count(k) for k in KINDS)
        waiting = store.batch_backlog()[0]
        line = "-- %s  day %.1f of %g: %d readings stored, %d not yet batched" % (
            self._stamp(), (self.clock.time() - self.t0) / 86400.0, self.days, stored, waiting)
        self.out(line[:WIDTH])

    # ------------------------------------------------------------ running
    def run(self):
        """Set up, run ``days`` of virtual time, stop cleanly; the summary dict."""
        self.setup()
        self.out("demo: %d simulated meters on %d ports and a radio" % (len(self.sc.meters()),
                                                                        len(self.sc.ports)))
        self.out("      %g simulated days at %gx: about %d s" % (
            self.days, self.speed, self.days * 86400 / self.speed))
        self.out("      data in %s%s" % (self.dir, "" if self.keep else " (removed at the end)"))
        if self.broker:
            self.out("      master station: mosquitto on 127.0.0.1:%d, topics amr/demo/#"
                     % self.broker.port)
        else:
            self.out(self.uplink_note)
        self.out("the console, from another terminal while the demo runs:")
        self.out("  export CONCENTRATOR_CONFIG=%s" % self.config_file())
        self.out("  concentrator status; concentrator data m-0001 --kind hourly")
        self.out("")
        self.real0 = time.monotonic()
        self.clock.register()
        try:
            self.agent.start()
            self._govern()
            self._drain()
        finally:
            self._finish()
            self.clock.unregister()
        return self.summary()

    def config_file(self):
        from gateway.demo_board import config_data, to_toml
        path = os.path.join(self.dir, "concentrator.toml")
        if not os.path.exists(path):
            uplink = {"host": "127.0.0.1", "port": self.broker.port} if self.broker else \
                {"enabled": False}
            with open(path, "w") as f:
                f.write(to_toml(config_data(self.sc, "demo", os.path.join(self.dir, "data"),
                                            os.path.join(self.dir, "control.sock"), uplink,
                                            DEMO_PARAMS)))
        return path

    def _govern(self):
        end = self.t0 + self.days * 86400
        next_report = self.t0 + 6 * 3600
        while self.clock.time() < end:
            self.clock.sleep(min(STEP, end - self.clock.time()))
            ahead = (self.clock.time() - self.t0) / self.speed - (time.monotonic() - self.real0)
            if ahead > 0:
                time.sleep(ahead)
            if self.clock.time() >= next_report:
                self._progress(end)
                next_report += 6 * 3600

    def _drain(self, timeout=15):
        """Let the uplink hand over what the last minutes produced (virtual
        time stands still meanwhile: the governor does not sleep on it)."""
        if self.master is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.agent.store.batch_backlog()[:2] != (0, 0):
            time.sleep(0.2)

    def _finish(self):
        self.real_s = time.monotonic() - self.real0
        self.counts = None
        if self.agent is not None:
            self.counts = self._counts()
            # the workers finish their transactions in virtual time, which the
            # governor lets pass in small steps (no boundary is crossed meanwhile)
            stopper = threading.Thread(target=self.agent.stop, name="demo-stop")
            stopper.start()
            while stopper.is_alive():
                self.clock.sleep(0.5)
                stopper.join(0.02)
        time.sleep(0.3 if self.master else 0)       # the retained "offline" state
        with self.view_lock:
            self._flush()

    def _counts(self):
        a = self.agent
        kinds = {}
        for m in a.archive.list():
            kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
        requests = replies = 0
        for bus in a.engine.buses.values():
            counters = getattr(bus, "counters", None)
            snap = counters.port.snapshot() if counters else {}
            requests += snap.get("requests", 0)
            replies += snap.get("replies", 0)
        alarms = {}
        for e in a.store.events():
            if e["severity"] != "info":
                alarms[e["type"]] = alarms.get(e["type"], 0) + 1
        return {"meters": a.archive.count(), "by_kind": kinds,
                "readings": dict((k, a.store.count(k)) for k in KINDS),
                "requests": requests, "replies": replies, "alarms": alarms}

    def summary(self):
        c = self.counts or {}
        out = dict(c, days=self.days, real_s=round(self.real_s, 1),
                   uplink=bool(self.broker), note=self.uplink_note)
        if self.master:
            out["master"] = self.master.totals()
        return out

    def close(self):
        if self.master:
            self.master.close()
        if self.broker:
            self.broker.stop()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def summary_lines(s):
    """The closing summary, for an 80-column screen."""
    lines = ["", "summary: %g simulated days in %.0f s" % (s["days"], s["real_s"])]
    kinds = ", ".join("%s %d" % kv for kv in sorted(s.get("by_kind", {}).items()))
    lines.append("  meters          %d (%s)" % (s.get("meters", 0), kinds))
    lines.append("  readings        %s" % ", ".join("%s %d" % (k, s["readings"][k]) for k in KINDS
                                                   if k in s.get("readings", {})))
    req, rep = s.get("requests", 0), s.get("replies", 0)
    rate = "%.1f %%" % (100.0 * rep / req) if req else "-"
    lines.append("  success rate    %s (%d of %d requests answered)" % (rate, rep, req))
    alarms = s.get("alarms") or {}
    lines.append("  alarms raised   %s" % (", ".join("%s %d" % kv for kv in sorted(alarms.items()))
                                          or "none"))
    if s.get("master"):
        m = s["master"]
        recs = sum(m["records"].values())
        top = m["highest_seq"]
        missing = top - m["distinct_seqs"]
        lines.append("  master station  %d batches received, seq 1..%d, %s" % (
            m["batches"], top, "%d missing" % missing if missing else "none missing"))
        lines.append("                  %d records, %d events" % (recs, sum(m["events"].values())))
    else:
        lines.append("  master station  %s" % (s.get("note") or "uplink disabled"))
    return [line[:WIDTH] for line in lines]
