"""A month of acquisition for 1024 meters, and the same month in TinyDB.

Targets (issue 4): wall time under 10 minutes, peak RSS under 60 MB, store
bytes per reading 24 or less; CPU time per stored reading is reported.  The
engine run is ``bench.engine_run`` in a child process (its own peak RSS);
the simulated meters run inside that process too, so the RSS includes them.

TinyDB comparison: the same readings written one record per insert, as a
naive design would (TinyDB rewrites its whole JSON file on every insert, so
the cost grows with the file).  It is timed on growing prefixes of the month
and extrapolated to the month with a quadratic fit; the result says so.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from bench.report import table, write_section


def tinydb_prefixes(sizes):
    """Seconds to insert n readings one by one into TinyDB, for each n."""
    from tinydb import TinyDB
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "readings.json")
            db = TinyDB(path)
            t = time.perf_counter()
            for k in range(n):
                db.insert({"meter": "m-%04d" % (k % 1024), "q": "energy.active.import.total",
                           "unit": "kWh", "kind": "hourly", "ts": 1793494800 + 3600 * (k // 1024),
                           "value": "%d.%02d" % (100000 + k, k % 100), "src": "meter"})
            out.append((n, time.perf_counter() - t, os.path.getsize(path) / n))
            db.close()
    return out


def _fit(points):
    # solve the 3x3 normal equations by hand (no numpy in the product)
    s = [[0.0] * 3 for _ in range(3)]
    r = [0.0] * 3
    for n, t, _ in points:
        v = (1.0, float(n), float(n) * n)
        for i in range(3):
            r[i] += v[i] * t
            for j in range(3):
                s[i][j] += v[i] * v[j]
    for i in range(3):                       # Gauss-Jordan
        p = s[i][i]
        for j in range(3):
            s[i][j] /= p
        r[i] /= p
        for k in range(3):
            if k != i:
                f = s[k][i]
                for j in range(3):
                    s[k][j] -= f * s[i][j]
                r[k] -= f * r[i]
    return r


def run(write=False, quick=False):
    meters, days = (256, 3) if quick else (1024, 31)
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.run([sys.executable, "-m", "bench.engine_run", "--meters", str(meters),
                               "--days", str(days), "--dir", d, "--synchronous", "full"],
                              capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:])
        return False
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    sizes = (500, 1000, 2000, 3000) if quick else (1000, 2000, 4000, 6000)
    tdb = tinydb_prefixes(sizes)
    a, b, c = _fit(tdb)
    n = res["readings"]
    extrapolated = a + b * n + c * n * n
    rows = [
        ("meters x days", "%d x %g" % (res["meters"], res["days"]), ""),
        ("readings stored (hourly / daily / monthly)", "%d (%d / %d / %d)" % (
            n, res["counts"]["hourly"], res["counts"]["daily"], res["counts"]["monthly"]), ""),
        ("bus transactions", res["transactions"], ""),
        ("wall time", "%.0f s" % res["wall_s"], "< 600 s"),
        ("CPU time per stored reading", "%.0f us" % res["cpu_us_per_reading"], ""),
        ("peak RSS (agent and simulated meters)", "%.1f MB" % res["peak_rss_mb"], "< 60 MB"),
        ("store bytes per reading (reading tables)", "%.1f" % res["reading_table_bytes_per_reading"],
         "<= 24"),
        ("store bytes per reading (whole file, outbox drained)",
         "%.1f" % res["store_bytes_per_reading_outbox_drained"], ""),
        ("TinyDB, one insert per reading: measured", ", ".join(
            "%d in %.1f s" % (k, t) for k, t, _ in tdb), ""),
        ("TinyDB bytes per reading (JSON file)", "%.0f" % tdb[-1][2], ""),
        ("TinyDB for the month (extrapolated, quadratic fit)", "%.0f s (%.1f days)" % (
            extrapolated, extrapolated / 86400), ""),
    ]
    ok = (res["wall_s"] < 600 and res["peak_rss_mb"] < 60 and
          res["reading_table_bytes_per_reading"] <= 24)
    body = ("The acquisition engine with %d simulated DL/T645-2007 meters (a quarter per port, 2400 "
            "baud, paced) for %g virtual days: hourly freeze records (import, export), daily "
            "freeze records (import total and 4 tariffs, export), monthly settlement values; "
            "real-time reads off.  One process holds the agent and the simulator.  SQLite "
            "synchronous=%s.\n\n"
            % (res["meters"], res["days"], res["synchronous"].upper()) + table(("measure", "value", "target"), rows) +
            "\n\nThe TinyDB figure is an extrapolation: inserting a month one record at a time "
            "rewrites the whole file on every insert, which was timed for the first few "
            "thousand readings only.")
    print(body)
    if write:
        write_section("engine", "Acquisition engine: a month for 1024 meters", body,
                      "make bench (python -m bench engine)")
    return ok
