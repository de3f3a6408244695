"""The engine on simulated meters (virtual time) + the uplink + a real broker + the master."""

import os

from scheduler.boundaries import Calendar
from bench.harness import Bench
from sim.broker import Mosquitto
from sim.station import Master
from upstream.settings import UplinkSettings
from upstream.uplink import Uplink

CID = "c01"


class NoCommands:
    def ops(self):
        return {"ping"}

    def needs_signature(self, op):
        return False

    def slow(self, op, args=None):
        return False

    def call(self, op, args, meta):
        return {"pong": True}


class Rig:
    def __init__(self, tmp_path, scenario, params=None, uplink=None, handlers=None, master=True,
                 real=False, key=None):
        self.tmp = str(tmp_path)
        self.broker = Mosquitto(os.path.join(self.tmp, "broker")).start()
        self.bench = Bench(os.path.join(self.tmp, "agent"), scenario, params=params, real=real)
        self.handlers = handlers or NoCommands()
        settings = dict({"cid": CID, "port": self.broker.port, "reconnect_min": 0.2,
                         "reconnect_max": 1.0, "status_interval": 10}, **(uplink or {}))
        self.settings = UplinkSettings(**settings)
        self.uplink = None
        self.master = Master(self.broker.port, CID, key=key) if master else None

    def addresses(self):
        return dict((mid, rec["address"]) for mid, rec in self.bench.ids.items())

    def start_uplink(self):
        b = self.bench
        self.uplink = Uplink(self.settings, b.store, self.handlers, b.engine_clock, "test",
                             addresses=self.addresses, meters_count=lambda: len(b.ids),
                             tz_offset=lambda: 8 * 3600)
        self.uplink.start()
        return self.uplink

    def drained(self):
        return self.bench.store.batch_backlog()[:2] == (0, 0)

    def wait_drained(self, timeout=60):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.drained():
                return True
            time.sleep(0.1)
        return False

    def close(self):
        if self.uplink:
            self.uplink.stop()
        if self.master:
            self.master.close()
        self.bench.close()
        self.broker.stop()


CAL = Calendar()
