"""Child process of the kill test: the uplink draining a store's backlog.

    python tests/upstream/drain_child.py AGENT_DIR BROKER_PORT

Runs until the backlog is acknowledged, then exits 0 (or is killed).
"""

import os
import sys
import time
from decimal import Decimal

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])

from drivers.clock import RealClock  # noqa: E402
from store import Store  # noqa: E402
from tests.upstream.rig import CID, NoCommands  # noqa: E402
from upstream.settings import UplinkSettings  # noqa: E402
from upstream.uplink import Uplink  # noqa: E402

T0 = 1793494800


def make_backlog(agent_dir, meters, hours):
    """A store full of hourly readings not yet sent; returns their keys."""
    os.makedirs(agent_dir, exist_ok=True)
    s = Store(os.path.join(str(agent_dir), "store.db"), synchronous="normal")
    keys = set()
    for h in range(hours):
        rows = []
        for m in range(meters):
            ts = T0 + h * 3600
            for q in ("energy.active.import.total", "energy.active.export.total"):
                rows.append({"meter": "m-%04d" % m, "q": q, "unit": "kWh", "kind": "hourly",
                             "ts": ts, "value": Decimal("%d.%02d" % (1000 + h, m)), "src": "meter"})
                keys.add(("m-%04d" % m, q, ts))
        s.put_readings(rows)
    s.close()
    return keys


def main():
    agent, port = sys.argv[1], int(sys.argv[2])
    store = Store(os.path.join(agent, "store.db"))
    settings = UplinkSettings(cid=CID, port=port, batch_max=25, inflight=4, reconnect_min=0.1,
                              reconnect_max=0.5)
    up = Uplink(settings, store, NoCommands(), RealClock(), "test")
    up.start()
    while store.batch_backlog()[:2] != (0, 0):
        time.sleep(0.05)
    up.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
