"""The operations on the whole engine: simulated meters in virtual time.

Meters (ids as the archive gives them):

    bus1  m-0001 m-0002  DL/T645-2007          m-0003 m-0004  DL/T645-2007, clock +150 s
          m-0005         DL/T645-1997
    bus2  m-0006 m-0007  CJ/T188 water, clock -900 s      m-0008  CJ/T188 water, stuck valve
    bus3  m-0009         M-Bus water
"""

import pytest

from gateway.ops.dispatch import Operations
from bench.harness import Bench
from upstream.errors import CommandError

SCENARIO = {"port": [
    {"name": "bus1", "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000001"},
        {"protocol": "dlt645-2007", "count": 2, "first_address": "000000000011",
         "clock_offset": 150},
        {"protocol": "dlt645-1997", "count": 1, "first_address": "000000000201"}]},
    {"name": "bus2", "baud": 2400, "meters": [
        {"protocol": "cjt188", "kind": "water", "count": 2, "first_address": "00000000000301",
         "clock_offset": -900},
        {"protocol": "cjt188", "kind": "water", "count": 1, "first_address": "00000000000309",
         "faults": [{"type": "stuck_valve"}]}]},
    {"name": "bus3", "baud": 2400, "meters": [
        {"protocol": "mbus", "kind": "water", "count": 1, "first_address": "11"}]}]}
MQTT = {"source": "mqtt", "id": "c1", "signed": True}
VERSION = "1.2.3"


class Gateway:
    """A started Bench with Operations on it; ``call``/``error`` wait on the engine."""

    def __init__(self, tmp_path, timeout=120, on_restart=True, uplink_status=None,
                 scenario=SCENARIO):
        self.b = Bench(tmp_path, scenario, params={"plan.realtime_interval_min": 0})
        self.engine = self.b.start()
        self.restarts = []
        self.h = self.handlers(timeout, on_restart, uplink_status)

    def handlers(self, timeout=120, on_restart=True, uplink_status=None):
        b = self.b
        return Operations(self.engine, b.store, b.archive, b.params, b.engine_clock, VERSION,
                        b.engine_clock.time() - 30, uplink_status=uplink_status,
                        on_restart=(lambda: self.restarts.append(True)) if on_restart else None,
                        timeout=timeout)

    def call(self, op, args=None, meta=MQTT, h=None):
        """The test thread stays registered with the virtual clock while the
        handlers wait on the engine: time moves only while every thread
        sleeps, so an idle engine cannot race the clock ahead between two
        steps of a command (the in-process lines run on the same clock)."""
        return (h or self.h).call(op, args, meta)

    def error(self, op, args=None, meta=MQTT, h=None):
        with pytest.raises(CommandError) as info:
            self.call(op, args, meta, h)
        return info.value

    def sim(self, meter_id):
        return self.b.meter_of(meter_id)

    def run_until(self, t):
        self.b.run_until(t)

    def now(self):
        return self.b.engine_clock.time()


@pytest.fixture
def gw(tmp_path):
    g = Gateway(tmp_path)
    yield g
    g.b.close()

