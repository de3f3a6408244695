"""Console requests leave the running agent with what it had: descriptors,
threads, SQLite connections (a monitoring script calls `status` every minute
for weeks; each request is served on a thread of its own)."""

import os
import threading
import time

from gateway.console.client import ControlClient
from tests.gateway.agent_rig import AgentRig

REQUESTS = 300


def _fds():
    return len(os.listdir("/proc/self/fd"))


def _settled(rig, threads, timeout=60):
    """Wait until the connection threads of the requests are gone (a condition,
    not a duration: the deadline only bounds a failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if threading.active_count() <= threads:
            return True
        time.sleep(0.01)
    return False


def test_console_requests_leak_no_descriptor_thread_or_connection(tmp_path):
    rig = AgentRig(tmp_path)
    try:
        client = ControlClient(rig.socket, user="monitor")
        for _ in range(5):                       # warm up: every long-lived thread has its connection
            client.call("status")
            client.call("events.query", {"from": "2020-01-01T00:00:00+08:00",
                                         "to": "2100-01-01T00:00:00+08:00"})
        threads = threading.active_count()
        assert _settled(rig, threads)
        fds, conns = _fds(), rig.agent.store.open_connections()
        for _ in range(REQUESTS):
            client.call("status")
        assert _settled(rig, threads), "connection threads still running"
        # a long-lived thread (a bus worker) may open its one connection meanwhile: a few
        # more is that, not a leak, which would be one connection and two descriptors a request
        assert rig.agent.store.open_connections() <= conns + 2
        assert _fds() <= fds + 8, "%d descriptors more after %d requests" % (_fds() - fds,
                                                                              REQUESTS)
    finally:
        rig.stop()
