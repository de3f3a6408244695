"""The store's byte budget and a full disk, watched while the engine runs.

* Budget (``store.budget_mb``): the store calls back after a commit that
  finds it over the budget on flash (file and WAL); the scheduler thread
  then runs the budget pass (``Store.fit_budget``) at once, not only at the
  daily maintenance.  A pass that had to drop values not yet upstream raises
  ``store_full``.
* Full disk: the first write that fails logs one error (no traceback) and
  raises ``disk_full`` -- stored as soon as the store takes writes again
  when it cannot be stored at once; while the disk stays full a warning
  every ``REMIND_S`` of the engine's clock counts the writes lost; once
  writes have worked for ``BACK_S`` (some small ones may get through on a
  full disk) a warning says that space is back.
"""

import logging
import threading

log = logging.getLogger(__name__)
MB = 1024 * 1024
REMIND_S = 3600        # a reminder an hour while the disk is full
BACK_S = 300           # writes that work for 5 minutes end a full-disk episode


class StoreWatch:
    def __init__(self, engine):
        self.engine = engine
        self.store = engine.store
        self.clock = engine.clock
        self.over = False
        self.full_since = None          # engine time of the first failed write
        self.last_failure = None
        self.reminded = None
        self.lost_before = 0            # the store's failure count before the episode
        self.pending = None             # the disk_full event not yet stored
        self._lock = threading.Lock()
        self._remove = None

    def budget(self):
        return int(self.engine.params.get("store.budget_mb")) * MB

    # ----------------------------------------------------------------- life
    def start(self):
        self.store.watch_budget(self.budget(), self._over_budget)
        self._remove = self.store.on_full(self._full)

    def stop(self):
        self.store.watch_budget(None, None)
        if self._remove:
            self._remove()
            self._remove = None

    def params_changed(self):
        """The parameters changed: a lower budget is applied at once."""
        self.store.watch_budget(self.budget(), self._over_budget)
        self.over = True

    # --------------------------------------------------------------- budget
    def _over_budget(self):
        """A commit found the store over its budget (in the committing thread)."""
        self.over = True
        self.engine.wake()

    def tick(self, now):
        """On the scheduler thread: the budget pass when due, the reminder."""
        if self.over:
            self.over = False
            self.report(self.store.fit_budget(self.budget()), now)
        self._disk(now)

    def maintenance(self, now, retention, **prune_args):
        """The daily pass: retention, then the budget (``prune_args``: more of
        ``Store.prune``'s, e.g. ``log_days``)."""
        done = self.store.prune(now, retention, self.budget(), **prune_args)
        self.report(done, now)
        return done

    def report(self, done, now):
        if done["store_full"]:
            self.store.put_event(now, "store_full", "critical", None,
                                 {"dropped_unsent": done["dropped_unsent"], "bytes": done["bytes"],
                                  "budget": done["budget"]})
        if done.get("before", 0) > done["budget"]:
            log.info("store over its budget (%d of %d bytes): dropped %s, now %d bytes",
                     done["before"], done["budget"],
                     ", ".join("%d %s" % (n, k) for k, n in done["deleted"].items() if n) or
                     "nothing", done["bytes"])

    # ------------------------------------------------------------ full disk
    def _full(self, full, error):
        """After a write that failed on a full disk (``full``), or the first
        that worked again; in the writing thread."""
        if not full:
            return                       # the episode ends in tick(), after BACK_S quiet
        now = self.clock.time()
        with self._lock:
            self.last_failure = now
            if self.full_since is not None:
                return
            self.full_since = self.reminded = now
            self.lost_before = self.store.full_failures - 1
            self.pending = (int(now), {"path": self.store.path, "error": str(error)})
        log.error("%s", error)
        self._store_event()

    def _disk(self, now):
        """On the scheduler thread: the reminder while the disk is full, the
        end of the episode once writes have worked for ``BACK_S``."""
        with self._lock:
            since = self.full_since
            if since is None:
                return
            lost = self.store.full_failures - self.lost_before
            back = self.store.full is None and now - self.last_failure >= BACK_S
            remind = not back and now - self.reminded >= REMIND_S
            if back:
                self.full_since = None
            elif remind:
                self.reminded = now
        if remind:
            log.warning("store %s: the disk is still full (for %d min): %d writes lost so far",
                        self.store.path, (now - since) // 60, lost)
        elif back:
            log.warning("store %s: space is back, writes work again (the disk was full for "
                        "%d min, %d writes lost)", self.store.path, (now - since) // 60, lost)
            self._store_event(recovered=int(now), lost=lost)

    def _store_event(self, recovered=None, lost=None):
        pending = self.pending
        if pending is None:
            return
        ts, detail = pending
        if recovered is not None:
            detail = dict(detail, recovered=recovered, writes_lost=lost)
        try:
            self.store.put_event(ts, "disk_full", "critical", None, detail)
        except Exception as err:       # still full: stored when writes work again
            log.debug("disk_full event not stored yet: %s", err)
            return
        self.pending = None
