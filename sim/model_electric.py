"""Instantaneous electrical values and maximum demand of a simulated electricity meter.

Everything follows from the active-power profile at the instant asked
(DL/T 645-2007 appendix A quantities, in the units of protocols/quantities.py):

* P = import rate - export rate (W), zero while the relay is open;
  Q = (import + export) * reactive_ratio / 1000 (var); S = isqrt(P^2 + Q^2);
  power factor = |P| / S to 3 decimals (1.000 at no load).
* Three-phase meters share P and Q equally (the remainder on phase A);
  single-phase meters have no phase B/C values (None, FFH on the wire).
* Phase voltages are whole volts around the nominal (+-2 V, changing every
  hour, deterministic from the seed); line voltages of a three-phase meter
  are those of a balanced system (0.1 V, truncated); current = S / U to
  1 mA (truncated).
* Frequency is fixed (50.00 Hz by default).

Maximum demand (DL/T 645-2007 A.2) is the largest average power over a
15-minute window [q, q+900) aligned to the quarter hour and wholly inside
the period asked, from the exact register integral (so closed-relay periods
count), in kW with 4 decimals (truncated); its time is the window's end by
the meter's clock, ``YYYY-MM-DDThh:mm:00``.  Windows are on true time, the
meter's clock only stamps them.
"""

from math import isqrt

from protocols.core.num import Num

QUARTER = 900
HOUR = 3600


def _phase_split(value, phases):
    if phases == 1:
        return [value]
    share = value // 3
    return [value - 2 * share, share, share]


def instant(model, t):
    """All instantaneous electrical quantities at true time ``t`` (dict of Num/None)."""
    on = model.gate.state(t)
    tz = model.tz
    p_imp = model.profiles["import"].rate(t, tz) if on else 0
    p_exp = model.profiles["export"].rate(t, tz) if on else 0
    p = p_imp - p_exp
    q = (p_imp + p_exp) * model.reactive_ratio // 1000
    out = {"frequency": model.frequency}
    phases = model.phases
    ps = _phase_split(p, phases)
    qs = _phase_split(q, phases)
    local = int(t // 1) + tz
    hour_no = local // HOUR
    names = ("a", "b", "c")
    s_total = 0
    i_total = 0
    for k in range(3):
        ph = names[k]
        if k >= phases:
            for base in ("voltage.", "current.", "power.active.", "power.reactive.",
                         "power.apparent.", "power_factor."):
                out[base + ph] = None
            continue
        # whole volts: DL/T645-1997 shows integer volts, 2007 one decimal
        dev = (model.seed * 7 + hour_no * 13 + k * 5) % 5 - 2
        u_tenths = model.voltage_tenths + 10 * dev
        s = isqrt(ps[k] * ps[k] + qs[k] * qs[k])
        s_total += s
        i_ma = s * 10000 // u_tenths
        i_total += i_ma
        out["voltage." + ph] = Num(u_tenths, -1)
        out["current." + ph] = Num(i_ma, -3)
        out["power.active." + ph] = Num(ps[k], -3)
        out["power.reactive." + ph] = Num(qs[k], -3)
        out["power.apparent." + ph] = Num(s, -3)
        out["power_factor." + ph] = _pf(ps[k], s)
    if phases == 3:
        # line voltages of a balanced system, 120 degrees apart: |Ux - Uy|^2 = Ux^2 + Uy^2 + UxUy
        for x, y in (("a", "b"), ("b", "c"), ("c", "a")):
            ux, uy = out["voltage." + x].m, out["voltage." + y].m
            out["voltage." + x + y] = Num(isqrt(ux * ux + uy * uy + ux * uy), -1)
    else:
        for xy in ("ab", "bc", "ca"):
            out["voltage." + xy] = None
    s_sum = isqrt(p * p + q * q)
    out["power.active.total"] = Num(p, -3)
    out["power.reactive.total"] = Num(q, -3)
    out["power.apparent.total"] = Num(s_sum, -3)
    out["power_factor.total"] = _pf(p, s_sum)
    # single phase: the neutral carries the phase current; balanced 3-phase: none
    out["current.n"] = Num(i_total if phases == 1 else 0, -3)
    return out


def _pf(p, s):
    if s == 0:
        return Num(1000, -3)
    v = abs(p) * 1000 // s
    return Num(-v if p < 0 else v, -3)


def max_demand(model, register, tariff, t_from, t_to):
    """(kW Num, meter-time ISO or None) of the largest 15-minute average of
    ``register`` (a Register) over windows inside [t_from, t_to); ``tariff``
    0 for all hours, k for the windows in hours of tariff band k."""
    t_from = max(t_from, register.t0)
    if t_to - t_from < QUARTER:
        return Num(0, -4), None
    integ = register.integrator
    gate = register.gate
    tz = model.tz
    best, best_end = -1, None
    h = ((int(t_from // 1) + tz) // HOUR) * HOUR - tz
    end_limit = t_to
    while h < end_limit:
        band = integ.band_at(h)
        if tariff and band != tariff:
            h += HOUR
            continue
        starts = [q for q in (h, h + 900, h + 1800, h + 2700)
                  if q >= t_from and q + QUARTER <= t_to]
        if starts:
            if not gate.changes_between(h, h + HOUR) and not gate.changes_between(h - 1, h + 1):
                if gate.state(h):
                    v = integ.profile.rate(h, tz) * 10        # W -> kW x 1e4
                    if v > best:
                        best, best_end = v, starts[0] + QUARTER
                elif best < 0:
                    best, best_end = 0, starts[0] + QUARTER
            else:
                for q in starts:
                    e = _window_energy(register, band, q)
                    v = e // 90                                # Ws / 900 s -> kW x 1e4
                    if v > best:
                        best, best_end = v, q + QUARTER
        h += HOUR
    if best < 0:
        return Num(0, -4), None
    return Num(best, -4), model.meter_iso(best_end, minutes=True)


def _window_energy(register, band, q):
    total = 0
    at = register.integrator.at
    for a, b in register.gate.open_intervals(q, q + QUARTER):
        total += at(b)[band - 1] - at(a)[band - 1]
    return total
