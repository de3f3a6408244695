"""Retention per kind and the hard byte budget.

Pruning first drops what is past its retention and has gone upstream.  The
budget counts the store as it lies on flash: the file (pages in use and free
pages) and its WAL.  Over the budget (``fit_budget``: the daily maintenance,
and the engine whenever a commit finds the store over it) the least valuable
data goes first, by kind -- real-time before hourly before daily before
monthly -- and within a kind what has gone upstream before what has not,
oldest first.  Dropping data still in the outbox is said so (``store_full``
and ``dropped_unsent`` in the result, which the engine raises as an event).
A pass goes down to ``1/HEADROOM`` below the budget, so that the next commits
do not start it again at once; then the free pages go back to the file
system (incremental vacuum, in bounded steps) and the WAL is truncated.

Free pages left by retention alone are not given back while the store is
under its budget: new readings reuse them, sparing flash the rewrites.

``PRAGMA incremental_vacuum(N)`` frees one page per step of the statement:
Python's ``execute`` steps a statement without result columns once, so it
runs through ``executescript``, which steps it to the end.
"""

import sqlite3

from store.sqlite import codec
from store.sqlite.db import KINDS
from store.sqlite.readings import STREAMS

DEFAULT_RETENTION_DAYS = {"realtime": 7, "hourly": 45, "daily": 400, "monthly": 3660}
DEFAULT_BUDGET = 64 * 1024 * 1024
MIN_BUDGET = 16 * 1024 * 1024
CHUNK = 2000            # rows of a kind in the first delete; later ones sized by what it freed
MAX_CHUNK = 100000
HEADROOM = 8            # a budget pass leaves the store 1/8 of the budget below it
VACUUM_STEP = 4096      # pages given back per transaction


class Maintenance:
    """Mixin of store.Store."""

    def _delete_old(self, c, kind, cutoff_key, keep_pending, limit=None):
        pending = "AND key NOT IN (SELECT ref FROM outbox WHERE stream = %d)" % STREAMS[kind] \
            if keep_pending else ""
        sql = ("DELETE FROM r_%s WHERE key IN (SELECT key FROM r_%s WHERE key < ? %s ORDER BY key%s)"
               % (kind, kind, pending, " LIMIT %d" % limit if limit else ""))
        n = c.execute(sql, (cutoff_key,)).rowcount
        if not keep_pending and n:
            c.execute("DELETE FROM outbox WHERE stream = ? AND ref NOT IN (SELECT key FROM r_%s)"
                      % kind, (STREAMS[kind],))
        return n

    def prune(self, now, retention_days=None, budget_bytes=None, log_days=90, event_days=400):
        """Apply retention and the budget; returns what was done."""
        retention = dict(DEFAULT_RETENTION_DAYS)
        retention.update(retention_days or {})
        deleted = dict((k, 0) for k in KINDS)
        with self.write() as c:
            for kind in KINDS:
                cutoff = codec.key_range(None, now - retention[kind] * 86400)[1]
                deleted[kind] += self._delete_old(c, kind, cutoff, keep_pending=True)
            c.execute("DELETE FROM logs WHERE ts < ?", (int(now - log_days * 86400),))
            c.execute("DELETE FROM events WHERE ts < ? AND id NOT IN "
                      "(SELECT ref FROM outbox WHERE stream = 4)", (int(now - event_days * 86400),))
        done = self.fit_budget(budget_bytes)
        for kind in KINDS:
            done["deleted"][kind] += deleted[kind]
        return done

    def fit_budget(self, budget_bytes=None):
        """Bring the store back under ``budget_bytes`` (at least MIN_BUDGET)
        when it is over; returns what was done (``deleted`` per kind,
        ``store_full``, ``dropped_unsent``, ``before`` and ``bytes`` on flash,
        ``budget``)."""
        budget = max(MIN_BUDGET, budget_bytes or DEFAULT_BUDGET)
        done = {"deleted": dict((k, 0) for k in KINDS), "store_full": False, "dropped_unsent": 0,
                "before": self.flash_bytes()}
        try:
            if done["before"] > budget:
                target = budget - budget // HEADROOM
                for kind in KINDS:
                    if self._drop(kind, True, target, done) or \
                            self._drop(kind, False, target, done):
                        break
                self.vacuum_free(0)
                self.checkpoint()
        finally:
            self._over_signalled = False        # the next commit over the budget calls again
        done["bytes"] = self.flash_bytes()
        done["budget"] = budget
        return done

    def _drop(self, kind, keep_pending, target, done):
        """Delete the oldest values of ``kind`` (only those gone upstream when
        ``keep_pending``) until the pages in use fit ``target``; True then."""
        chunk = CHUNK
        used = self.used_bytes()
        while used > target:
            with self.write() as c:
                n = self._delete_old(c, kind, 1 << 62, keep_pending, limit=chunk)
            if not n:
                return False
            done["deleted"][kind] += n
            if not keep_pending:
                done["dropped_unsent"] += n
                done["store_full"] = True
            now_used = self.used_bytes()
            freed, used = used - now_used, now_used
            if freed > 0:        # rows for the rest, from what these rows freed
                chunk = int((used - target) * n / freed * 1.1) + 1
            else:                # they shared pages with rows kept: take more at once
                chunk *= 2
            chunk = max(CHUNK, min(MAX_CHUNK, chunk))
        return True

    def vacuum_free(self, max_pages=VACUUM_STEP):
        """Give free pages back to the file system, at most ``max_pages``
        (0: all of them, ``VACUUM_STEP`` pages per transaction); returns how many."""
        c = self.connect()
        given = 0
        while True:
            free = c.execute("PRAGMA freelist_count").fetchone()[0]
            step = min(free, VACUUM_STEP if not max_pages else max_pages - given)
            if step <= 0:
                return given
            with self._write_lock:      # other writers of this process queue
                # executescript steps the pragma to its end: one page per step
                c.executescript("PRAGMA incremental_vacuum(%d)" % step)
            after = c.execute("PRAGMA freelist_count").fetchone()[0]
            if after >= free:
                return given
            given += free - after

    def checkpoint(self):
        """Copy the WAL into the file and truncate it (after a big prune, so
        that what was freed leaves the flash); False when readers kept it."""
        try:
            busy = self.connect().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            return False
        return not busy

    def wipe(self):
        """Delete every reading, event, outbox entry, uplink batch not yet
        acknowledged and given-up gap (the master station's ``reset`` of the
        data); returns rows deleted per table.  The five logs stay: no
        operation deletes them (issue 12; retention and the size cap prune
        them, ``Journal.prune_logs``).  The state table stays (the
        uplink's sequence counter must never go back; the scheduler's last
        boundaries and health episodes hold), and so do the id tables (meters,
        quantities, texts) and the stored command replies (a repeated command
        id must still not run twice)."""
        tables = ["r_" + k for k in KINDS] + ["events", "outbox", "batches", "gaps"]
        done = {}
        with self.write() as c:
            present = set(r[0] for r in c.execute("SELECT name FROM sqlite_master "
                                                  "WHERE type = 'table'"))
            for table in tables:
                if table in present:
                    done[table] = c.execute("DELETE FROM %s" % table).rowcount
        self.vacuum_free(0)        # 0: the whole free list back to the file system
        self.checkpoint()
        return done
