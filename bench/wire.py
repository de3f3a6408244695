"""Reading 64 DL/T645-2007 meters on one port: wall time against the wire bound.

The bench (``concentrator sim``) runs in its own process with pacing on at
2400 baud (11 bits per byte, both directions) and a fixed 50 ms meter reply
delay; this process is the agent side: real pyserial on the pty, one
DL/T645-2007 session per meter, one read of ``energy.active.import.total`` each.

    bound = sum over transactions of (request + reply bytes) x 11 / 2400 s
            + 50 ms reply delay

The port's inter-frame silence is set to 0 for this measurement (the meter's
50 ms turnaround is the only gap); T / bound is the target (<= 1.05).  CPU per
transaction is measured with pacing off: this process's CPU seconds divided
by the transactions it made.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.report import table, write_section
from drivers.clock import RealClock
from drivers.meters import default_settings, make_session
from drivers.port import Port
from drivers.transport import SerialTransport

METERS = 64
BAUD = 2400
DELAY = 0.05


def scenario(pacing):
    return ("[[port]]\nname = \"bench\"\nline = \"pty\"\nbaud = %d\npacing = %s\n"
            "  [[port.meters]]\n  protocol = \"dlt645-2007\"\n  count = %d\n"
            "  first_address = \"000000000001\"\n  reply_delay = %s\n"
            % (BAUD, "true" if pacing else "false", METERS, DELAY))


class Bench:
    """The simulator in a child process, and a port on its pty."""

    def __init__(self, pacing):
        self.file = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        self.file.write(scenario(pacing))
        self.file.close()
        self.proc = subprocess.Popen([sys.executable, "-m", "gateway", "sim", "-s", self.file.name,
                                      "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()
        info = json.loads(line)["ports"][0]
        self.url = info["url"]
        self.addresses = info["meters"]

    def port(self):
        s = default_settings("dlt645-2007", baud=BAUD, silence=0.0, retries=0, reply_timeout=1.0)
        return Port("bench", SerialTransport(self.url, BAUD, "E"), RealClock(), s)

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)
        os.unlink(self.file.name)


def read_all(port, addresses):
    for a in addresses:
        make_session(port, "dlt645-2007", a).read(["energy.active.import.total"])


def run(write=False, quick=False):
    runs = 2 if quick else 5
    b = Bench(pacing=True)
    ratios, times, bounds = [], [], []
    try:
        port = b.port()
        port.open()
        read_all(port, b.addresses[:2])     # warm up (imports, first open)
        for _ in range(runs):
            c = port.counters.port
            before = (c.bytes_out, c.bytes_in, c.requests)
            start = time.perf_counter()
            read_all(port, b.addresses)
            elapsed = time.perf_counter() - start
            wire_bytes = (c.bytes_out - before[0]) + (c.bytes_in - before[1])
            transactions = c.requests - before[2]
            bound = wire_bytes * 11.0 / BAUD + transactions * DELAY
            times.append(elapsed)
            bounds.append(bound)
            ratios.append(elapsed / bound)
        port.close()
    finally:
        b.close()
    b = Bench(pacing=False)
    cpu = []
    try:
        port = b.port()
        port.open()
        read_all(port, b.addresses[:2])
        for _ in range(runs):
            n0 = port.counters.port.requests
            c0 = time.process_time()
            for _ in range(4):
                read_all(port, b.addresses)
            cpu.append((time.process_time() - c0) / (port.counters.port.requests - n0))
        port.close()
    finally:
        b.close()
    ratio = statistics.median(ratios)
    rows = [("T, 64 meters, pacing on (median of %d)" % runs, "%.3f s" % statistics.median(times), ""),
            ("wire bound", "%.3f s" % statistics.median(bounds), ""),
            ("T / bound", "%.3f" % ratio, "<= 1.05"),
            ("CPU per transaction, pacing off", "%.0f us" % (statistics.median(cpu) * 1e6), "")]
    body = ("64 DL/T645-2007 meters on one pty at %d baud, 50 ms reply delay, one read of "
            "energy.active.import.total each; the simulator in its own process.  Inter-frame "
            "silence 0 (the meters' 50 ms turnaround is the gap).  All ratios per run: %s.\n\n"
            % (BAUD, ", ".join("%.3f" % r for r in ratios)) +
            table(("measure", "value", "target"), rows))
    print(body)
    if write:
        write_section("wire", "Bus timing: 64 meters on one port", body,
                      "make bench (python -m bench wire)")
    return ratio <= 1.05
