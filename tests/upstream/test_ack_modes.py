"""End-to-end acknowledgement by the master station, and MQTT 3.1.1."""

import time

from bench.harness import T0
from tests.upstream.rig import Rig

SCENARIO = {"port": [{"name": "bus1", "baud": 2400, "meters": [
    {"protocol": "dlt645-2007", "count": 3, "first_address": "000000000001"}]}]}


def test_master_mode_keeps_batches_until_the_master_acknowledges(tmp_path):
    rig = Rig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0},
              uplink={"ack": "master", "ack_timeout": 2, "batch_max": 20})
    try:
        rig.start_uplink()
        b, m = rig.bench, rig.master
        b.start()
        b.run_until(T0 + 6 * 3600)
        b.stop()
        deadline = time.monotonic() + 20
        while b.store.batch_backlog()[0] and time.monotonic() < deadline:
            time.sleep(0.05)                              # every record is in a batch
        last = b.store.get_state("uplink.seq")
        assert last >= 3
        assert m.wait(lambda: len(m.batches) >= last, 20)
        assert not rig.drained()                         # delivered, but not acknowledged yet
        b.clock.advance(3)                               # ack_timeout passes on the agent's clock
        assert m.wait(lambda: m.duplicates(), 10)         # so they come again after ack_timeout
        assert all(len(set(c)) == 1 for c in m.duplicates().values())
        m.ack(seq=1)
        m.ack(upto=last)
        assert rig.wait_drained(10)
        fwd = rig.uplink.forwarder
        assert m.wait(lambda: not fwd.inflight, 10)
        arrivals, sent = len(m.arrivals), dict(fwd.counters)
        for _ in range(2):
            b.clock.advance(3)                           # ack_timeout passes again ...
            passes = fwd.passes
            fwd.poke()
            assert m.wait(lambda: fwd.passes > passes, 10)   # ... and the forwarder looked
        assert fwd.counters["resent"] == sent["resent"]
        assert fwd.counters["batches_sent"] == sent["batches_sent"]
        assert len(m.arrivals) == arrivals               # acknowledged: no more resends
    finally:
        rig.close()


def test_mqtt_3_1_1_with_zlib(tmp_path):
    rig = Rig(tmp_path, SCENARIO, params={"plan.realtime_interval_min": 0},
              uplink={"mqtt_version": "3.1.1", "compress": "zlib"})
    try:
        rig.start_uplink()
        b, m = rig.bench, rig.master
        b.start()
        b.run_until(T0 + 12 * 3600)
        b.stop()
        assert rig.wait_drained(30)
        last = b.store.get_state("uplink.seq")
        assert m.wait(lambda: len(m.batches) >= last, 20) and m.gaps() == []
        assert sum(len(x) for x in m.copies[1]) and m.copies[1][0][:1] != b"{"   # zlib on the wire
        n = sum(b.store.count(k) for k in ("hourly", "daily", "monthly", "realtime"))
        assert len(m.records()) == n
    finally:
        rig.close()
