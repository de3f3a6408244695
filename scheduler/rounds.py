"""The acquisition log: one row per reading round, not per frame.

A round is the jobs the scheduler queues for one boundary (hourly, daily,
monthly freeze) or for one ``read`` command.  ``start`` registers them; the
engine's ``job_done`` hands every finished job to ``done``; when the last
job of a round is finished the round is written to the ``acquisition`` log:
what (the plan's boundary or the command), which meters, and the counts of
good and failed reads and of boundaries left to the catch-up.
"""

import threading

MAX_IDS = 50                    # meter ids written in a row at most (the counts are complete)


class Rounds:
    def __init__(self, store, clock):
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._of_job = {}               # id(job) -> round
        self._open = []

    def start(self, what, jobs, catchup=0, detail=None):
        """A round of ``jobs`` (already queued); written when the last is done."""
        r = {"what": what, "left": len(jobs), "good": 0, "failed": 0, "catchup": catchup,
             "meters": [j.meter["id"] for j in jobs if j.meter], "failures": {},
             "detail": detail or {}}
        if not jobs:
            self._write(r)
            return
        with self._lock:
            for j in jobs:
                self._of_job[id(j)] = r
            # a job finished before it was registered here is counted now
            finished = [j for j in jobs if j.done.is_set()]
        for j in finished:
            self.done(j)

    def done(self, job):
        with self._lock:
            r = self._of_job.pop(id(job), None)
            if r is None:
                return
            if job.failure is None and not getattr(job, "error", None):
                r["good"] += 1
            else:
                r["failed"] += 1
                if len(r["failures"]) < MAX_IDS and job.meter:
                    r["failures"][job.meter["id"]] = str(job.error or job.failure)[:80]
            r["left"] -= 1
            complete = r["left"] == 0
        if complete:
            self._write(r)

    def _write(self, r):
        ids = r["meters"]
        detail = dict(r["detail"], what=r["what"], meters=ids[:MAX_IDS], count=len(ids),
                      good=r["good"], failed=r["failed"], caught_up=r["catchup"])
        if r["failures"]:
            detail["failures"] = r["failures"]
        try:
            self.store.log("acquisition", self.clock.time(), "%s: %d meter(s), %d good, %d "
                           "failed, %d left to the catch-up" % (r["what"], len(ids), r["good"],
                                                                r["failed"], r["catchup"]),
                           detail)
        except Exception:               # a closed store at shutdown: the round is not logged
            pass
