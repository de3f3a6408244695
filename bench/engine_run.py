"""One run of the acquisition engine on the simulated bench, in virtual time.

    python -m bench.engine_run --meters 1024 --days 31 --dir DIR

Prints one JSON line: wall and CPU seconds, readings stored, peak RSS, the
store's bytes.  Runs in its own process so that the peak RSS is this run's.

The plan: every meter is a DL/T645-2007 meter (256 per port, four ports at
2400 baud, paced, 50 ms meter turnaround); hourly values from the meters'
hourly freeze records (import and export), daily values from the daily
freeze records (import total and four tariffs, export), monthly settlement
values; real-time reads off (at 15 minutes they would be 96 more
transactions per meter and day, which the bus could carry but which would
make this a benchmark of the simulator).
"""

import argparse
import json
import sys
import time

from bench.report import peak_rss_mb
from bench.harness import T0, Bench


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--meters", type=int, default=1024)
    p.add_argument("--days", type=float, default=31)
    p.add_argument("--dir", required=True)
    p.add_argument("--synchronous", default="normal", choices=["normal", "full"])
    a = p.parse_args(argv)
    per_port = a.meters // 4
    scenario = {"port": [{"name": "bus%d" % k, "baud": 2400, "meters": [
        {"protocol": "dlt645-2007", "count": per_port, "first_address": "%06d000001" % k}]}
        for k in range(1, 5)]}
    b = Bench(a.dir, scenario, params={"plan.realtime_interval_min": 0,
                                       "store.synchronous": a.synchronous},
              added=T0 - 3600)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    b.start()
    b.run_until(T0 + a.days * 86400)
    b.stop()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store = b.store
    counts = dict((k, store.count(k)) for k in ("realtime", "hourly", "daily", "monthly"))
    n = sum(counts.values())
    c = store.connect()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = dict(c.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    reading_bytes = sum(v for k, v in tables.items() if k.startswith("r_"))
    with_outbox = store.usage()["used_bytes"]
    store.outbox_remove_upto(1 << 62)        # what the uplink does as batches are acknowledged
    store.vacuum_free(1 << 20)
    drained = store.usage()["used_bytes"]
    print(json.dumps({
        "meters": a.meters, "days": a.days, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "readings": n, "counts": counts, "cpu_us_per_reading": round(cpu / n * 1e6, 1),
        "peak_rss_mb": peak_rss_mb(),
        "reading_table_bytes_per_reading": round(reading_bytes / n, 2),
        "store_bytes_per_reading_outbox_drained": round(drained / n, 2),
        "store_bytes_with_outbox": with_outbox,
        "transactions": sum(bus.counters.port.requests for bus in b.buses.values()),
        "synchronous": a.synchronous,
    }))
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
