"""The acquisition engine: plans, boundaries, catch-up, workers, time.

Threads (architecture: Concurrency): one worker per bus and one scheduler.
The scheduler wakes at the next due instant (a boundary plus its offset, the
next real-time slot, the hourly catch-up pass, the daily clock check and
maintenance) and queues jobs; workers run them in priority order.  Under a
``VirtualClock(auto=True)`` every thread sleeps on the clock, so when all are
idle time jumps to the next due instant and a month runs in minutes.

Boundaries are never skipped or doubled by clock jumps: each kind remembers
the last boundary it queued (persisted); a jump forward turns the boundaries
in between into catch-up holes, a jump back queues nothing until time passes
the last one again, and the store keeps one value per boundary anyway.
"""

import logging
import threading
import time

from drivers import meters
from drivers.radio import broadcast_line
from protocols import registry
from store import StoreFullError
from scheduler import jobs
from scheduler.acquire import Acquirer
from scheduler.bus_health import BusHealth
from scheduler.frozen import READ_WINDOW
from scheduler.catchup import Catchup
from scheduler.health import Health
from scheduler.jobs import Job, JobQueue
from scheduler.plan import FROZEN, Plan
from scheduler.rounds import Rounds
from scheduler.store_watch import StoreWatch
from scheduler.timekeeping import Timekeeping
from scheduler.worker import Worker

log = logging.getLogger(__name__)
HEARTBEAT = 300
CATCHUP_MINUTE = 30 * 60          # hourly catch-up pass at hh:30
RECHECK_AT = 3600                 # daily re-check of recent daily values at 01:00
MAINTENANCE_AT = 3 * 3600 + 600   # retention and budget at 03:10
MARKS_KEY = "scheduler.marks"
STOP_TIMEOUT = 5.0                # real seconds stop() waits for the bus workers together
SCHEDULER_STOP_TIMEOUT = 30.0     # and for the scheduler's pass (store work, no bus)


class Engine:
    """Composes store, archive, parameters, buses and clock into the agent's core."""

    def __init__(self, clock, store, archive, params, buses, radio=None):
        """``buses``: {name: drivers.port.Port}; ``radio``: (name, RadioModule) or None."""
        self.clock = clock
        self.store = store
        self.archive = archive
        self.params = params
        self.plan = Plan(params)
        self._params_rev = getattr(params, "revision", None)
        self.health = Health(store, params, clock)
        self.bus_health = BusHealth(store, clock)
        self.catchup = Catchup(self)
        self.timekeeping = Timekeeping(self)
        self.acquirer = Acquirer(self)
        self.store_watch = StoreWatch(self)    # the byte budget as the store grows, a full disk
        self.radio_name = radio[0] if radio else None
        self.queues = {}
        self.workers = {}
        all_buses = dict(buses)
        if radio:
            all_buses[radio[0]] = radio[1]
        for name, bus in all_buses.items():
            q = JobQueue(clock)
            self.queues[name] = q
            self.workers[name] = Worker(self, name, bus, q)
        self.buses = all_buses
        self._meters = None
        self._meters_rev = None
        self._wake = threading.Event()
        self._stopping = False
        self._thread = None
        self.last = dict(store.get_state("scheduler.last", {}))
        # the daily passes done (clock check, maintenance, recheck), kept over restarts
        self.marks = dict(store.get_state(MARKS_KEY, {}))
        self.job_listeners = []      # fn(job) after each job a bus worker finished
        self.rounds = Rounds(store, clock)   # the acquisition log, a row per round

    # ------------------------------------------------------------ archive
    def archive_revision(self):
        return getattr(self.archive, "revision", None)

    def archive_meters(self):
        rev = self.archive_revision()
        if self._meters is None or rev != self._meters_rev:
            self._meters = self.archive.list()
            self._meters_rev = rev
        return self._meters

    def meter(self, meter_id):
        """The archive's meter ``meter_id`` or None: a dict lookup, kept with the meter list."""
        meters = self.archive_meters()
        index = getattr(self, "_meter_index", None)
        if index is None or index[0] is not meters:
            index = self._meter_index = (meters, dict((m["id"], m) for m in meters))
        return index[1].get(meter_id)

    def bus_of(self, meter):
        if meter.get("radio") and self.radio_name:
            return self.radio_name
        return meter["port"]

    def job_done(self, job):
        """A bus worker finished ``job`` (``job.failure`` None: it went well):
        tell the ``job_listeners`` (e.g. the agent's upgrade probation, which
        waits for a complete reading round).  On the worker's thread; a
        listener that fails is logged, never the worker's problem."""
        self.rounds.done(job)
        for fn in list(self.job_listeners):
            try:
                fn(job)
            except Exception:
                log.exception("job listener failed")

    def enqueue(self, job):
        name = self.bus_of(job.meter) if job.meter is not None else job.kind
        q = self.queues.get(name)
        if q is None:
            job.finish(error="no bus %r for meter %s" % (name, job.meter and job.meter["id"]))
            return False
        if job.priority == jobs.CATCHUP and job.meter is not None and \
                (job.meter["id"], job.kind, job.boundary) not in self.catchup.holes:
            return False
        return q.put(job)

    # ------------------------------------------------------------- life
    def start(self):
        now = self.clock.time()
        alive = self.store.get_state("engine.alive")
        detail = {"downtime_s": None if alive is None else int(now - alive)}
        self.store.put_event(now, "power_up", "info", None, detail)
        self.store.log("operation", now, "agent started", detail)
        for kind in FROZEN:
            if self.plan.enabled[kind]:
                self.catchup.scan(kind, now - self.plan.catchup_window[kind], now)
        self.store_watch.start()
        for w in self.workers.values():
            w.start()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop: the transactions on the wire are cut short (each port's
        interrupt), the scheduler's pass is waited for, then the bus workers
        ``timeout`` real seconds in all, whatever the buses do; persist the
        heartbeat.  A thread still stuck
        then (a transport that ignores its timeouts) is a daemon, left behind
        with a warning."""
        self._stopping = True
        self._wake.set()
        for w in self.workers.values():
            w.stop()
        self.clock.notify()
        if self._thread is not None:
            # the scheduler never waits on a bus: it ends its pass whatever they do
            self._thread.join(SCHEDULER_STOP_TIMEOUT)
        end = time.monotonic() + timeout
        threads = list(self.workers.values())
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        stuck = [t.name for t in threads + [self._thread] if t is not None and t.is_alive()]
        if stuck:
            log.warning("stopping: %s still busy after %.0f s; left behind", ", ".join(stuck),
                        timeout)
        self.store_watch.stop()
        self.store.set_state("engine.alive", int(self.clock.time()))

    def alive(self):
        """The scheduler and every worker thread are running."""
        return self._thread is not None and self._thread.is_alive() and \
            all(w.is_alive() for w in self.workers.values())

    def stalled(self, bound):
        """What is not making progress (the watchdog's question): the scheduler
        or a worker thread dead, or a bus whose worker has been in one job with
        no transaction finished or begun for ``bound`` seconds.  [] = all well."""
        out = [] if self._thread is not None and self._thread.is_alive() else ["scheduler"]
        now = self.clock.monotonic()
        for name, w in self.workers.items():
            if not w.is_alive() or not w.progressing(now, bound):
                out.append("bus " + name)
        return out

    def wake(self):
        self._wake.set()
        self.clock.notify()

    # --------------------------------------------------------- scheduler
    def _loop(self):
        clock = self.clock
        clock.register()
        try:
            while not self._stopping:
                now = clock.time()
                try:
                    self._tick(now)
                except StoreFullError:     # the store watch reports a full disk, once
                    pass
                except Exception:          # keep scheduling whatever one pass did
                    log.exception("scheduler pass failed")
                wait = max(0.0, self._next_wake(clock.time()) - clock.time())
                clock.wait(self._wake, wait)
                self._wake.clear()
        finally:
            clock.unregister()

    def _due(self, name, at, now):
        """True once per instant ``at``.  The marks are kept in the store, so a
        restart does not repeat the day's clock check of every meter or the
        maintenance pass; but for the hourly catch-up plan, which a restart is
        meant to run (the downtime may have left gaps)."""
        if now >= at and self.marks.get(name, 0) < at:
            self.marks[name] = at
            if name != "catchup":
                self.store.set_state(MARKS_KEY, dict((k, v) for k, v in self.marks.items()
                                                     if k != "catchup"))
            return True
        return False

    def _tick(self, now):
        rev = getattr(self.params, "revision", None)
        if rev != self._params_rev:
            self.plan = Plan(self.params)
            self._params_rev = rev
            self.store_watch.params_changed()
        self.store_watch.tick(now)
        plan = self.plan
        cal = plan.calendar
        if self._due("heartbeat", now - now % HEARTBEAT, now):
            self.store.set_state("engine.alive", int(now))
        for kind in FROZEN:
            if not plan.enabled[kind]:
                continue
            b = cal.floor(kind, now)
            if kind in plan.broadcast_freeze:
                self._broadcast_at_boundary(kind, b, now)
            if now >= plan.due(kind, b) and b > self.last.get(kind, 0):
                self._freeze(kind, b, self.last.get(kind), now)
        for bus in self.queues:
            interval = plan.realtime_for(bus)
            if not interval:
                continue
            slot = now - now % interval
            key = "realtime:" + bus
            if slot > self.last.get(key, 0):
                self.last[key] = slot
                for m in self.archive_meters():
                    if self.bus_of(m) == bus and plan.quantities(m, "realtime"):
                        self.enqueue(Job(jobs.PERIODIC, "current", m, "realtime", slot, due=slot))
        day = cal.floor("daily", now)
        if self._due("catchup", cal.floor("hourly", now) + CATCHUP_MINUTE, now):
            self.catchup.plan(now)
        if plan.recheck_days and self._due("recheck", day + RECHECK_AT, now):
            self.catchup.scan("daily", now - plan.recheck_days * 86400, now)
            self.catchup.plan(now)
        if self._due("clock", day + plan.clock_check, now):
            self.timekeeping.ntp()
            self.timekeeping.plan_checks()
        if self._due("maintenance", day + MAINTENANCE_AT, now):
            self.maintenance(now)
        self.catchup.report()

    def _freeze(self, kind, b, last, now):
        cal = self.plan.calendar
        missed = cal.between(kind, last + 1, b) if last else []
        late = now - self.plan.due(kind, b) > READ_WINDOW[kind]
        if late:
            missed.append(b)   # back after an outage: this boundary is caught up too
        for m in self.archive_meters():
            if not self.plan.quantities(m, kind):
                continue
            for bb in missed:
                if bb >= int(m.get("added") or 0):
                    self.catchup.add(m["id"], kind, bb)
        self.last[kind] = b
        self.store.set_state("scheduler.last", self.last)
        if late:
            self.catchup.plan(now)
            return
        queued = []
        for m in self.archive_meters():
            if self.plan.quantities(m, kind) and b >= int(m.get("added") or 0):
                job = Job(jobs.FREEZE, "frozen", m, kind, b, due=b)
                if self.enqueue(job):
                    queued.append(job)
        self.rounds.start("%s round" % kind, queued,
                          catchup=len(missed), detail={"kind": kind, "boundary": int(b)})

    def _broadcast_at_boundary(self, kind, b, now):
        """The broadcast freeze of ``kind`` goes out at the boundary itself (the
        engine wakes on every hour), not after the reading offset; once per
        boundary (kept with the boundaries queued), and not when the agent
        only comes to it after its reads were due (a start or an outage)."""
        key = "broadcast:" + kind
        if b <= self.last.get(key, 0):
            return
        self.last[key] = b
        self.store.set_state("scheduler.last", self.last)
        if now < max(self.plan.due(kind, b), b + 60):
            self.broadcast_freeze(kind)

    def _next_wake(self, now):
        plan = self.plan
        cal = plan.calendar
        times = [now - now % HEARTBEAT + HEARTBEAT, cal.floor("hourly", now) + 3600]
        for kind in FROZEN:
            if plan.enabled[kind]:
                b = cal.floor(kind, now)
                due = plan.due(kind, b)
                times.append(due if (due > now and b > self.last.get(kind, 0))
                             else plan.due(kind, cal.next(kind, now)))
        for bus in self.queues:
            interval = plan.realtime_for(bus)
            if interval:
                times.append(now - now % interval + interval)
        hour = cal.floor("hourly", now)
        times.append(hour + CATCHUP_MINUTE if now < hour + CATCHUP_MINUTE else hour + 3600 + CATCHUP_MINUTE)
        day = cal.floor("daily", now)
        for offset in (RECHECK_AT, plan.clock_check, MAINTENANCE_AT):
            times.append(day + offset if now < day + offset else day + 86400 + offset)
        return min(t for t in times if t > now)

    # --------------------------------------------------------- services
    def maintenance(self, now):
        g = self.params.get
        retention = dict((k, int(g("retention.%s_days" % k)))
                         for k in ("realtime", "hourly", "daily", "monthly"))
        done = self.store_watch.maintenance(now, retention, log_days=int(g("log.retention_days")))
        done["logs_capped"] = self.store.prune_logs(now, int(g("log.retention_days")),
                                                    int(g("log.max_rows")))
        self.store.log("statistics", now, "maintenance", done)
        return done

    def run_job(self, job, timeout=None):
        """Queue a job and wait for it (on the engine's clock)."""
        if not self.enqueue(job):
            return job
        self.clock.wait(job.done, timeout)
        return job

    def read_now(self, meter_ids, quantities=None, timeout=120):
        """On-demand read (召测) ahead of scheduled work: {meter id: result}."""
        out = {}
        pending = []
        for mid in meter_ids:
            m = self.meter(mid)
            if m is None:
                out[mid] = {"error": "unknown_meter", "message": "no meter %s" % mid}
                continue
            job = Job(jobs.ONDEMAND, "current", m, "realtime", None, quantities or None)
            if self.enqueue(job):
                pending.append((mid, job))
            else:
                out[mid] = {"error": "busy", "message": job.error or "not queued"}
        self.rounds.start("read command", [job for _, job in pending], detail={"kind": "read"})
        for mid, job in pending:
            self.clock.wait(job.done, timeout)
            if not job.done.is_set():
                out[mid] = {"error": "timeout", "message": "no result within %d s" % timeout}
            elif job.error:
                out[mid] = {"error": "meter_error", "message": job.error}
            else:
                out[mid] = {"values": job.result}
        return out

    def broadcast_freeze(self, kind):
        """A broadcast freeze to every bus with meters of a protocol that has
        one (registry ``broadcast_freeze``): configure the meters' freeze time."""
        spec = {"hourly": (0, None, None, None), "daily": (0, 0, None, None),
                "monthly": (0, self.plan.calendar.hour, self.plan.calendar.day, None)}[kind]
        for name, bus in self.buses.items():
            protos = sorted(set(m["protocol"] for m in self.archive_meters()
                                if self.bus_of(m) == name
                                and registry.get(m["protocol"]).broadcast_freeze))
            for proto in protos:
                # the radio module's meters through its broadcast (1376.2 05H F3)
                job = Job(jobs.ONDEMAND, "broadcast", None, name, proto,
                          fn=lambda worker, proto=proto: meters.broadcast_freeze(
                              broadcast_line(worker.bus, proto), proto, *spec))
                self.queues[name].put(job)

    def status(self):
        out = {"buses": {}, "queues": {}, "clock": self.timekeeping.status(),
               "outbox": dict(zip(("depth", "oldest"), self.store.outbox_depth())),
               "store": self.store.usage()}
        unusable = self.bus_health.unusable_buses()
        for name, bus in self.buses.items():
            counters = getattr(bus, "counters", None)
            out["buses"][name] = counters.port.snapshot() if counters else {}
            if counters:
                out["buses"][name]["unusable"] = name in unusable
            out["queues"][name] = len(self.queues[name])
        return out
