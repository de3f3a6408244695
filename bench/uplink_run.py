"""The agent's side of the uplink benchmark: drain a store's backlog, then exit.

    python -m bench.uplink_run STORE_DB BROKER_PORT COMPRESS

Prints one JSON line: seconds from start to every batch acknowledged by the
broker, batches, bytes sent, peak RSS.  Its own process, so the RSS is the
uplink's (with the store), not the benchmark's.
"""

import json
import sys
import time

from bench.report import peak_rss_mb
from drivers.clock import RealClock
from store import Store
from upstream.settings import UplinkSettings
from upstream.uplink import Uplink


class _NoCommands:
    def ops(self):
        return set()

    def slow(self, op, args=None):
        return False

    def call(self, op, args, meta):
        raise AssertionError("no commands in the benchmark")


def main():
    db, port, compress = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    store = Store(db)
    settings = UplinkSettings(cid="bench", port=port, compress=compress)
    meters = dict(("m-%04d" % k, "%012d" % (k + 1)) for k in range(1024))
    up = Uplink(settings, store, _NoCommands(), RealClock(), "bench", addresses=meters)
    t0 = time.perf_counter()
    up.start()
    while store.batch_backlog()[:2] != (0, 0):
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    st = up.forwarder.status()
    up.stop()
    print(json.dumps({"seconds": round(elapsed, 3), "batches": st["batches_acked"],
                      "records": st["records_acked"], "bytes": st["bytes_sent"],
                      "peak_rss_mb": peak_rss_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
