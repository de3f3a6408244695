"""A flood of commands through a real broker against a running agent: every
command gets its one final reply (run or refused with ``busy``), and what the
uplink holds -- queues, threads, store connections, Python allocations made
under upstream/ -- comes back to a plateau after each flood.

Waits are for conditions (every reply in); nothing depends on the machine's speed.
"""

import gc
import threading
import tracemalloc

from sim.broker import Mosquitto
from sim.station import Master
from tests.gateway.agent_rig import AgentRig

ROUNDS = 4
PER_ROUND = 300
READ_EVERY = 100            # one real `read` among each hundred pings
SLACK_BYTES = 256 * 1024    # allocator noise between rounds, far below one flood's replies


def flood(m, r, n=PER_ROUND, read_every=READ_EVERY, q=("energy.active.import.total",)):
    """``n`` commands without waiting: the ids."""
    ids = []
    for i in range(n):
        if read_every and i % read_every == 0:
            args = {"meters": ["m-0001"], "q": list(q)} if q else {"meters": ["m-0001"]}
            ids.append(m.command("read", args,
                                 cid="r%d-%d" % (r, i), wait=0))
        else:
            ids.append(m.command("ping", cid="p%d-%d" % (r, i), wait=0))
    return ids


def finals(m, ids):
    """{id: [final replies]} for ``ids``."""
    want = set(ids)
    out = dict((i, []) for i in ids)
    with m.lock:
        for rep in m.replies:
            if rep.get("id") in want and "accepted" not in rep:
                out[rep["id"]].append(rep)
    return out


def upstream_bytes(snapshot):
    keep = [tracemalloc.Filter(True, "*/upstream/*", all_frames=True)]
    return sum(s.size for s in snapshot.filter_traces(keep).statistics("filename"))


def held(uplink, store):
    """What the uplink holds between floods, by structure."""
    return {"threads": threading.active_count(), "connections": store.open_connections(),
            "replies": len(uplink.replies), "commands": uplink.commands.queue.qsize(),
            "paho": len(uplink.session.client._out_messages)}


def test_a_flood_of_commands_gets_every_reply_and_leaves_the_uplink_on_a_plateau(tmp_path):
    broker = Mosquitto(tmp_path / "broker").start()
    rig = m = None
    tracemalloc.start(12)
    try:
        rig = AgentRig(tmp_path / "agent", uplink={"cid": "c01", "port": broker.port})
        m = Master(broker.port, "c01")
        up = rig.agent.uplink
        assert m.wait(lambda: up.session.up, 10)
        samples = []
        for r in range(ROUNDS):
            ids = flood(m, r)
            assert m.wait(lambda: all(finals(m, ids).values()), 300), \
                "%d of %d commands never got a final reply" % (
                    sum(1 for v in finals(m, ids).values() if not v), len(ids))
            got = finals(m, ids)
            assert all(len(v) == 1 for v in got.values())              # exactly one each
            codes = set(v[0]["ok"] or v[0]["error"]["code"] for v in got.values())
            assert codes <= {True, "busy"}, codes
            assert m.wait(lambda: held(up, rig.agent.store)["paho"] == 0 and
                          not len(up.replies), 30)
            gc.collect()
            samples.append((held(up, rig.agent.store), upstream_bytes(tracemalloc.take_snapshot())))
            with m.lock:
                del m.replies[:]
        base, base_bytes = samples[1]                 # round 0 warms caches and threads
        for sizes, traced in samples[2:]:
            assert sizes["threads"] <= base["threads"] + 2, samples
            assert sizes["connections"] <= base["connections"] + 4, samples   # closed lazily
            assert (sizes["replies"], sizes["commands"], sizes["paho"]) == (0, 0, 0), samples
            assert traced <= base_bytes + SLACK_BYTES, samples
        assert up.replies.counters["replies_dropped"] == 0
    finally:
        tracemalloc.stop()
        if m is not None:
            m.close()
        if rig is not None:
            rig.stop()
        broker.stop()
