"""Soak (`make soak`): a monitoring script's night of console requests.

Several thousand requests of the kinds a monitoring script and a field
engineer send (status, events, data, meters) go through the control socket
of a running agent in rounds; after the first round has warmed every cache,
descriptors, threads, SQLite connections and resident memory stay on a
plateau.  Waits are for conditions; nothing here depends on the machine's
speed.
"""

import os
import threading
import time

import pytest

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig

ROUNDS = 20
PER_ROUND = 1000
RSS_SLACK_KB = 4096         # allocator noise between rounds, far below a leak's growth

REQUESTS = (
    ("status", None),
    ("events.query", {"from": "2020-01-01T00:00:00+08:00", "to": "2100-01-01T00:00:00+08:00"}),
    ("data", {"kind": "daily", "meter": "m-0001", "limit": 50, "newest": True}),
    ("meters.list", None),
)


def _fds():
    return len(os.listdir("/proc/self/fd"))


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def _settled(threads, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if threading.active_count() <= threads:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.soak
def test_a_night_of_console_requests_leaves_the_agent_on_a_plateau(tmp_path):
    rig = AgentRig(tmp_path)
    try:
        client = ControlClient(rig.socket, user="monitor")
        for op, args in REQUESTS:
            reply = client.call(op, args)
            assert reply.get("ok", True) is not False, (op, reply)
        threads = threading.active_count()
        samples = []
        for _ in range(ROUNDS):
            for i in range(PER_ROUND):
                op, args = REQUESTS[i % len(REQUESTS)]
                client.call(op, args)
            assert _settled(threads), "connection threads still running after a round"
            samples.append((_fds(), rig.agent.store.open_connections(), _rss_kb()))
        fds0, conns0, rss0 = samples[1]        # round 1 warms caches and allocator arenas
        for fds, conns, rss in samples[2:]:
            assert fds <= fds0 + 4, samples
            assert conns <= conns0 + 2, samples
            assert rss <= rss0 + RSS_SLACK_KB, samples
    finally:
        rig.stop()
