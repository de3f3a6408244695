"""Cumulative registers as exact functions of time, with closed periods and jumps.

A ``Gate`` is the list of on/off changes of whatever stops consumption: the
valve of a water, gas or heat meter, the relay of an electricity meter.
Changes may lie in the future (a valve motor that is still moving), so the
state at any instant, past or future, is known.

A ``Register`` integrates an ``Integrator`` only over the gate's open
intervals since the install time ``t0``, and shows it in display units
(hundredths of kWh, hundredths or thousandths of m3)::

    part_k(t) = initial_k + floor(open integral_k(t) / quantum) + jumps_k(t)

one part per tariff; the total is the sum of the parts, as a DL/T645 meter
keeps it, so the tariffs always add up to the total exactly and every part
only ever grows (unless a reading-backwards fault says otherwise).  Jumps
(the reading_jump / reading_backwards faults, a CJ/T188 meter-base write)
are (instant, tariff, delta) in display units and belong to the register's
history, so the oracle includes them.

``to_num``, ``units`` and ``split_name`` turn option values and quantity
names into display units and register parts.
"""

from protocols.core.num import Num


class Gate:
    """On/off state changes over true time, starting ``on`` at ``t0``."""

    def __init__(self, t0, on=True):
        self.t0 = float(t0)
        self.initial = bool(on)
        self.changes = []           # sorted (t, on)

    def state(self, t):
        on = self.initial
        for when, value in self.changes:
            if when > t:
                break
            on = value
        return on

    def schedule(self, when, on, now):
        """From ``when`` on the state is ``on``; changes still pending after
        ``now`` are cancelled (a new command overrides a moving motor)."""
        self.changes = [c for c in self.changes if c[0] <= now]
        self.changes.append((float(when), bool(on)))
        self.changes.sort(key=lambda c: c[0])

    def changes_between(self, a, b):
        return [c for c in self.changes if a < c[0] < b]

    def open_intervals(self, a, b):
        """The [x, y) intervals within [a, b) where the state is on."""
        if b <= a:
            return []
        out = []
        on = self.state(a)
        start = a
        for when, value in self.changes:
            if when <= a:
                continue
            if when >= b:
                break
            if value != on:
                if on:
                    out.append((start, when))
                else:
                    start = when
                on = value
        if on:
            out.append((start, b))
        return out


class Register:
    """One accumulated quantity in display units, per tariff (see module docstring)."""

    def __init__(self, integrator, quantum, decimals, t0, gate, initial=0):
        self.integrator = integrator
        self.quantum = quantum
        self.decimals = decimals
        self.t0 = float(t0)
        self.gate = gate
        self.n = integrator.n
        self.initial = split(initial, self.n)
        self.jumps = []             # (t, tariff index 0-based, delta)

    def raw(self, t):
        """Per-tariff integral over the open intervals of [t0, t)."""
        out = [0] * self.n
        if t <= self.t0:
            return out
        at = self.integrator.at
        for a, b in self.gate.open_intervals(self.t0, t):
            fa, fb = at(a), at(b)
            for k in range(self.n):
                out[k] += fb[k] - fa[k]
        return out

    def parts(self, t):
        raw = self.raw(t)
        q = self.quantum
        out = [self.initial[k] + raw[k] // q for k in range(self.n)]
        for when, k, delta in self.jumps:
            if when <= t:
                out[k] += delta
        return [v if v > 0 else 0 for v in out]

    def total(self, t):
        return sum(self.parts(t))

    def add_jump(self, when, delta, tariff=None):
        """``delta`` display units from ``when`` on, in ``tariff`` (1-based;
        default the tariff of the hour at ``when``)."""
        k = (tariff or self.integrator.band_at(when)) - 1
        self.jumps.append((float(when), k, int(delta)))


def split(value, n):
    """An initial display value (int, or a list of n parts) as n parts."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError("initial value needs %d tariff parts" % n)
        return [int(v) for v in value]
    value = int(value)
    parts = [value // n] * n
    parts[-1] += value - sum(parts)
    return parts


def to_num(value):
    """Num from Num, int, decimal text or Decimal."""
    if isinstance(value, Num):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Num(value)
    return Num.parse(str(value))


def units(value, decimals):
    """A value as an integer count of 10^-decimals, exactly (refuses rounding)."""
    n = to_num(value)
    shift = n.e + decimals
    if shift >= 0:
        return n.m * 10 ** shift
    if n.m % 10 ** -shift:
        raise ValueError("%s has more than %d decimals" % (n, decimals))
    return n.m // 10 ** -shift


def split_name(quantity):
    """"energy.active.import.t2" -> ("energy.active.import", 2); ".total" -> 0."""
    base, _, last = quantity.rpartition(".")
    if last == "total":
        return base, 0
    if last[:1] == "t" and last[1:].isdigit():
        return base, int(last[1:])
    return quantity, None
