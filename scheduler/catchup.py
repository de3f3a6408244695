"""Catch-up (补抄): finding missing boundaries and filling them from the meters.

Holes are known without scanning the store on every pass: a freeze read that
fails leaves a hole; the scheduler marks boundaries it could not run (a clock
jump, a stop); and at start-up -- after a power cut -- one pass over each
kind's window finds what is missing (``catchup.hourly_hours``,
``catchup.daily_days``, ``catchup.monthly_months``).  Every day the last
``catchup.recheck_days`` days of daily values are checked again, as the Q/GDW
rule asks.

A hole is retried (priority below freeze reads) while the meter keeps that
boundary; a meter that does not answer does not use up attempts (its bus may
be down), one that answers but refuses does.  A boundary that cannot be
filled -- out of the meter's history, no history at all, or refused
``catchup.attempts`` times -- is given up once, persisted in the store
(``Store.gap_give_up``), and written to the acquisition log.  A meter whose
values of a kind cannot be had is one episode: its first give-ups raise one
``catchup_failed`` event (per meter and kind, naming the boundaries); later
ones go to the acquisition log only, until a value of that kind is stored
for the meter again, which ends the episode.  Open episodes are kept in the
store (``catchup.episodes``), so a restart does not raise them again.
"""

import threading

from scheduler import jobs
from scheduler.frozen import depth

EPISODES_KEY = "catchup.episodes"


class Catchup:
    def __init__(self, engine):
        self.engine = engine
        self.holes = {}          # (meter id, kind, boundary) -> refused attempts
        self.given_up = {}       # (meter id, kind) -> [(boundary, reason)] not yet reported
        self._lock = threading.Lock()
        # "meter id|kind" -> ts of the catchup_failed event that opened the episode
        self.episodes = dict(engine.store.get_state(EPISODES_KEY, {}))

    # ------------------------------------------------------------ inputs
    def add(self, meter_id, kind, boundary):
        with self._lock:
            self.holes.setdefault((meter_id, kind, boundary), 0)

    def failed(self, meter, kind, boundary, reachable):
        key = (meter["id"], kind, boundary)
        with self._lock:
            n = self.holes.get(key, 0) + (1 if reachable else 0)
            self.holes[key] = n
        if n >= self.engine.plan.catchup_attempts:
            self._give_up(meter, kind, boundary, "refused %d times" % n)

    def filled(self, meter, kind, boundary):
        with self._lock:
            self.holes.pop((meter["id"], kind, boundary), None)
            if self.episodes.pop("%s|%s" % (meter["id"], kind), None) is None:
                return
            episodes = dict(self.episodes)
        self.engine.store.set_state(EPISODES_KEY, episodes)

    def unavailable(self, meter, kind, boundary, reason):
        self._give_up(meter, kind, boundary, reason)

    def _give_up(self, meter, kind, boundary, reason):
        with self._lock:
            self.holes.pop((meter["id"], kind, boundary), None)
            self.given_up.setdefault((meter["id"], kind), []).append((boundary, reason))
        self.engine.store.gap_give_up(meter["id"], kind, boundary)

    # -------------------------------------------------------------- scans

    def scan(self, kind, start, now):
        """Find the holes of ``kind`` in [start, now] for every meter (one pass)."""
        e = self.engine
        cal = e.plan.calendar
        current = cal.floor(kind, now)
        boundaries = cal.between(kind, start, current + 1)
        if not boundaries:
            return 0
        present = e.store.present(kind, boundaries[0], current + 1)
        failed = e.store.gaps_given_up(kind)
        found = 0
        for meter in e.archive_meters():
            if not e.plan.enabled.get(kind):
                break
            wanted = set(e.plan.quantities(meter, kind))
            if not wanted:
                continue
            added = int(meter.get("added") or 0)
            have = present.get(meter["id"], {})
            for b in boundaries:
                if b < added or (meter["id"], b) in failed:
                    continue
                # a read stores what the meter has of the plan: any value means it was read
                if not wanted & have.get(b, set()):
                    self.add(meter["id"], kind, b)
                    found += 1
        return found

    # --------------------------------------------------------- planning
    def plan(self, now):
        """Queue catch-up jobs for the holes; report given-up boundaries."""
        e = self.engine
        meters = dict((m["id"], m) for m in e.archive_meters())
        with self._lock:
            holes = list(self.holes)
        queued = 0
        cal = e.plan.calendar
        for meter_id, kind, b in sorted(holes, key=lambda h: (h[2], h[0])):
            meter = meters.get(meter_id)
            if meter is None:
                with self._lock:
                    self.holes.pop((meter_id, kind, b), None)
                continue
            if b > cal.floor(kind, now) or (cal.floor(kind, now) == b and now < e.plan.due(kind, b)):
                continue     # ahead of the clock (set back), or its freeze read is not due yet
            n = cal.steps(kind, b, cal.floor(kind, now)) + 1
            if n > depth(meter["protocol"], kind) and not (n == 1):
                self._give_up(meter, kind, b, "older than the %d %s values %s keeps" %
                              (depth(meter["protocol"], kind), kind, meter["protocol"]))
                continue
            if e.enqueue(jobs.Job(jobs.CATCHUP, "frozen", meter, kind, b, due=b)):
                queued += 1
        self.report()
        return queued

    def report(self):
        with self._lock:
            batches = self.given_up
            self.given_up = {}
        e = self.engine
        now = e.clock.time()
        for (meter_id, kind), items in sorted(batches.items()):
            detail = {"kind": kind, "boundaries": [e.plan.calendar.iso(b) for b, _ in items],
                      "reason": items[-1][1]}
            e.store.log("acquisition", now, "catch-up of %s %s given up: %d boundaries" %
                        (meter_id, kind, len(items)), dict(detail, meter=meter_id))
            key = "%s|%s" % (meter_id, kind)
            with self._lock:
                if key in self.episodes:
                    continue          # the episode's event is out: the log has the rest
                self.episodes[key] = int(now)
                episodes = dict(self.episodes)
            e.store.set_state(EPISODES_KEY, episodes)
            e.store.put_event(now, "catchup_failed", "warning", meter_id, detail)
