"""End-to-end acks keep ``uplink.inflight`` batches out at once, and a new link
sends the unacknowledged again at once, not after ``uplink.ack_timeout``: a
real broker, a real master station, the virtual clock, which moves only when
told (it never moves here)."""

from decimal import Decimal

import pytest

from drivers.clock import VirtualClock
from sim.broker import Mosquitto
from sim.station import Master
from store import Store
from tests.upstream.test_live_params import Handlers
from upstream.settings import UplinkSettings
from upstream.uplink import Uplink

T = 1795017600
INFLIGHT = 4


def reading(i):
    return {"meter": "m-%04d" % i, "q": "energy.active.import.total", "unit": "kWh",
            "kind": "daily", "ts": T, "value": Decimal("1.5"), "src": "meter"}


@pytest.fixture
def rig(tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    store = Store(tmp_path / "s.db", synchronous="normal")
    clock = VirtualClock(start=T)
    settings = UplinkSettings(cid="c01", port=broker.port, ack="master", ack_timeout=600,
                              inflight=INFLIGHT, batch_max=1, reconnect_min=0.2,
                              reconnect_max=1.0)
    up = Uplink(settings, store, Handlers(), clock, "test")
    master = Master(broker.port, "c01")
    store.put_readings([reading(i) for i in range(1, 11)])
    yield up, store, master
    up.stop()
    master.close()
    store.close()
    broker.stop()


def test_inflight_batches_are_out_at_once_and_resent_at_once_after_a_reconnect(rig):
    up, store, m = rig
    fwd = up.forwarder
    up.start()
    assert m.wait(lambda: m.seqs() == [1, 2, 3, 4], 10)      # the window, without any ack
    passes = fwd.passes
    fwd.poke()
    assert m.wait(lambda: fwd.passes > passes, 10)
    assert m.seqs() == [1, 2, 3, 4] and len(fwd.inflight) == INFLIGHT   # and no more
    m.ack(seq=2)                                               # one ack: one more goes
    assert m.wait(lambda: m.seqs() == [1, 2, 3, 4, 5], 10)
    generation = up.session.generation
    up.session.client.disconnect()                             # the link drops and returns
    assert m.wait(lambda: up.session.generation > generation, 20)
    assert m.wait(lambda: all(len(m.copies[s]) >= 2 for s in (1, 3, 4, 5)), 10)
    assert len(m.copies[2]) == 1                               # acknowledged: not again
    m.ack(upto=5)
    assert m.wait(lambda: m.seqs() == list(range(1, 10)), 10)     # the next window
    m.ack(upto=9)
    assert m.wait(lambda: m.seqs() == list(range(1, 11)), 10)
    m.ack(seq=10)
    assert m.wait(lambda: store.batch_backlog()[:2] == (0, 0), 10)
