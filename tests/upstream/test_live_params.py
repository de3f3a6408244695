"""The uplink.* parameters apply at once (mqtt.md: "A parameter applies at once,
or the reply says restart_needed"): a real broker, a real master station, the
real parameter file, and the virtual clock, which moves only when told."""

import json
from decimal import Decimal

import pytest

from drivers.clock import VirtualClock
from sim.broker import Mosquitto
from sim.station import Master
from store import Params, Store
from upstream.settings import UplinkSettings
from upstream.uplink import Uplink

T = 1795017600


class Handlers:
    def ops(self):
        return {"ping", "control"}

    def needs_signature(self, op):
        return op == "control"

    def slow(self, op, args=None):
        return False

    def call(self, op, args, meta):
        return {"done": op}


def reading(i):
    return {"meter": "m-%04d" % i, "q": "energy.active.import.total", "unit": "kWh",
            "kind": "daily", "ts": T, "value": Decimal("1.5"), "src": "meter"}


@pytest.fixture
def link(tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    store = Store(tmp_path / "s.db", synchronous="normal")
    params = Params(str(tmp_path / "params.json"))
    clock = VirtualClock(start=T)
    settings = UplinkSettings(params=params, cid="c01", port=broker.port, reconnect_min=0.2,
                              reconnect_max=1.0)
    up = Uplink(settings, store, Handlers(), clock, "test")
    master = Master(broker.port, "c01")
    up.start()
    assert master.wait(lambda: up.session.up and master.states, 10)
    yield up, params, clock, master
    up.stop()
    master.close()
    store.close()
    broker.stop()


def test_a_shorter_status_interval_applies_at_once(link):
    up, params, clock, m = link
    clock.advance(100)                       # 100 s of the default 300 have passed
    params.set_many({"uplink.status_interval": 10})
    assert m.wait(lambda: len(m.statuses) == 1, 10)      # 10 s are over: a status now
    clock.advance(10)
    assert m.wait(lambda: len(m.statuses) == 2, 10)      # and every 10 s from then on
    assert m.statuses[-1]["uplink"]["ack"] == "broker"   # the ack mode in force


def test_a_shorter_ack_timeout_applies_at_once(link):
    up, params, clock, m = link
    params.set_many({"uplink.ack": "master", "uplink.ack_timeout": 600})
    up.store.put_readings([reading(1)])
    assert m.wait(lambda: len(m.arrivals) == 1, 10)
    clock.advance(10)
    params.set_many({"uplink.ack_timeout": 5})           # late under the new timeout
    assert m.wait(lambda: len(m.arrivals) == 2, 10)      # sent again without more time
    assert m.arrivals == [1, 1]


def test_batch_max_compress_and_inflight_apply_to_the_next_batches(link):
    up, params, clock, m = link
    params.set_many({"uplink.batch_max": 2, "uplink.compress": "zlib", "uplink.inflight": 40})
    assert up.forwarder.s.inflight == 40       # paho's own cap follows at the next connect
    up.store.put_readings([reading(i) for i in range(1, 6)])
    assert m.wait(lambda: sum(len(b["records"]) for b in m.batches.values()) == 5, 10)
    assert max(len(b["records"]) for b in m.batches.values()) == 2
    assert all(c[0][:1] != b"{" for c in m.copies.values())     # zlib on the wire


def test_allow_unsigned_control_applies_to_the_next_command(link):
    up, params, clock, m = link
    assert m.command("control", sign=False)["error"]["code"] == "unauthorized"
    params.set_many({"uplink.allow_unsigned_control": True})
    assert m.command("control", sign=False)["result"] == {"done": "control"}
