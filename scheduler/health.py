"""Meter health: conditions raised once per episode, not on every poll.

A condition (``offline``, ``backwards``, ``abnormal``, ``zero``, ``stopped``,
``overload``, ``valve_fault``, ``battery_low``, ``clock_deviation``) turns
on once, raising its event with detail, and stays on until the meter shows
the opposite; then it can raise again.  The on/off state is persisted in the
store, so a restart does not raise an episode twice.

* offline: ``health.offline_after`` consecutive failed jobs ->
  ``meter_offline``; the next success -> ``meter_back_online``.
* backwards: a cumulative register lower than the previous value of the
  same kind -> ``reading_backwards``.
* abnormal: a daily consumption above ``health.abnormal_factor`` times the
  average of the meter's last 7 daily consumptions -> ``consumption_abnormal``.
  A day's consumption above the archive's ``limits.daily_max`` raises it
  too.  After an outage of several days the consumption since the last
  daily value counts per day.
* zero: ``health.zero_days`` (or the archive's ``limits.zero_days``) days in
  a row without consumption -> ``consumption_zero``.
* stopped: an electricity meter whose energy does not move while it reports
  active power (> 0.05 kW) over a day -> ``meter_stopped``.
* overload: power above the archive's ``limits.power_max_kw`` -> ``overload``.
* valve_fault / battery_low: from the meter's status -> ``valve_fault``,
  ``battery_low``; a valve control whose read-back state is not the one
  asked for -> ``valve_fault`` (``controlled``).
* tamper (防窃电): a tamper counter of ``quantities.TAMPER`` that grows, a
  tamper flag that turns on, or a new most recent occurrence (an event
  record's start time) -> one ``tamper`` event per job with the evidence (``{"evidence": [{"q", "previous", "value"}, ...]}``); a flag is
  an episode like the conditions above (condition ``tamper:<quantity>``).

The baselines the checks compare with -- each register's last value per
reading kind, the recent daily consumptions, where a "stopped" watch
began, the last tamper counts -- are kept in the store as well (state key
``health.baseline.<meter>``), so that a jump or a tamper count that grew
during an outage is seen after a restart.
"""

import threading
from decimal import Decimal

from protocols.core.quantities import TAMPER

MAIN_REGISTER = {"electricity": "energy.active.import.total", "water": "volume.total",
                 "gas": "volume.total", "heat": "heat.energy.total"}
EVENTS = {"offline": "meter_offline", "backwards": "reading_backwards",
          "abnormal": "consumption_abnormal", "zero": "consumption_zero",
          "stopped": "meter_stopped", "overload": "overload", "valve_fault": "valve_fault",
          "battery_low": "battery_low", "clock_deviation": "meter_clock_deviation"}
SEVERITY = {"offline": "warning", "backwards": "critical", "abnormal": "warning", "zero": "info",
            "stopped": "critical", "overload": "warning", "valve_fault": "critical",
            "battery_low": "warning", "clock_deviation": "warning"}
STATE_KEY = "health"
BASELINE_KEY = "health.baseline."      # + meter id
TAMPER_SEVERITY = "critical"
HISTORY_DAYS = 7                       # daily consumptions the average is taken over
MAX_GAP_DAYS = 62                      # a longer gap between daily values starts afresh
_TAMPER = dict(TAMPER)


def exact(number):
    """A setting as a Decimal: a Decimal as it is, a number or text by its digits."""
    return number if isinstance(number, Decimal) else Decimal(str(number))


class Baseline:
    """What the checks of one meter compare with; its JSON form is kept in the store."""

    __slots__ = ("last", "daily", "stopped", "counts")

    def __init__(self, doc=None):
        doc = doc or {}
        self.last = dict((k, (v[0], Decimal(v[1]))) for k, v in (doc.get("last") or {}).items())
        self.daily = [Decimal(u) for u in doc.get("daily") or ()]
        st = doc.get("stopped")
        self.stopped = None if not st else (st[0], Decimal(st[1]))
        self.counts = dict(doc.get("counts") or {})     # tamper quantity -> its last value, text

    def doc(self):
        return {"last": dict((k, [ts, str(v)]) for k, (ts, v) in self.last.items()),
                "daily": [str(u) for u in self.daily],
                "stopped": None if self.stopped is None else [self.stopped[0],
                                                               str(self.stopped[1])],
                "counts": dict(self.counts)}


class Health:
    """Episode tracking for every meter; thread-safe (workers call it)."""

    def __init__(self, store, params, clock):
        self.store = store
        self.params = params
        self.clock = clock
        self._lock = threading.Lock()
        self.state = store.get_state(STATE_KEY, {})   # meter -> {condition: detail or None}
        self.failures = {}                            # meter -> consecutive failures
        self._baselines = {}                          # meter -> Baseline (loaded on first use)

    # ------------------------------------------------------------ episodes
    def _set(self, meter, condition, on, detail=None):
        """Turn a condition on/off; True when that changed (an event is due)."""
        with self._lock:
            conds = self.state.setdefault(meter, {})
            was = conds.get(condition) is not None
            if on == was:
                return False
            if on:
                conds[condition] = detail or {}
            else:
                conds.pop(condition, None)
            self.store.set_state(STATE_KEY, self.state)
            return True

    def _raise(self, meter, condition, detail):
        if self._set(meter, condition, True, detail):
            self.store.put_event(self.clock.time(), EVENTS[condition], SEVERITY[condition],
                                 meter, detail)

    def _clear(self, meter, condition):
        self._set(meter, condition, False)

    def active(self, meter):
        with self._lock:
            return sorted(self.state.get(meter, {}))

    # ----------------------------------------------------------- baselines
    def baseline(self, meter):
        """The meter's Baseline, read from the store the first time."""
        with self._lock:
            b = self._baselines.get(meter)
            if b is None:
                b = self._baselines[meter] = Baseline(
                    self.store.get_state(BASELINE_KEY + meter, None))
            return b

    def _save(self, meter, b):
        self.store.set_state(BASELINE_KEY + meter, b.doc())

    # ------------------------------------------------------------ inputs
    def failed(self, meter, error):
        """One more failed job of ``meter`` (``error``: what its session raised)."""
        n = self.failures.get(meter, 0) + 1
        self.failures[meter] = n
        if n >= int(self.params.get("health.offline_after")):
            self._raise(meter, "offline", {"failures": n, "error": str(error)[:200]})

    def succeeded(self, meter):
        self.failures[meter] = 0
        if self._set(meter, "offline", False):
            self.store.put_event(self.clock.time(), "meter_back_online", "info", meter, {})

    def controlled(self, meter, part, action, asked, state):
        """A control (``action``) read back ``state`` where ``asked`` was wanted:
        a valve that is not where it was sent raises ``valve_fault``."""
        if part != "valve":
            return
        if state != asked:
            self._raise(meter, "valve_fault", {"state": state, "action": action,
                                               "asked": asked})
        elif state != "fault":
            self._clear(meter, "valve_fault")

    def values(self, meter_rec, kind, readings):
        """Check stored readings of one job (dicts as put into the store)."""
        meter = meter_rec["id"]
        main = MAIN_REGISTER.get(meter_rec.get("kind", "electricity"))
        limits = meter_rec.get("limits") or {}
        b = self.baseline(meter)
        changed = False
        evidence = []
        for r in readings:
            q, v = r["q"], r["value"]
            if v is None:
                continue
            if q == main and isinstance(v, Decimal):
                self._register(meter, limits, b, kind, r["ts"], v)
                changed = True
            elif q == "power.active.total" and limits.get("power_max_kw") is not None:
                limit = exact(limits["power_max_kw"])
                if v > limit:
                    self._raise(meter, "overload", {"power_kw": str(v), "limit_kw": str(limit)})
                else:
                    self._clear(meter, "overload")
            elif q == "valve.state":
                if v == "fault":
                    self._raise(meter, "valve_fault", {"state": v})
                else:
                    self._clear(meter, "valve_fault")
            elif q == "battery.low":
                if v:
                    self._raise(meter, "battery_low", {})
                else:
                    self._clear(meter, "battery_low")
            elif q in _TAMPER:
                changed = self._tamper(meter, b, q, v, evidence) or changed
            if q == "power.active.total" and isinstance(v, Decimal):
                changed = self._stopped(meter, b, r["ts"], v) or changed
        if changed:
            self._save(meter, b)
        if evidence:
            self.store.put_event(self.clock.time(), "tamper", TAMPER_SEVERITY, meter,
                                 {"evidence": evidence})

    def _tamper(self, meter, b, q, v, evidence):
        """A tamper counter, flag or last occurrence; True when the baseline changed."""
        kind = _TAMPER[q]
        if kind == "flag":
            if self._set(meter, "tamper:" + q, bool(v), {"since": self.clock.time()}) and v:
                evidence.append({"q": q, "value": True})
            return False
        if kind == "count" and not isinstance(v, Decimal):
            return False
        text = str(v)
        prev = b.counts.get(q)
        if prev == text:
            return False
        b.counts[q] = text
        if prev is not None and (kind == "last" or v > Decimal(prev)):
            evidence.append({"q": q, "previous": prev, "value": text})
        return True

    def _register(self, meter, limits, b, kind, ts, value):
        prev = b.last.get(kind)
        if prev is None or ts > prev[0]:
            b.last[kind] = (ts, value)
        if prev is None or ts <= prev[0]:
            return
        if value < prev[1]:
            self._raise(meter, "backwards", {"kind": kind, "previous": str(prev[1]),
                                             "value": str(value), "since": prev[0]})
            return
        self._clear(meter, "backwards")
        gap = ts - prev[0]
        if kind == "daily" and gap % 86400 == 0 and gap // 86400 <= MAX_GAP_DAYS:
            self._consumption(meter, limits, b, value - prev[1], int(gap // 86400))

    def _consumption(self, meter, limits, b, used, days):
        """``used`` over ``days`` days (1, or more after an outage)."""
        history = b.daily
        per_day = used / days
        detail = {"consumption": str(used), "days": days}
        over = None
        if limits.get("daily_max") is not None:
            limit = exact(limits["daily_max"])
            if per_day > limit:
                over = dict(detail, daily_max=str(limit))
        if over is None and history:
            avg = sum(history) / len(history)
            factor = exact(self.params.get("health.abnormal_factor"))
            if avg > 0 and per_day > factor * avg:
                over = dict(detail, average=str(avg))
        if over is not None:
            self._raise(meter, "abnormal", over)
        else:
            self._clear(meter, "abnormal")
        zero_days = limits.get("zero_days")
        if zero_days in (None, "", 0):
            zero_days = self.params.get("health.zero_days")
        zero_days = int(zero_days)
        recent = (history + [per_day] * min(days, zero_days))[-zero_days:]
        if len(recent) >= zero_days and all(u == 0 for u in recent):
            self._raise(meter, "zero", {"days": zero_days})
        elif used > 0:
            self._clear(meter, "zero")
        history.extend([per_day] * min(days, HISTORY_DAYS))
        del history[:-HISTORY_DAYS]

    def _stopped(self, meter, b, ts, power):
        """True when the baseline changed."""
        last = b.last.get("realtime")
        if power <= Decimal("0.05") or last is None:
            was, b.stopped = b.stopped, None
            return was is not None
        start = b.stopped
        reg = last[1]
        if start is None or start[1] != reg:
            b.stopped = (ts, reg)
            self._clear(meter, "stopped")
            return True
        if ts - start[0] >= 86400:
            self._raise(meter, "stopped", {"register": str(reg), "power_kw": str(power),
                                           "since": start[0]})
        return False

    def clock_deviation(self, meter, deviation_s, threshold_s):
        if abs(deviation_s) > threshold_s:
            self._raise(meter, "clock_deviation", {"deviation_s": int(deviation_s),
                                                   "threshold_s": int(threshold_s)})
            return True
        self._clear(meter, "clock_deviation")
        return False
