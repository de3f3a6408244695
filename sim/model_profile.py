"""Load profiles: a meter's consumption rate at every instant, and its exact integral.

A ``LoadProfile`` gives an integer rate that is constant within each local
hour of the day: W for electricity and heat (thermal power), L/h for water
and gas.  The rate of hour ``h`` of local day ``d`` is::

    base * factors[h] * (100 + v(d)) // 10000

``factors`` are 24 integer percentages of ``base``; ``v(d)`` is a day's
variation in percent, a hash of (seed, d) within ``[-variation, +variation]``,
so any instant's rate is a pure function of (profile, seed, time) and reruns
agree.

An ``Integrator`` sums a profile exactly, in integer rate-seconds (W.s, or
(L/h).s), split by tariff bands of the hour of day: ``at(t)`` is the list of
per-tariff integrals from the start of the anchor day to ``floor(t)``.
Cumulative sums are kept every ``CHECKPOINT`` days in a compact array and a
day's rates depend only on its variation percent (a few dozen values, each
computed once), so a thousand meters with a year of
history each stay within a few megabytes (the bench runs in the agent's
process when it measures the agent) while any instant stays cheap to ask.
"""

from array import array

FLAT = (100,) * 24

# Typical shapes (percent of base per local hour 00..23).
ELECTRICITY_SHAPE = (40, 35, 30, 30, 30, 35, 60, 110, 120, 90, 80, 90,
                     110, 90, 80, 80, 90, 130, 180, 200, 180, 150, 100, 60)
WATER_SHAPE = (5, 3, 2, 2, 3, 10, 60, 180, 160, 90, 70, 80,
               110, 80, 60, 60, 70, 100, 160, 200, 170, 120, 60, 20)
GAS_SHAPE = (10, 10, 10, 10, 10, 20, 80, 150, 100, 60, 60, 120,
             180, 80, 50, 50, 80, 200, 220, 120, 80, 60, 30, 20)
HEAT_SHAPE = (120, 125, 130, 135, 135, 130, 120, 110, 100, 90, 85, 80,
              75, 75, 80, 85, 90, 100, 110, 115, 120, 120, 120, 120)

DEFAULTS = {
    # kind: (base rate, shape, variation %)
    "electricity": (500, ELECTRICITY_SHAPE, 20),     # W
    "water": (20, WATER_SHAPE, 30),                  # L/h
    "gas": (40, GAS_SHAPE, 30),                      # L/h
    "heat": (3000, HEAT_SHAPE, 15),                  # W thermal
}

# Chinese time-of-use bands by local hour: 1 sharp, 2 peak, 3 flat, 4 valley.
TOU_BANDS = (4, 4, 4, 4, 4, 4, 4, 3, 2, 2, 1, 3,
             3, 3, 3, 3, 3, 2, 2, 1, 1, 2, 3, 4)

DAY = 86400
HOUR = 3600
CHECKPOINT = 16        # days between stored cumulative sums

# Shared by every meter: rates by (base, factors, percent) and day sums by
# (rates, tariff bands).  Meters of one kind share a shape, so these stay small.
_RATES = {}
_SUMS = {}


def _variation(seed, day, spread):
    """A day's variation in percent: a cheap, well-mixed hash of (seed, day)."""
    x = (seed * 0x9E3779B1 + day * 0x85EBCA77) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    return x % (2 * spread + 1) - spread


class LoadProfile:
    """Piecewise-constant integer rate per local hour (see module docstring)."""

    def __init__(self, base, factors=None, variation=0, seed=0):
        if not isinstance(base, int) or isinstance(base, bool) or base < 0:
            raise ValueError("profile base must be a non-negative integer, got %r" % (base,))
        factors = tuple(FLAT if factors is None else factors)
        if len(factors) != 24 or any(not isinstance(f, int) or f < 0 for f in factors):
            raise ValueError("profile factors must be 24 non-negative integers (percent)")
        if not isinstance(variation, int) or not 0 <= variation <= 100:
            raise ValueError("profile variation must be an integer percent 0..100")
        self.base = base
        self.factors = factors
        self.variation = variation
        self.seed = int(seed)
        pass

    @classmethod
    def default(cls, kind, seed=0):
        base, shape, variation = DEFAULTS[kind]
        return cls(base, shape, variation, seed)

    @classmethod
    def of(cls, spec, kind, seed=0):
        """A profile from a LoadProfile, a dict of constructor arguments, a
        plain base rate, or None (the kind's default shape)."""
        if spec is None:
            return cls.default(kind, seed)
        if isinstance(spec, (LoadProfile, ScaledProfile)):
            return spec
        if isinstance(spec, dict):
            args = dict(spec)
            args.setdefault("seed", seed)
            return cls(**args)
        if isinstance(spec, int):
            return cls(spec, DEFAULTS[kind][1], 0, seed)
        raise ValueError("a profile is a LoadProfile, a dict or a base rate, got %r" % (spec,))

    def day_key(self, day):
        """What makes a day's rates: its variation percent (a few dozen values)."""
        return 100 + _variation(self.seed, day, self.variation) if self.variation else 100

    def day_rates(self, day):
        """The 24 hourly rates of local day number ``day`` (days since 1970-01-01)."""
        pct = self.day_key(day)
        key = (self.base, self.factors, pct)
        rates = _RATES.get(key)
        if rates is None:
            rates = _RATES[key] = tuple(self.base * f * pct // 10000 for f in self.factors)
        return rates

    def rate(self, t, tz_offset):
        """The rate at UTC time ``t``."""
        local = int(t // 1) + tz_offset
        return self.day_rates(local // DAY)[(local % DAY) // HOUR]


class ScaledProfile:
    """Another profile's rate times ``num / den`` (integer division per hour):
    reactive power from active power, water flow from thermal power."""

    def __init__(self, profile, num, den):
        if den <= 0 or num < 0:
            raise ValueError("scale must be a non-negative fraction")
        self.profile = profile
        self.num = num
        self.den = den
        pass

    def day_key(self, day):
        return self.profile.day_key(day)

    def day_rates(self, day):
        base = self.profile.day_rates(day)
        key = (base, self.num, self.den)
        rates = _RATES.get(key)
        if rates is None:
            rates = _RATES[key] = tuple(r * self.num // self.den for r in base)
        return rates

    def rate(self, t, tz_offset):
        local = int(t // 1) + tz_offset
        return self.day_rates(local // DAY)[(local % DAY) // HOUR]


ZERO = LoadProfile(0)


class Integrator:
    """Exact integral of a profile from the start of an anchor day, per tariff band.

    ``bands`` maps each local hour to a tariff 1..n (None: one band).  Times
    before the anchor day count as the anchor day's start (the register
    starts later anyway).
    """

    def __init__(self, profile, tz_offset, anchor, bands=None):
        self.profile = profile
        self.tz = int(tz_offset)
        self.bands = tuple(bands) if bands else (1,) * 24
        if len(self.bands) != 24 or min(self.bands) < 1:
            raise ValueError("tariff bands are 24 tariff numbers 1..n")
        self.n = max(self.bands)
        self.anchor_day = (int(anchor // 1) + self.tz) // DAY
        # integrals at the start of anchor_day + k*CHECKPOINT, n per checkpoint
        self._marks = array("q", [0] * self.n)
        self._recent = {}               # a few day indexes -> their start-of-day sums

    def _day_sums(self, day):
        rates = self.profile.day_rates(day)
        key = (rates, self.bands)
        sums = _SUMS.get(key)
        if sums is None:
            sums = [0] * self.n
            for h in range(24):
                sums[self.bands[h] - 1] += rates[h] * HOUR
            sums = _SUMS[key] = tuple(sums)
        return sums

    def _cum_at(self, i):
        """Per-tariff integral at the start of day anchor_day + i."""
        recent = self._recent
        if i in recent:
            return recent[i]
        n = self.n
        marks = self._marks
        while len(marks) // n <= i // CHECKPOINT:
            k = len(marks) // n - 1
            cum = list(marks[k * n:(k + 1) * n])
            first = self.anchor_day + k * CHECKPOINT
            for d in range(first, first + CHECKPOINT):
                sums = self._day_sums(d)
                for b in range(n):
                    cum[b] += sums[b]
            marks.extend(cum)
        # step from the nearest day known at or before i (a recent one, or a checkpoint)
        k = i // CHECKPOINT
        start, cum = k * CHECKPOINT, None
        for j in recent:
            if start <= j <= i and (cum is None or j > start):
                start, cum = j, recent[j]
        cum = list(cum) if cum is not None else list(marks[k * n:(k + 1) * n])
        for d in range(self.anchor_day + start, self.anchor_day + i):
            sums = self._day_sums(d)
            for b in range(n):
                cum[b] += sums[b]
        if len(recent) >= 6:
            recent.pop(next(iter(recent)))
        recent[i] = cum
        return cum

    def at(self, t):
        """Per-tariff integral (rate-seconds) up to ``floor(t)``."""
        local = int(t // 1) + self.tz
        day = local // DAY
        i = day - self.anchor_day
        if i < 0:
            return [0] * self.n
        out = list(self._cum_at(i))
        sec = local % DAY
        hour, within = sec // HOUR, sec % HOUR
        rates = self.profile.day_rates(day)
        bands = self.bands
        for h in range(hour):
            out[bands[h] - 1] += rates[h] * HOUR
        out[bands[hour] - 1] += rates[hour] * within
        return out

    def band_at(self, t):
        """The tariff (1..n) of the local hour containing ``t``."""
        local = int(t // 1) + self.tz
        return self.bands[(local % DAY) // HOUR]
