"""Store-and-forward: a 24 h backlog of 1024 meters, drained when the link returns.

The backlog is what the engine stores for 1024 DL/T645-2007 meters in a day
with the default plan: hourly import and export totals, daily import total,
four tariffs and export (54 values a meter).  A real mosquitto (persistence
on) runs on loopback; a master station subscribes with QoS 1 and counts
records as they arrive.  The agent's uplink starts in its own process with
the backlog waiting; measured: seconds until the master has every record,
records per second, payload bytes per record on the wire (plain JSON and
zlib), and the agent's peak RSS.  Targets: under 10 s, 40 bytes or less with
zlib, under 60 MB.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

from bench.report import table, write_section

T0 = 1793462400          # 2026-11-01 00:00 local


def make_backlog(path, meters=1024):
    """A day of a realistic plan: meter readings with their own digits (a
    register somewhere in 0..999999.99 kWh that grows by a random amount an
    hour; tariffs that sum to the total), so compression is not flattered."""
    import random
    from store import Store
    s = Store(path, synchronous="normal")
    rnd = random.Random(2026)
    n = 0
    imp = [rnd.randrange(10 ** 8) for _ in range(meters)]
    exp = [rnd.choice((0, rnd.randrange(10 ** 5))) for _ in range(meters)]
    for h in range(1, 25):
        rows = []
        for m in range(meters):
            imp[m] += rnd.randrange(300)
            exp[m] += rnd.randrange(3) if exp[m] else 0
            for q, v in (("energy.active.import.total", imp[m]), ("energy.active.export.total", exp[m])):
                rows.append({"meter": "m-%04d" % m, "q": q, "unit": "kWh", "kind": "hourly",
                             "ts": T0 + h * 3600, "value": Decimal(v).scaleb(-2), "src": "meter"})
        n += s.put_readings(rows)
    rows = []
    for m in range(meters):
        parts = [rnd.randrange(imp[m] // 4 + 1) for _ in range(3)]
        parts.append(imp[m] - sum(parts))
        values = [imp[m]] + parts + [exp[m]]
        names = ["energy.active.import.total"] + ["energy.active.import.t%d" % t for t in range(1, 5)] \
            + ["energy.active.export.total"]
        for q, v in zip(names, values):
            rows.append({"meter": "m-%04d" % m, "q": q, "unit": "kWh", "kind": "daily",
                         "ts": T0 + 86400, "value": Decimal(v).scaleb(-2), "src": "meter"})
    n += s.put_readings(rows)
    s.close()
    return n


def one_run(compress, n):
    from sim.broker import Mosquitto
    from sim.station import Master
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "store.db")
        make_backlog(db)
        broker = Mosquitto(os.path.join(d, "broker")).start()
        master = Master(broker.port, "bench")
        try:
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "bench.uplink_run", db, str(broker.port),
                                     compress], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            master.wait(lambda: sum(len(b["records"]) for b in master.batches.values()) >= n, 120)
            elapsed = time.perf_counter() - t0
            out, err = proc.communicate(timeout=60)
            if proc.returncode:
                raise RuntimeError(err[-2000:])
            agent = json.loads(out.strip().splitlines()[-1])
            got = sum(len(b["records"]) for b in master.batches.values())
            assert got == n and master.gaps() == [], (got, n)
        finally:
            master.close()
            broker.stop()
    return elapsed, agent


def run(write=False, quick=False):
    runs = 1 if quick else 3
    with tempfile.TemporaryDirectory() as d:
        n = make_backlog(os.path.join(d, "count.db"))
    rows = []
    ok = True
    for compress in ("none", "zlib"):
        results = [one_run(compress, n) for _ in range(runs)]
        secs = statistics.median(r[0] for r in results)
        agent = results[0][1]
        per_record = agent["bytes"] / agent["records"]
        rss = max(r[1]["peak_rss_mb"] for r in results)
        rows.append((compress, n, "%.2f s" % secs, "%.0f" % (n / secs), "%.1f" % per_record,
                     "%.1f MB" % rss))
        ok = ok and secs < 10 and rss < 60 and (compress != "zlib" or per_record <= 40)
    body = ("A 24 h backlog of 1024 meters (%d records: hourly import/export, daily total, tariffs, "
            "export) drained to a master station over a real mosquitto on loopback (QoS 1, "
            "persistence on, inflight 16, 200 records a batch).  Time from the agent's start to "
            "the master holding every record; median of %d runs.\n\n" % (n, runs) +
            table(("payload", "records", "time to master", "records/s", "payload bytes/record",
                   "agent peak RSS"), rows) +
            "\n\nTargets: under 10 s; 40 bytes or less per record with zlib; RSS under 60 MB.")
    print(body)
    if write:
        write_section("uplink", "Uplink: draining a day's backlog", body,
                      "make bench (python -m bench uplink)")
    return ok
