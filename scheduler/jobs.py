"""Jobs and the per-bus priority queue.

Priority order on a bus (lower first): on-demand reads (召测/选抄), freeze
reads at a boundary, catch-up (补抄), periodic reads, maintenance (clock
checks).  Within a priority, older due times first, then arrival order.
"""

import heapq
import itertools
import threading

ONDEMAND, FREEZE, CATCHUP, PERIODIC, CLOCK = range(5)
PRIORITY_NAMES = ("ondemand", "freeze", "catchup", "periodic", "clock")


class Job:
    """One unit of bus work: a meter (or a broadcast) and what to do."""

    __slots__ = ("priority", "due", "action", "meter", "kind", "boundary", "quantities", "fn",
                 "result", "done", "failure", "attempt")

    def __init__(self, priority, action, meter=None, kind=None, boundary=None, quantities=None,
                 due=0, fn=None):
        self.priority = priority
        self.due = due
        self.action = action           # "frozen", "current", "clock", "broadcast_time", ...
        self.meter = meter             # archive record (dict) or None for a broadcast
        self.kind = kind
        self.boundary = boundary
        self.quantities = quantities
        self.fn = fn                   # "call": fn(reader); "broadcast": fn(worker)
        self.result = None
        self.failure = None            # what went wrong: the error object (or a refusal's text)
        self.done = threading.Event()
        self.attempt = 0

    def finish(self, result=None, error=None):
        """Done, with a result or ``error`` (kept as the object the worker caught)."""
        self.result = result
        self.failure = error
        self.done.set()

    @property
    def error(self):
        """The failure as text, for whoever shows it (None when it went well)."""
        return None if self.failure is None else str(self.failure)

    def __repr__(self):
        return "Job(%s %s %s %s)" % (PRIORITY_NAMES[self.priority], self.action,
                                     self.meter and self.meter.get("id"), self.boundary)


class JobQueue:
    """A thread-safe priority queue that wakes its worker through the clock."""

    def __init__(self, clock):
        self.clock = clock
        self._heap = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.keys = set()              # (action, meter id, kind, boundary) queued: no duplicates

    def put(self, job):
        key = (job.action, job.meter and job.meter.get("id"), job.kind, job.boundary)
        with self._lock:
            if job.priority != ONDEMAND and key in self.keys:
                return False
            self.keys.add(key)
            heapq.heappush(self._heap, (job.priority, job.due, next(self._seq), job))
            self.ready.set()
        self.clock.notify()
        return True

    def get(self):
        """The next job, or None when empty."""
        with self._lock:
            if not self._heap:
                self.ready.clear()
                return None
            job = heapq.heappop(self._heap)[3]
            self.keys.discard((job.action, job.meter and job.meter.get("id"), job.kind, job.boundary))
            if not self._heap:
                self.ready.clear()
            return job

    def __len__(self):
        with self._lock:
            return len(self._heap)

    def drop(self, meter_id):
        """Remove queued jobs of a meter (it left the archive)."""
        with self._lock:
            keep = [e for e in self._heap if not (e[3].meter and e[3].meter.get("id") == meter_id)]
            gone = [e[3] for e in self._heap if e not in keep]
            self._heap = keep
            heapq.heapify(self._heap)
            for job in gone:
                self.keys.discard((job.action, meter_id, job.kind, job.boundary))
        for job in gone:
            job.finish(error="meter removed")
