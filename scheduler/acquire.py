"""Running one job on a bus: read, convert to readings, store, check health.

Meter sessions give records with Decimal values, as the store takes them.
A failed read leaves the
boundary missing (catch-up fills it later) and counts towards
``meter_offline``; a value the meter does not keep ends the catch-up of that
boundary (``catchup_failed``).
"""

import logging

from drivers.errors import DriverError, MeterRefusedError, NotSupportedError, PortStoppedError
from protocols.core.errors import CodecError
from scheduler import jobs
from scheduler.frozen import NotYet, Unavailable, read_frozen

log = logging.getLogger(__name__)


INSTANT_SLACK = 120      # s between a broadcast freeze and its record's minute stamp


def _utc(cal, shown):
    """UTC seconds of a meter's local ISO text (seconds optional)."""
    return cal.utc(int(shown[0:4]), int(shown[5:7]), int(shown[8:10]), int(shown[11:13]),
                   int(shown[14:16]), int(shown[17:19] or 0))


def readings_of(meter, records, kind, ts, src, read_ts=None, clock_off=False):
    out = []
    for r in records:
        q = r.get("quantity")
        if not q:
            continue
        row = {"meter": meter["id"], "q": q, "unit": r.get("unit") or "", "kind": kind,
               "ts": ts, "value": r.get("value"), "src": src, "read_ts": read_ts}
        if clock_off:
            row["clock_off"] = True
        out.append(row)
    return out


class Acquirer:
    """Executes jobs for the engine (shared by every bus worker)."""

    def __init__(self, engine):
        self.engine = engine

    def run(self, job, reader):
        e = self.engine
        meter = job.meter
        try:
            if job.action == "frozen":
                result = self._frozen(job, reader)
            elif job.action == "current":
                result = self._current(job, reader)
            elif job.action == "instant":
                result = self._instant(job, reader)
            elif job.action == "clock":
                result = e.timekeeping.check_meter(job, reader)
            elif job.action == "call":
                result = job.fn(reader)              # a control operation (valve, relay...)
            else:
                raise ValueError("unknown job action %r" % job.action)
        except NotYet as err:
            e.health.succeeded(meter["id"])
            self._failed(job, err, reachable=False)   # not an attempt: try again later
            return
        except Unavailable as err:
            e.health.succeeded(meter["id"])
            e.catchup.unavailable(meter, job.kind, job.boundary, str(err))
            job.finish(error=err)
            return
        except PortStoppedError as err:              # the agent stops: not the meter's doing
            job.finish(error=err)
            return
        except MeterRefusedError as err:
            e.health.succeeded(meter["id"])          # it answered: it is online
            self._failed(job, err, reachable=True)
            return
        except (DriverError, CodecError, NotSupportedError) as err:
            if meter is not None:
                e.health.failed(meter["id"], err)
            self._failed(job, err, reachable=False)
            return
        if meter is not None:
            e.health.succeeded(meter["id"])
        job.finish(result=result)

    def _failed(self, job, err, reachable):
        e = self.engine
        if job.action == "frozen":
            e.catchup.failed(job.meter, job.kind, job.boundary, reachable)
        job.finish(error=err)

    def _frozen(self, job, reader):
        e = self.engine
        meter, kind, b = job.meter, job.kind, job.boundary
        quantities = e.plan.quantities(meter, kind)
        now = e.clock.time()
        records, src = read_frozen(reader, kind, b, now, quantities, e.plan.calendar)
        clock_off = src == "meter" and self._clock_off(job, reader, records, now)
        if job.priority == jobs.CATCHUP and src == "meter":
            src = "catchup"
        rows = readings_of(meter, records, kind, b, src, int(now) if src == "read" else None,
                           clock_off)
        if not rows:
            raise Unavailable("the meter gave none of %s" % ", ".join(quantities))
        e.store.put_readings(rows)
        e.catchup.filled(meter, kind, b)
        e.health.values(meter, kind, rows)
        return rows

    def _clock_off(self, job, reader, records, now):
        """Whether the meter froze these records by a clock out of tolerance: its
        clock deviation episode is on, or the record was not the one a right
        clock numbers ``n`` -- then its clock is read now (which reports the
        episode, ``meter_clock_deviation``, once) to tell a clock that is off
        from freezes the meter missed."""
        e = self.engine
        meter, kind, b = job.meter, job.kind, job.boundary
        if "clock_deviation" in e.health.active(meter["id"]):
            return True
        cal = e.plan.calendar
        right = "%s:%d" % (kind, cal.steps(kind, b, cal.floor(kind, now)) + 1)
        if all(r.get("period") in (None, right) for r in records):
            return False
        try:
            checked = e.timekeeping.check_meter(job, reader)
        except (DriverError, CodecError, NotSupportedError) as err:
            log.info("meter %s: clock not read after a shifted %s record: %s", meter["id"], kind,
                     err)
            return False
        return abs(checked["deviation_s"]) > int(e.params.get("clock.deviation_threshold_s"))

    def _instant(self, job, reader):
        """After an immediate broadcast freeze at ``job.boundary`` (our clock):
        the meter's instant-freeze record, stored as real-time values at that
        instant with ``src=meter``.  A record whose freeze time is not that
        instant by the meter's clock (within INSTANT_SLACK s; the meter missed
        the broadcast) is not taken: the current values are read instead."""
        e = self.engine
        cal = e.plan.calendar
        at = job.boundary
        records = reader.read_instant(job.quantities)
        stamp = next((r["value"] for r in records if r["quantity"] == "freeze.time"), None)
        fresh = stamp is not None and abs(_utc(cal, stamp) - at) <= INSTANT_SLACK
        if stamp is not None and not fresh:
            shown = reader.read_clock()       # a meter clock off: its stamp is by that clock
            deviation = _utc(cal, shown) - e.clock.time() if shown else 0
            fresh = abs(_utc(cal, stamp) - deviation - at) <= INSTANT_SLACK
        if not fresh:
            log.info("meter %s: no instant freeze record of %s (newest %s): reading it now",
                     job.meter["id"], cal.iso(at), stamp)
            return self._current(job, reader)
        rows = readings_of(job.meter, [r for r in records if r["quantity"] != "freeze.time"],
                           "realtime", int(at), "meter")
        if rows:
            e.store.put_readings(rows)
            e.health.values(job.meter, "realtime", rows)
        return rows

    def _current(self, job, reader):
        e = self.engine
        quantities = job.quantities or e.plan.quantities(job.meter, "realtime") or None
        records = reader.read(quantities)
        now = int(e.clock.time())
        rows = readings_of(job.meter, records, "realtime", now, "read")
        if rows:
            replaced = []
            e.store.put_readings(rows, replaced)
            # the store keeps one real-time value a minute: say which earlier read this replaced
            earlier = dict((q, ts) for _, q, ts in replaced)
            for r in rows:
                if r["q"] in earlier:
                    r["replaces"] = earlier[r["q"]]
            e.health.values(job.meter, "realtime", rows)
        return rows
