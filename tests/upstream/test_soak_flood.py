"""Soak (`make soak`): floods of `read` commands through a real broker leave the
agent's resident memory on a plateau (issue 15: 500 reads in 5 s, four times
over, took RSS from 33 to 78 MB and it stayed there).  Waits are for
conditions (every reply in); nothing depends on the machine's speed."""

import gc

import pytest

from sim.broker import Mosquitto
from sim.station import Master
from tests.gateway.agent_rig import AgentRig
from tests.upstream.test_flood import finals, flood, held

ROUNDS = 6
PER_ROUND = 500
RSS_SLACK_KB = 4096         # allocator noise between rounds, far below a leak's growth


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.soak
def test_floods_of_read_commands_leave_resident_memory_on_a_plateau(tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    rig = m = None
    try:
        rig = AgentRig(tmp_path / "agent", uplink={"cid": "c01", "port": broker.port})
        m = Master(broker.port, "c01")
        up = rig.agent.uplink
        assert m.wait(lambda: up.session.up, 10)
        samples = []
        for r in range(ROUNDS):
            ids = flood(m, r, PER_ROUND, read_every=1, q=())
            assert m.wait(lambda: all(finals(m, ids).values()), 1800)
            assert m.wait(lambda: held(up, rig.agent.store)["paho"] == 0 and
                          not len(up.replies), 60)
            with m.lock:
                del m.replies[:]
                m.batches.clear()
                m.copies.clear()
                del m.arrivals[:]
            gc.collect()
            samples.append(_rss_kb())
        base = samples[1]                    # round 0 warms caches and allocator arenas
        assert all(rss <= base + RSS_SLACK_KB for rss in samples[2:]), samples
    finally:
        if m is not None:
            m.close()
        if rig is not None:
            rig.stop()
        broker.stop()
