"""Helpers: the sample bench on in-process lines, ports and readers on it."""

from pathlib import Path

from drivers.clock import VirtualClock
from drivers.port import Port
from drivers.meters import default_settings, make_session
from sim.bus import Bus
from sim.lines import InProcessLine
from sim.meters import make_meter
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "sim" / "scenarios" / "bench.toml"
T0 = 1_795_000_000.0   # 2026-11-18 local; meters' frozen time in these tests


def clocks():
    """(line clock: auto virtual time, meter clock: frozen at T0)."""
    return VirtualClock(start=T0, auto=True), VirtualClock(start=T0)


def bench(pacing=False):
    line_clock, meter_clock = clocks()
    sc = load(BENCH, line_clock, inproc=True, meter_clock=meter_clock)
    for p in sc.ports + [sc.radio]:
        p["line"].engine.pacing = pacing
    return sc, line_clock, meter_clock


def port_for(line, clock, protocol, **settings):
    s = default_settings(protocol, baud=line.engine.baud, **settings)
    return Port(line.url, line, clock, s)


def bus_of(meters, pacing=True, baud=2400, echo=False, protocol=None, **settings):
    """One in-process bus with these meters (already built on a frozen clock)."""
    line_clock = VirtualClock(start=T0, auto=True)
    line = InProcessLine(Bus(meters, meters[0].clock), line_clock, baud=baud, pacing=pacing,
                         echo=echo)
    return port_for(line, line_clock, protocol or meters[0].protocol, echo=echo, **settings), line


def meters(protocol, n, first=1, width=12, kind=None, **options):
    clock = VirtualClock(start=T0)
    return [make_meter(protocol, "%0*d" % (width, first + k), clock,
                       **(dict(options, kind=kind) if kind else options)) for k in range(n)]


def reader(port, meter, **options):
    return make_session(port, meter.protocol, meter.address, kind=meter.kind, **options)


def exact(value):
    """A simulator's oracle value (an exact Num) as sessions give it: a Decimal."""
    from decimal import Decimal
    return Decimal(value.to_decimal_tuple()) if hasattr(value, "to_decimal_tuple") else value
