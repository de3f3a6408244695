"""Load profiles: a meter's consumption rate at every instant, and its exact integral.

A ``LoadProfile`` gives an integer rate that is constant within each local
hour of the day: W for electricity and heat (thermal power), L/h for water
and gas.  The rate of hour ``h`` of local day ``d`` is::

    base * factors[h] * (100 + v(d)) // 10000

``factors`` are 24 integer percentages of ``base``; ``v(d)`` is a day's
variation in percent, drawn from ``random.Random(seed * 1000003 + d)`` within
``[-variation, +variation]``, so any instant's rate is a pure function of
(profile, seed, time) and reruns agree.

An ``Integrator`` sums a profile exactly, in integer rate-seconds (W.s, or
(L/h).s), split by tariff bands of the hour of day: ``at(t)`` is the list of
per-tariff integrals from the start of the anchor day to ``floor(t)``.  Day
sums are cached, so a register can be asked for any instant of a year of
history cheaply.
"""

import random

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
        self._days = {}

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

    def day_rates(self, day):
        """The 24 hourly rates of local day number ``day`` (days since 1970-01-01)."""
        rates = self._days.get(day)
        if rates is None:
            pct = 100
            if self.variation:
                rnd = random.Random(self.seed * 1000003 + day)
                pct += rnd.randint(-self.variation, self.variation)
            rates = tuple(self.base * f * pct // 10000 for f in self.factors)
            self._days[day] = rates
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
        self._days = {}

    def day_rates(self, day):
        rates = self._days.get(day)
        if rates is None:
            rates = tuple(r * self.num // self.den for r in self.profile.day_rates(day))
            self._days[day] = rates
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
        self._cum = [[0] * self.n]          # integral at the start of anchor_day + i

    def _day_sums(self, day):
        sums = [0] * self.n
        rates = self.profile.day_rates(day)
        for h in range(24):
            sums[self.bands[h] - 1] += rates[h] * HOUR
        return sums

    def _cum_at(self, i):
        cum = self._cum
        while len(cum) <= i:
            prev = cum[-1]
            day_sums = self._day_sums(self.anchor_day + len(cum) - 1)
            cum.append([prev[k] + day_sums[k] for k in range(self.n)])
        return cum[i]

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
