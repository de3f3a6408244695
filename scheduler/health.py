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
* zero: ``health.zero_days`` days in a row without consumption ->
  ``consumption_zero``.
* stopped: an electricity meter whose energy does not move while it reports
  active power (> 0.05 kW) over a day -> ``meter_stopped``.
* overload: power above the archive's ``limits.power_max_kw`` -> ``overload``.
* valve_fault / battery_low: from the meter's status -> ``valve_fault``,
  ``battery_low``.
"""

import threading
from decimal import Decimal

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


def exact(number):
    """A setting as a Decimal: a Decimal as it is, a number or text by its digits."""
    return number if isinstance(number, Decimal) else Decimal(str(number))


class Health:
    """Episode tracking for every meter; thread-safe (workers call it)."""

    def __init__(self, store, params, clock):
        self.store = store
        self.params = params
        self.clock = clock
        self._lock = threading.Lock()
        self.state = store.get_state(STATE_KEY, {})   # meter -> {condition: detail or None}
        self.failures = {}                            # meter -> consecutive failures
        self.last = {}                                # (meter, kind, q) -> (ts, Decimal)
        self.daily = {}                               # meter -> [recent daily consumptions]
        self.stopped_since = {}

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

    def values(self, meter_rec, kind, readings):
        """Check stored readings of one job (dicts as put into the store)."""
        meter = meter_rec["id"]
        main = MAIN_REGISTER.get(meter_rec.get("kind", "electricity"))
        limits = meter_rec.get("limits") or {}
        for r in readings:
            q, v = r["q"], r["value"]
            if v is None:
                continue
            if q == main and isinstance(v, Decimal):
                self._register(meter, kind, r["ts"], v)
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
            if q == "power.active.total" and isinstance(v, Decimal):
                self._stopped(meter, r["ts"], v)

    def _register(self, meter, kind, ts, value):
        key = (meter, kind)
        prev = self.last.get(key)
        if prev is None or ts > prev[0]:
            self.last[key] = (ts, value)
        if prev is None or ts <= prev[0]:
            return
        if value < prev[1]:
            self._raise(meter, "backwards", {"kind": kind, "previous": str(prev[1]),
                                             "value": str(value), "since": prev[0]})
            return
        self._clear(meter, "backwards")
        if kind == "daily" and ts - prev[0] == 86400:
            self._consumption(meter, value - prev[1])

    def _consumption(self, meter, used):
        history = self.daily.setdefault(meter, [])
        if history:
            avg = sum(history) / len(history)
            factor = exact(self.params.get("health.abnormal_factor"))
            if avg > 0 and used > factor * avg:
                self._raise(meter, "abnormal", {"consumption": str(used), "average": str(avg)})
            else:
                self._clear(meter, "abnormal")
        zero_days = int(self.params.get("health.zero_days"))
        recent = (history + [used])[-zero_days:]
        if len(recent) >= zero_days and all(u == 0 for u in recent):
            self._raise(meter, "zero", {"days": zero_days})
        elif used > 0:
            self._clear(meter, "zero")
        history.append(used)
        del history[:-7]

    def _stopped(self, meter, ts, power):
        last = self.last.get((meter, "realtime"))
        if power <= Decimal("0.05") or last is None:
            self.stopped_since.pop(meter, None)
            return
        start = self.stopped_since.get(meter)
        reg = last[1]
        if start is None or start[1] != reg:
            self.stopped_since[meter] = (ts, reg)
            self._clear(meter, "stopped")
        elif ts - start[0] >= 86400:
            self._raise(meter, "stopped", {"register": str(reg), "power_kw": str(power),
                                           "since": start[0]})

    def clock_deviation(self, meter, deviation_s, threshold_s):
        if abs(deviation_s) > threshold_s:
            self._raise(meter, "clock_deviation", {"deviation_s": int(deviation_s),
                                                   "threshold_s": int(threshold_s)})
            return True
        self._clear(meter, "clock_deviation")
        return False
