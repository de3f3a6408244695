"""Deterministic meter state as exact functions of time: the simulator's oracle.

``MeterModel`` is what a simulated meter measures, independent of protocol.
Every value is a pure function of the configuration and of the history of
commands and faults, so a test can ask for the right value at any instant
(``value(quantity, t)``), including what the meter froze at a past boundary
(``frozen(kind, boundary)``).

* Registers (``model_register``): electricity import/export active energy
  and reactive quadrants I..IV with tariffs t1..t4 (kWh/kvarh, 2 decimals;
  the total is the sum of the tariffs); water and gas volume (m3, 2 decimals,
  3 for meters that count litres); heat energy (kWh, 2 decimals) and the
  volume that carried it.  Combined quantities (DL/T645 "combined active" =
  import + export, "combined reactive 1" = QI + QII, "2" = QIII + QIV) are
  sums of registers.
* Profiles (``model_profile``): integer rates per local hour; the heat
  meter's flow is derived from its thermal power and the temperature
  difference (L/h = W x 0.86 / dT).
* Clock (``model_clock``): offset, drift, time sets; freezes happen when
  the meter's own clock passes a boundary.
* Valve / relay (``Gate``): closed periods stop the integral exactly; a
  valve motor makes a command effective ``motor_seconds`` later; the
  stuck-valve fault refuses commands and reports the valve as faulty from
  the first refused command; the dead-battery fault sets the battery flag.
* Tamper (``TAMPER``): windows in which the meter cover or the terminal
  cover is open, a magnet is held to the meter or power flows in reverse;
  ``tamper_on`` says whether one lasts at t, ``tamper_count`` how many
  began by t (the meter's event counters).
* Faults kept in the state: clock drift, reading jumps forward or back.

Times are true UTC epoch seconds from the bench Clock (``clock.time()``);
meter times are epoch seconds of the meter's own clock.  Local time uses
the clock's ``tz_offset``.
"""

from fractions import Fraction

from protocols.core.num import Num
from sim import model_electric
from sim.model_clock import Boundaries, MeterClock, local_iso
from sim.model_profile import TOU_BANDS, ZERO, Integrator, LoadProfile, ScaledProfile
from sim.model_register import Gate, Register, split, split_name, to_num, units  # noqa: F401

KINDS = ("electricity", "water", "gas", "heat")
MAIN = {"electricity": "energy.active.import", "water": "volume", "gas": "volume",
        "heat": "heat.energy"}
DEPTHS = {"hourly": 254, "daily": 62, "monthly": 12}
QUANTUM_2DP = 36000            # rate-seconds in 0.01 kWh (W.s) or 0.01 m3 ((L/h).s)
COMBOS = {
    "energy.active.combined": ("energy.active.import", "energy.active.export"),
    "energy.reactive.combined1": ("energy.reactive.q1", "energy.reactive.q2"),
    "energy.reactive.combined2": ("energy.reactive.q3", "energy.reactive.q4"),
    "energy.reactive.import": ("energy.reactive.q1", "energy.reactive.q2"),
    "energy.reactive.export": ("energy.reactive.q3", "energy.reactive.q4"),
}
FROZEN_ELECTRIC = ("energy.active.import", "energy.active.export", "energy.active.combined",
                   "energy.reactive.combined1", "energy.reactive.combined2",
                   "energy.reactive.q1", "energy.reactive.q2", "energy.reactive.q3",
                   "energy.reactive.q4")
DAY = 86400


# tamper windows a meter model keeps (sim.faults: cover_open, terminal_cover_open, magnet,
# reverse_power)
TAMPER = ("cover", "terminal_cover", "magnetic", "reverse_power")

class MeterModel:
    """One meter's measured state (see module docstring for the options)."""

    def __init__(self, clock, kind, profile=None, export_profile=None, installed=None,
                 initial=0, tariff_bands=None, clock_offset=0.0, drift_ppm=0.0,
                 settlement_day=1, settlement_hour=0, volume_decimals=2, motor_seconds=0,
                 reactive_ratio=329, phases=1, voltage="220.0", frequency="50.00",
                 supply_temp="60.00", return_temp="45.00", depths=None, seed=0):
        if kind not in KINDS:
            raise ValueError("meter kind is one of %s, got %r" % (", ".join(KINDS), kind))
        self.clock = clock
        self.kind = kind
        self.tz = int(clock.tz_offset)
        now = clock.time()
        self.t0 = float(now - 400 * DAY if installed is None else installed)
        self.seed = int(seed)
        self.mclock = MeterClock(self.t0, clock_offset, drift_ppm)
        self.bounds = Boundaries(self.tz, settlement_day, settlement_hour)
        self.depths = dict(DEPTHS, **(depths or {}))
        self.motor_seconds = float(motor_seconds)
        self.gate = Gate(self.t0, True)
        self.stuck = []              # (from, until) windows of the stuck-valve fault
        self.battery = []            # (from, until) windows of the dead-battery fault
        self.valve_fault_since = None
        self.tamper = dict((name, []) for name in TAMPER)   # name -> (from, until) windows
        self.relay_trips = 0
        self.phases = phases
        self.voltage_tenths = units(voltage, 1)
        self.frequency = to_num(frequency)
        self.reactive_ratio = reactive_ratio
        self.supply_temp = to_num(supply_temp)
        self.return_temp = to_num(return_temp)
        main = LoadProfile.of(profile, kind, self.seed)
        self.profiles = {"main": main}
        self.registers = {}
        if kind == "electricity":
            bands = TOU_BANDS if tariff_bands is None else tariff_bands
            exp = LoadProfile.of(export_profile, kind, self.seed) if export_profile else ZERO
            self.profiles.update(
                {"import": main, "export": exp,
                 "q1": ScaledProfile(main, reactive_ratio, 1000),
                 "q2": ScaledProfile(exp, reactive_ratio, 1000), "q3": ZERO, "q4": ZERO})
            for name, key in (("energy.active.import", "import"),
                              ("energy.active.export", "export"),
                              ("energy.reactive.q1", "q1"), ("energy.reactive.q2", "q2"),
                              ("energy.reactive.q3", "q3"), ("energy.reactive.q4", "q4")):
                self._register(name, self.profiles[key], bands, QUANTUM_2DP, 2)
        elif kind == "heat":
            self._register("heat.energy", main, tariff_bands, QUANTUM_2DP, 2)
            # L/h = W x 0.86 / dT
            f = Fraction(86, 100) / self._delta_t()
            flow = ScaledProfile(main, f.numerator, f.denominator)
            self.profiles["flow"] = flow
            self._register("volume", flow, tariff_bands, 3600 * 10 ** (3 - volume_decimals),
                           volume_decimals)
        else:
            self.profiles["flow"] = main
            self._register("volume", main, tariff_bands, 3600 * 10 ** (3 - volume_decimals),
                           volume_decimals)
        self._initial(initial)

    # ------------------------------------------------------------ set-up ---
    def _delta_t(self):
        d = Fraction(str(self.supply_temp)) - Fraction(str(self.return_temp))
        if d <= 0:
            raise ValueError("supply temperature must exceed return temperature")
        return d

    def _register(self, name, profile, bands, quantum, decimals):
        integ = Integrator(profile, self.tz, self.t0, bands)
        self.registers[name] = Register(integ, quantum, decimals, self.t0, self.gate)

    def _initial(self, initial):
        values = initial if isinstance(initial, dict) else {MAIN[self.kind]: initial}
        for name, v in values.items():
            reg = self.registers.get(name)
            if reg is None:
                raise ValueError("no register %r on a %s meter" % (name, self.kind))
            if isinstance(v, (list, tuple)):
                reg.initial = [units(x, reg.decimals) for x in v]
            else:
                reg.initial = split(units(v, reg.decimals), reg.n)

    @property
    def main_register(self):
        return self.registers[MAIN[self.kind]]

    @property
    def tariffs(self):
        return self.main_register.n if self.kind == "electricity" else 0

    # ------------------------------------------------------------- clock ---
    def now(self):
        return self.clock.time()

    def meter_time(self, t=None):
        return self.mclock.time(self.now() if t is None else t)

    def meter_iso(self, t=None, minutes=False):
        """The meter's clock at true time ``t`` as local ISO text."""
        return local_iso(self.meter_time(t), self.tz, minutes)

    def set_meter_time(self, new, t=None):
        self.mclock.set_time(new, self.now() if t is None else t)

    def set_drift(self, ppm, t=None):
        self.mclock.set_drift(ppm, self.now() if t is None else t)

    # ----------------------------------------------------------- history ---
    def boundary(self, kind, n, t=None):
        """The n-th most recent boundary (meter time) by the meter's clock at ``t``."""
        return self.bounds.nth(kind, n, self.meter_time(t))

    def freeze_instant(self, kind, boundary, now=None):
        """True instant the meter froze ``boundary``, or None (not kept:
        before install, not reached, beyond the history depth)."""
        now = self.now() if now is None else now
        n = self.bounds.index(kind, boundary, self.meter_time(now))
        if n is None or n > self.depths[kind]:
            return None
        if boundary < self.mclock.time(self.t0):
            return None
        ts = self.mclock.reached(boundary)
        if ts is None or ts > now or ts < self.t0:
            return None
        return ts

    def frozen(self, kind, boundary, now=None):
        """{quantity: Num} the meter froze at ``boundary`` (UTC epoch of the
        local boundary), or None."""
        ts = self.freeze_instant(kind, boundary, now)
        if ts is None:
            return None
        return self.registers_at(ts, kind)

    def registers_at(self, t, kind="daily"):
        """The register quantities a freeze of ``kind`` holds, at true time ``t``."""
        if self.kind == "electricity":
            if kind == "hourly":
                names, tariffs = ("energy.active.import", "energy.active.export"), False
            else:
                names, tariffs = FROZEN_ELECTRIC, True
        else:
            names, tariffs = tuple(self.registers), False
        out = {}
        for name in names:
            parts = self._parts(name, t)
            dec = self._decimals(name)
            out[name + ".total"] = Num(sum(parts), -dec)
            if tariffs:
                for k in range(len(parts)):
                    out["%s.t%d" % (name, k + 1)] = Num(parts[k], -dec)
        return out

    def _parts(self, name, t):
        combo = COMBOS.get(name)
        if combo and self.kind == "electricity":
            a, b = (self.registers[c].parts(t) for c in combo)
            return [a[k] + b[k] for k in range(len(a))]
        return self.registers[name].parts(t)

    def _decimals(self, name):
        combo = COMBOS.get(name)
        return self.registers[combo[0] if combo else name].decimals

    def has_register(self, name):
        return name in self.registers or (self.kind == "electricity" and name in COMBOS)

    # ------------------------------------------------------------ values ---
    def value(self, quantity, t=None):
        """The value of a canonical quantity at true time ``t`` (default now):
        Num, str for date/times and states, bool for flags, None when the
        meter has no such value (phase B of a single-phase meter)."""
        t = self.now() if t is None else t
        base, part = split_name(quantity)
        if part is not None and self.has_register(base):
            parts = self._parts(base, t)
            if part > len(parts):
                raise KeyError(quantity)
            v = sum(parts) if part == 0 else parts[part - 1]
            return Num(v, -self._decimals(base))
        if quantity == "meter.datetime":
            return self.meter_iso(t)
        if quantity == "meter.date":
            return self.meter_iso(t)[:10]
        if quantity == "meter.time":
            return self.meter_iso(t)[11:]
        if quantity == "valve.state":
            return self.valve_state(t)
        if quantity == "relay.state":
            return "closed" if self.gate.state(t) else "open"
        if quantity == "battery.low":
            return self.battery_low(t)
        if self.kind == "electricity":
            if quantity.startswith("demand."):
                return self.demand(quantity, t)
            vals = model_electric.instant(self, t)
            if quantity in vals:
                return vals[quantity]
        else:
            v = self._flow_value(quantity, t)
            if v is not None:
                return v
        raise KeyError("a %s meter has no quantity %r" % (self.kind, quantity))

    def _flow_value(self, quantity, t):
        on = self.gate.state(t)
        if quantity == "flow.rate":
            return Num(self.profiles["flow"].rate(t, self.tz) if on else 0, -3)
        if self.kind != "heat":
            return None
        if quantity == "heat.power":
            return Num(self.profiles["main"].rate(t, self.tz) if on else 0, -3)
        if quantity == "temperature.supply":
            return self.supply_temp
        if quantity == "temperature.return":
            return self.return_temp
        if quantity == "temperature.difference":
            a, b = self.supply_temp, self.return_temp
            e = min(a.e, b.e)
            return Num(a.m * 10 ** (a.e - e) - b.m * 10 ** (b.e - e), e)
        if quantity == "time.operating":
            return Num(max(0, int((t - self.t0) // 3600)))
        return None

    def demand(self, quantity, t=None, t_from=None):
        """Maximum demand "demand.active.import.max.tN" (Num) or its time
        "demand.active.import.time.tN" (str or None) since the last settlement
        (or ``t_from``) up to ``t``."""
        t = self.now() if t is None else t
        base, part = split_name(quantity)
        direction = "import" if ".import." in base else "export"
        reg = self.registers["energy.active." + direction]
        if t_from is None:
            b = self.bounds.nth("monthly", 1, self.meter_time(t))
            t_from = self.mclock.reached(b) or self.t0
        value, when = model_electric.max_demand(self, reg, part or 0, t_from, t)
        return when if ".time" in base else value

    # ------------------------------------------------------ valve, relay ---
    def _in(self, windows, t):
        return any(a <= t and (b is None or t < b) for a, b in windows)

    def valve_command(self, open_, t=None):
        """Open (True) or close the valve at ``t``; False when the valve is stuck."""
        t = self.now() if t is None else t
        if self._in(self.stuck, t):
            if self.gate.state(t) != bool(open_) and self.valve_fault_since is None:
                self.valve_fault_since = t
            return False
        self.gate.schedule(t + self.motor_seconds, bool(open_), t)
        return True

    def valve_state(self, t=None):
        t = self.now() if t is None else t
        if self.valve_fault_since is not None and self.valve_fault_since <= t and \
                self._in(self.stuck, t):
            return "fault"
        return "open" if self.gate.state(t) else "closed"

    def relay_command(self, close, t=None):
        t = self.now() if t is None else t
        if not close and self.gate.state(t):
            self.relay_trips += 1
        self.gate.schedule(t, bool(close), t)

    def battery_low(self, t=None):
        return self._in(self.battery, self.now() if t is None else t)

    # ------------------------------------------------------------ faults ---
    def add_jump(self, amount, t=None, register=None, tariff=None):
        """The reading jumps by ``amount`` (display units of the register, may
        be negative) at ``t``: reading_jump / reading_backwards faults."""
        t = self.now() if t is None else t
        reg = self.registers[register or MAIN[self.kind]]
        reg.add_jump(t, units(amount, reg.decimals), tariff)

    def tampered(self, name, start, until=None):
        """A tamper window (``TAMPER``): from ``start`` until ``until`` (None: for good)."""
        self.tamper[name].append((float(start), None if until is None else float(until)))

    def tamper_on(self, name, t=None):
        return self._in(self.tamper[name], self.now() if t is None else t)

    def tamper_last(self, name, t=None):
        """(start, end or None) of the most recent tamper window begun by t, or None."""
        t = self.now() if t is None else t
        begun = [w for w in self.tamper[name] if w[0] <= t]
        if not begun:
            return None
        start, until = max(begun)
        return start, (until if until is not None and until <= t else None)

    def tamper_count(self, name, t=None):
        t = self.now() if t is None else t
        return sum(1 for a, _ in self.tamper[name] if a <= t)

    def stuck_valve(self, start, until=None):
        self.stuck.append((float(start), None if until is None else float(until)))

    def dead_battery(self, start, until=None):
        self.battery.append((float(start), None if until is None else float(until)))
