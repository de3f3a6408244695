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


def readings_of(meter, records, kind, ts, src, read_ts=None):
    out = []
    for r in records:
        q = r.get("quantity")
        if not q:
            continue
        out.append({"meter": meter["id"], "q": q, "unit": r.get("unit") or "", "kind": kind,
                    "ts": ts, "value": r.get("value"), "src": src,
                    "read_ts": read_ts})
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
        if job.priority == jobs.CATCHUP and src == "meter":
            src = "catchup"
        rows = readings_of(meter, records, kind, b, src, int(now) if src == "read" else None)
        if not rows:
            raise Unavailable("the meter gave none of %s" % ", ".join(quantities))
        e.store.put_readings(rows)
        e.catchup.filled(meter, kind, b)
        e.health.values(meter, kind, rows)
        return rows

    def _current(self, job, reader):
        e = self.engine
        quantities = job.quantities or e.plan.quantities(job.meter, "realtime") or None
        records = reader.read(quantities)
        now = int(e.clock.time())
        rows = readings_of(job.meter, records, "realtime", now, "read")
        if rows:
            e.store.put_readings(rows)
            e.health.values(job.meter, "realtime", rows)
        return rows
