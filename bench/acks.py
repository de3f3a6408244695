"""Draining a backlog with broker acks and with end-to-end (master) acks.

Issue 15: end-to-end acks drained 5-10 batches/s against about 100/s with
broker acks.  A 1,201-record backlog in batches of 10 (121 batches) goes to
a master station over a real mosquitto on loopback (persistence on, inflight
16); in master mode the master station acknowledges each batch on ``ack`` as
it arrives.  Measured: seconds from the uplink's start until the store's
outbox is empty (every batch acknowledged in the mode in force), batches/s;
median of the runs, and the ratio master/broker.  Target: the modes drain at
about the same speed (ratio under 2).
"""

import json
import os
import statistics
import tempfile
import time
from decimal import Decimal

from bench.report import table, write_section

T0 = 1795017600
RECORDS = 1201
BATCH = 10


class _NoCommands:
    def ops(self):
        return set()


def one_run(mode):
    from drivers.clock import RealClock
    from sim.broker import Mosquitto
    from sim.station import Master
    from store import Store
    from upstream.settings import UplinkSettings
    from upstream.uplink import Uplink
    with tempfile.TemporaryDirectory() as d:
        store = Store(os.path.join(d, "store.db"))
        store.put_readings([{"meter": "m-%04d" % (i % 1024), "q": "energy.active.import.total",
                             "unit": "kWh", "kind": "hourly", "ts": T0 + 3600 * (i // 1024),
                             "value": Decimal(i).scaleb(-2), "src": "meter"}
                            for i in range(RECORDS)])
        broker = Mosquitto(os.path.join(d, "broker")).start()
        master = Master(broker.port, "bench")
        plain = master._on_message

        def acking(client, userdata, msg):          # the master acks each batch it gets
            plain(client, userdata, msg)
            if "/data/" in msg.topic:
                master.ack(seq=json.loads(msg.payload)["seq"])
        master.client.on_message = acking
        up = Uplink(UplinkSettings(cid="bench", port=broker.port, ack=mode, batch_max=BATCH),
                    store, _NoCommands(), RealClock(), "bench")
        try:
            t0 = time.perf_counter()
            up.start()
            while store.batch_backlog()[:2] != (0, 0):
                time.sleep(0.005)
            elapsed = time.perf_counter() - t0
            batches = up.forwarder.counters["batches_acked"]
        finally:
            up.stop()
            master.close()
            broker.stop()
            store.close()
    return elapsed, batches


def run(write=False, quick=False):
    runs = 1 if quick else 5
    rows, medians = [], {}
    for mode in ("broker", "master"):
        results = [one_run(mode) for _ in range(runs)]
        secs = statistics.median(r[0] for r in results)
        batches = results[0][1]
        medians[mode] = secs
        rows.append((mode, RECORDS, batches, "%.2f s" % secs, "%.0f" % (batches / secs)))
    ratio = medians["master"] / medians["broker"]
    body = ("A backlog of %d records in batches of %d drained over a real mosquitto on loopback "
            "(QoS 1, persistence on, inflight 16); in master mode the master station acks each "
            "batch as it arrives.  Time from the uplink's start to an empty outbox; median of %d "
            "runs.\n\n" % (RECORDS, BATCH, runs) +
            table(("uplink.ack", "records", "batches", "time to drain", "batches/s"), rows) +
            "\n\nmaster/broker time ratio: %.2f (target: under 2; issue 15 measured about 10)."
            % ratio)
    print(body)
    if write:
        write_section("acks", "Uplink: broker acks against end-to-end acks", body,
                      "make bench (python -m bench acks)")
    return ratio < 2
