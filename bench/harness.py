"""The whole acquisition engine on simulated meters, in virtual time.

One ``VirtualClock(auto=True)`` is true time: the meters live in it and the
in-process lines pace bytes with it.  The engine gets a ``ShiftedClock`` on
top (its own clock, which a test may set wrong or jump).  The test thread
registers with the clock, so time moves only while it sleeps: outages and
clock jumps happen at exact instants.
"""

import os

from drivers.clock import RealClock, ShiftedClock, VirtualClock
from drivers.port import Port
from drivers.radio import RadioModule
from drivers.meters import default_settings
from gateway.config import meter_rules
from protocols.core import quantities
from scheduler.engine import Engine
from sim.scenario import build
from store import Archive, Params, Store

T0 = 1793462400 + 9 * 3600     # 2026-11-01 09:00 local (Asia/Shanghai); 1793462400 is 00:00 local


class Bench:
    def __init__(self, tmp_path, scenario, start=T0, params=None, added=None, real=False):
        # real=True: the real clock (for tests that talk to real network peers
        # while the engine works, e.g. commands over MQTT)
        self.clock = RealClock() if real else VirtualClock(start=start, auto=True)
        if real:
            start = self.clock.time()
        self.engine_clock = ShiftedClock(self.clock)
        self.sc = build(scenario, self.clock, inproc=True)
        self.tmp = str(tmp_path)
        self.params = Params(os.path.join(self.tmp, "params.json"),
                             quantity_unit=quantities.unit_of)
        self.params.set_many(dict({"store.synchronous": "normal"}, **(params or {})))
        self.store = Store(os.path.join(self.tmp, "store.db"),
                           synchronous=self.params.get("store.synchronous"))
        self.buses = {}
        ports = [p["name"] for p in self.sc.ports]
        radio_name = self.sc.radio["name"] if self.sc.radio else None
        self.archive = Archive(os.path.join(self.tmp, "archive.json"),
                               meter_rules(ports + ([radio_name] if radio_name else []),
                                           radio_name))
        records = []
        for p in self.sc.ports:
            proto = p["meters"][0].protocol
            self.buses[p["name"]] = Port(p["name"], p["line"], self.clock,
                                         default_settings(proto, baud=p["baud"]))
            records += [self._record(m, p["name"]) for m in p["meters"]]
        self.radio = None
        if self.sc.radio:
            r = self.sc.radio
            port = Port(r["name"], r["line"], self.clock,
                        default_settings("dlt645-2007", baud=r["baud"], reply_timeout=2.0))
            self.radio = (r["name"], RadioModule(port, meter_timeout=r["module"].timeout + 2))
            records += [dict(self._record(m, r["name"]), radio=True) for m in r["meters"]]
        if not self.archive.count():       # a restart on the same files keeps the archive
            self.archive.add(records, now=added if added is not None else start)
        self.sim = dict((m.address, m) for m in self.sc.meters())
        self.ids = dict((rec["id"], rec) for rec in self.archive.list())
        self.engine = None
        self.clock.register()

    @staticmethod
    def _record(m, port):
        return {"address": m.address, "protocol": m.protocol, "port": port, "kind": m.kind}

    def meter_of(self, meter_id):
        return self.sim[self.ids[meter_id]["address"]]

    def start(self):
        self.engine = Engine(self.engine_clock, self.store, self.archive, self.params, self.buses,
                             self.radio)
        self.engine.start()
        return self.engine

    def stop(self):
        """A power cut: the engine stops (the meters go on)."""
        self.clock.unregister()
        try:
            self.engine.stop()
        finally:
            self.clock.register()
        self.engine = None

    def run_until(self, t):
        """Let true time reach ``t`` (the engine works meanwhile)."""
        now = self.clock.time()
        if t > now:
            self.clock.sleep(t - now)

    def close(self):
        if self.engine:
            self.stop()
        self.clock.unregister()
        self.store.close()
