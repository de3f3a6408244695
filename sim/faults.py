"""Per-meter fault injection: what a bad meter or a bad line does to a reply.

A fault spec is a dict with ``type`` and optional conditions:

    {"type": "no_reply", "probability": 0.3}            random, seeded
    {"type": "bad_checksum", "from": t1, "until": t2}   a window (UTC epoch)
    {"type": "no_reply", "count": 2}                    the next 2 replies

Conditions combine: inside the window (``from`` inclusive, ``until``
exclusive), while ``count`` lasts (it counts replies the fault changed), and
with ``probability`` per reply (``random.Random(seed)`` per meter, so a run
with the same seed does the same).  No condition = every reply.

Link faults, applied by the Bus (or the radio module) to a reply the meter
produced, in the order given (``Faults.apply``):

    no_reply        the meter stays silent
    late_reply      ``delay`` extra seconds (default 1.0)
    corrupt_byte    one byte of the frame (not of the FE preamble) XOR a
                    random non-zero mask; ``index`` / ``mask`` fix them
    bad_checksum    the checksum byte (CRC high byte for Modbus) is changed;
                    an M-Bus E5 becomes E4H
    noise_before    ``bytes`` (default 4) random bytes before the reply
    noise_after     the same after it
    truncated       only the first ``keep`` bytes (default: random, at least
                    one byte short)
    wrong_address   the reply carries ``address`` (default: the meter's
                    address + 1) with a correct checksum

State faults, applied once to the meter's model when attached (they are part
of the oracle): ``clock_drift`` (``ppm``, from ``from`` or the install
time), ``reading_jump`` / ``reading_backwards`` (``amount`` in the
register's unit, e.g. "100.00", at ``at``; ``register`` defaults to the
meter's main register), ``stuck_valve`` and ``dead_battery`` (``from`` ..
``until``), and the tamper windows ``cover_open``, ``terminal_cover_open``,
``magnet`` and ``reverse_power`` (``from`` .. ``until``; each window is one
occurrence in the meter's counters).  Local echo is a line property (sim.lines), not a fault here.
"""

import random

from sim.meters.base import frame_start

LINK = ("no_reply", "late_reply", "corrupt_byte", "bad_checksum", "noise_before",
        "noise_after", "truncated", "wrong_address")
STATE = ("clock_drift", "reading_jump", "reading_backwards", "stuck_valve", "dead_battery",
         "cover_open", "terminal_cover_open", "magnet", "reverse_power")
# tamper fault -> the model's tamper window name
_TAMPER = {"cover_open": "cover", "terminal_cover_open": "terminal_cover", "magnet": "magnetic",
           "reverse_power": "reverse_power"}
_CONDITIONS = ("type", "probability", "count", "from", "until")
_PARAMS = {"late_reply": ("delay",), "corrupt_byte": ("index", "mask"),
           "noise_before": ("bytes",), "noise_after": ("bytes",), "truncated": ("keep",),
           "wrong_address": ("address",), "clock_drift": ("ppm",),
           "reading_jump": ("amount", "at", "register"),
           "reading_backwards": ("amount", "at", "register")}


class Faults:
    """The faults of one meter (see module docstring); ``counters`` says how
    often each type acted."""

    def __init__(self, specs, seed=0):
        self.specs = []
        for spec in specs or ():
            spec = dict(spec)
            kind = spec.get("type")
            if kind not in LINK and kind not in STATE:
                raise ValueError("unknown fault type %r (one of %s)" %
                                 (kind, ", ".join(LINK + STATE)))
            unknown = [k for k in spec if k not in _CONDITIONS + _PARAMS.get(kind, ())]
            if unknown:
                raise ValueError("fault %s: unknown field(s) %s" % (kind, ", ".join(unknown)))
            self.specs.append(spec)
        self.random = random.Random(seed)
        self.counters = dict((s["type"], 0) for s in self.specs)
        self._left = [s.get("count") for s in self.specs]

    # ------------------------------------------------------ state faults ---
    def attach(self, meter):
        """Put the state faults into ``meter.model``."""
        model = meter.model
        for spec in self.specs:
            kind = spec["type"]
            start = spec.get("from", model.t0)
            if kind == "clock_drift":
                model.set_drift(float(spec["ppm"]), start)
            elif kind in ("reading_jump", "reading_backwards"):
                amount = str(spec["amount"]).lstrip("+-")
                if kind == "reading_backwards":
                    amount = "-" + amount
                model.add_jump(amount, spec.get("at", start), spec.get("register"))
            elif kind == "stuck_valve":
                model.stuck_valve(start, spec.get("until"))
            elif kind == "dead_battery":
                model.dead_battery(start, spec.get("until"))
            elif kind in _TAMPER:
                model.tampered(_TAMPER[kind], start, spec.get("until"))
            else:
                continue
            self.counters[kind] += 1

    # ------------------------------------------------------- link faults ---
    def _due(self, k, now):
        spec = self.specs[k]
        if "from" in spec and now < spec["from"]:
            return False
        if "until" in spec and now >= spec["until"]:
            return False
        if self._left[k] is not None and self._left[k] <= 0:
            return False
        if "probability" in spec and self.random.random() >= spec["probability"]:
            return False
        if self._left[k] is not None:
            self._left[k] -= 1
        return True

    def apply(self, meter, request, reply, now):
        """The (extra delay, bytes) the line carries for ``reply`` ([] = silence)."""
        if not reply:
            return []
        delay, data = 0.0, bytes(reply)
        rnd = self.random
        for k in range(len(self.specs)):
            spec = self.specs[k]
            kind = spec["type"]
            if kind not in LINK or not self._due(k, now):
                continue
            self.counters[kind] += 1
            if kind == "no_reply":
                return []
            if kind == "late_reply":
                delay += float(spec.get("delay", 1.0))
            elif kind == "corrupt_byte":
                start = frame_start(data)
                i = spec.get("index", rnd.randrange(start, len(data)))
                mask = spec.get("mask", rnd.randrange(1, 256))
                data = data[:i] + bytes((data[i] ^ mask,)) + data[i + 1:]
            elif kind == "bad_checksum":
                data = meter.bad_checksum(data)
            elif kind in ("noise_before", "noise_after"):
                noise = bytes(rnd.randrange(256) for _ in range(int(spec.get("bytes", 4))))
                data = noise + data if kind == "noise_before" else data + noise
            elif kind == "truncated":
                keep = spec.get("keep")
                if keep is None:
                    keep = rnd.randrange(1, len(data)) if len(data) > 1 else 0
                data = data[:keep]
            elif kind == "wrong_address":
                data = meter.readdress(data, spec.get("address"))
        return [(delay, data)] if data else []
