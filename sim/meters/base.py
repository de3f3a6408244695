"""The simulated meter interface every protocol's meter class implements.

A ``SimMeter`` is the slave side of one meter: it takes one complete request
frame (as a deframer hands it out: no FE preamble) and returns the exact
reply bytes, or None when the frame is not for it, is a broadcast, or gets no
reply.  What it measures comes from a ``sim.model.MeterModel`` (``.model``),
which is also the oracle tests ask:

    meter.value(quantity, t=None)        the value this meter shows at t
    meter.frozen(kind, boundary_utc)     {quantity: Num} frozen at a boundary
    meter.boundary(kind, n)              the n-th most recent boundary (UTC)

Common constructor options (all keyword; unknown ones raise TypeError so a
scenario typo is caught):

    kind            "electricity" | "water" | "gas" | "heat" (per class)
    profile         sim.model_profile.LoadProfile, dict of its arguments, or
                    a base rate (W or L/h); default the kind's typical shape
    faults          list of fault specs (sim.faults), applied by the Bus
    seed            seed of the profile variation and of random faults
                    (default: CRC32 of the address)
    reply_delay     seconds from the end of the request to the reply
    installed, initial, export_profile, tariff_bands, clock_offset,
    drift_ppm, settlement_day, settlement_hour, volume_decimals,
    motor_seconds, reactive_ratio, phases, voltage, frequency, supply_temp,
    return_temp, depths                       -> sim.model.MeterModel

``counters``: requests (frames addressed to the meter, broadcasts
included), replies (error replies included), broadcasts, errors (error /
abnormal / exception replies), ignored (addressed frames that got no reply:
broadcasts, commands without an answer, frames it could not use).
"""

import zlib

from protocols.core.errors import CodecError
from protocols.core.num import Num
from sim.model import MeterModel

MODEL_OPTIONS = ("installed", "initial", "export_profile", "tariff_bands", "clock_offset",
                 "drift_ppm", "settlement_day", "settlement_hour", "volume_decimals",
                 "motor_seconds", "reactive_ratio", "phases", "voltage", "frequency",
                 "supply_temp", "return_temp", "depths")


def frame_start(data):
    """Where a reply's frame starts after its FE wake-up bytes."""
    i = 0
    while i < len(data) - 1 and data[i] == 0xFE:
        i += 1
    return i


def resum(data, first, last):
    """``data`` with the 8-bit sum of data[first:last] written into data[last]."""
    return data[:last] + bytes((sum(data[first:last]) & 0xFF,)) + data[last + 1:]


def truncate(value, decimals):
    """A Num cut (toward zero) to ``decimals`` places: what a display of that
    resolution shows."""
    if not isinstance(value, Num) or value.e >= -decimals:
        return value
    div = 10 ** (-value.e - decimals)
    m = abs(value.m) // div
    return Num(-m if value.m < 0 else m, -decimals)


class SimMeter:
    """Base class: options, model, oracle, counters (see module docstring)."""

    protocol = None
    KINDS = ("electricity",)
    REPLY_DELAY = 0.05
    MODEL_DEFAULTS = {}
    # quantity prefix -> decimals the meter shows (truncated)
    RESOLUTION = ()

    def __init__(self, address, clock, kind=None, profile=None, faults=None, seed=None,
                 reply_delay=None, **options):
        kind = kind or self.KINDS[0]
        if kind not in self.KINDS:
            raise ValueError("a %s meter is one of %s, not %r" %
                             (self.protocol, ", ".join(self.KINDS), kind))
        self.kind = kind
        self.clock = clock
        self.address = self._normal_address(address)
        self.seed = zlib.crc32(self.address.encode()) if seed is None else int(seed)
        self.reply_delay = self.REPLY_DELAY if reply_delay is None else float(reply_delay)
        model_opts = dict(self.MODEL_DEFAULTS)
        for name in MODEL_OPTIONS:
            if name in options:
                model_opts[name] = options.pop(name)
        self.model = MeterModel(clock, kind, profile, seed=self.seed, **model_opts)
        self.counters = {"requests": 0, "replies": 0, "broadcasts": 0, "errors": 0,
                         "ignored": 0}
        self._configure(options)
        if options:
            raise TypeError("unknown %s meter option(s): %s" %
                            (self.protocol, ", ".join(sorted(options))))
        self.faults = None
        if faults:
            from sim.faults import Faults
            self.faults = Faults(faults, self.seed)
            self.faults.attach(self)

    # ---- for subclasses
    def _normal_address(self, address):
        return str(address)

    def _configure(self, options):
        """Take this class's options out of ``options`` (a dict)."""

    def _handle(self, frame):
        raise NotImplementedError

    def addressed(self, frame):
        """True when ``frame`` is for this meter (own address, a matching
        wildcard, or a broadcast it acts on)."""
        raise NotImplementedError

    def archive_options(self):
        """The archive options a concentrator needs to read this meter."""
        return {}

    # ---- what a fault does to this protocol's replies (sim.faults)
    def bad_checksum(self, data):
        """The reply with its checksum wrong (here: the 8-bit sum before the end byte)."""
        if len(data) < 2:
            return data
        return data[:-2] + bytes(((data[-2] + 1) & 0xFF,)) + data[-1:]

    def readdress(self, data, address=None):
        """The reply as if another meter (``address``, default the next one)
        sent it, its checksum still right."""
        return data

    # ---- the slave interface
    def handle(self, frame):
        """One complete request frame -> the exact reply bytes, or None."""
        frame = bytes(frame)
        if not self.addressed(frame):
            return None
        self.counters["requests"] += 1
        try:
            reply = self._handle(frame)
        except CodecError:
            reply = None
        if reply is None:
            self.counters["ignored"] += 1
            return None
        self.counters["replies"] += 1
        return reply

    # ---- oracle
    def now(self):
        return self.clock.time()

    def shown(self, quantity, value):
        """``value`` at the resolution this meter shows ``quantity``."""
        for prefix, decimals in self.RESOLUTION:
            if quantity.startswith(prefix):
                return truncate(value, decimals)
        return value

    def value(self, quantity, t=None):
        return self.shown(quantity, self.model.value(quantity, t))

    def frozen(self, kind, boundary, now=None):
        return self.model.frozen(kind, boundary, now)

    def boundary(self, kind, n=1, t=None):
        return self.model.boundary(kind, n, t)

    def __repr__(self):
        return "%s(%s %s %s)" % (type(self).__name__, self.protocol, self.kind, self.address)
