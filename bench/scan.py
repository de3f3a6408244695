"""Scanning a bus of 17 meters (搜表): the old search against the new, in virtual time.

Two buses on in-process lines at 2400 baud with pacing on (11 bits a byte,
the meters' reply delays), the time virtual: the figures are transactions
and simulated seconds, the same on every machine.

* 17 CJ/T188 meters of three kinds, four sharing their lowest byte (two of
  them their two lowest): the wildcard tree asks the same requests as
  before; the old search waited the read timeout (1.5 s) for each silent
  probe, the new one the registry's search timeout (0.8 s); the kinds now
  come from the meters' type bytes.
* 17 M-Bus meters: the old search tried primary addresses 0..250 with the
  read timeout (0.5 s); the new one bisects secondary ids (0.3 s).  (The
  primary search now also asks each meter found once for its medium, its
  kind: 17 requests the old one did not make.)

"old" is the same driver code run the old way (the protocol's read timeout,
M-Bus primary addresses): the tree itself did not change for CJ/T188.
"""

from bench.report import table, write_section
from drivers.clock import VirtualClock
from drivers.meters import default_settings, scan
from drivers.port import Port
from protocols import registry
from sim.bus import Bus
from sim.lines import InProcessLine
from sim.meters import make_meter

T0 = 1_795_000_000.0
KINDS = ("water", "heat", "gas")
CJT188 = ["78330000014310", "78330000024310", "78330000000510", "78330000000610"] + \
    ["783300000%03d%02d" % (k, 20 + k) for k in range(13)]


def _bus(protocol, addresses):
    clock = VirtualClock(start=T0)
    meters = [make_meter(protocol, a, clock, kind=KINDS[k % 3] if protocol == "cjt188" else "heat")
              for k, a in enumerate(addresses)]
    line_clock = VirtualClock(start=T0, auto=True)
    line = InProcessLine(Bus(meters, clock), line_clock, baud=2400, pacing=True)
    port = Port("bench", line, line_clock, default_settings(protocol, baud=2400, retries=0))
    return port, meters


def _one(protocol, addresses, **options):
    port, meters = _bus(protocol, addresses)
    t0 = port.clock.monotonic()
    result = scan(port, protocol, **options)
    elapsed = port.clock.monotonic() - t0
    assert len(result.found) == len(meters) == 17, result.found
    kinds = sum(1 for m in result.meters if m["kind"])
    return port.counters.port.requests, elapsed, kinds   # meters is kept alive to here


def cases():
    read_timeout = dict((p.name, p.line[2]) for p in registry.PROTOCOLS)
    mbus = [str(k + 1) for k in range(17)]
    return [
        ("17 CJ/T188, old", "cjt188", CJT188, {"timeout": read_timeout["cjt188"]}),
        ("17 CJ/T188, new", "cjt188", CJT188, {}),
        ("17 M-Bus, old (primary 0..250)", "mbus", mbus,
         {"timeout": read_timeout["mbus"], "secondary": False}),
        ("17 M-Bus, new (secondary ids)", "mbus", mbus, {}),
    ]


def run(write=False, quick=False):
    rows = []
    for name, protocol, addresses, options in cases():
        requests, elapsed, kinds = _one(protocol, addresses, **options)
        rows.append((name, requests, "%.0f s" % elapsed, "%d of 17" % kinds))
        print("%-32s %5d requests  %7.1f s simulated" % (name, requests, elapsed), flush=True)
    if write:
        body = ("Virtual time, 2400 baud paced, meters' reply delays; the old search is the "
                "protocol's read timeout (and M-Bus primary addresses), the new one the "
                "registry's search.\n\n" +
                table(("bus", "requests", "simulated time", "kinds found"), rows))
        write_section("scan", "Scanning a bus of 17 meters", body, "python -m bench scan")
    return True
