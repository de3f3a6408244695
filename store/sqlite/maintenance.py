"""Retention per kind and the hard byte budget.

Pruning first drops what is past its retention and has gone upstream.  When
the file is still over the budget it drops the least valuable data first --
real-time before hourly before daily before monthly -- still only what has
gone upstream; only when that is not enough does it drop data still in the
outbox, oldest first, and says so (``store_full`` in the result, which the
engine raises as an event).  Freed pages are handed back to the file system
in bounded steps (incremental vacuum), sparing flash needless rewrites.
"""

from store.sqlite import codec
from store.sqlite.db import KINDS
from store.sqlite.readings import STREAMS

DEFAULT_RETENTION_DAYS = {"realtime": 7, "hourly": 45, "daily": 400, "monthly": 3660}
MIN_BUDGET = 16 * 1024 * 1024
CHUNK = 2000


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
        budget = max(MIN_BUDGET, budget_bytes or 64 * 1024 * 1024)
        done = {"deleted": dict((k, 0) for k in KINDS), "store_full": False, "dropped_unsent": 0}
        with self.write() as c:
            for kind in KINDS:
                cutoff = codec.key_range(None, now - retention[kind] * 86400)[1]
                done["deleted"][kind] += self._delete_old(c, kind, cutoff, keep_pending=True)
            c.execute("DELETE FROM logs WHERE ts < ?", (int(now - log_days * 86400),))
            c.execute("DELETE FROM events WHERE ts < ? AND id NOT IN "
                      "(SELECT ref FROM outbox WHERE stream = 4)", (int(now - event_days * 86400),))
        for keep_pending in (True, False):
            for kind in KINDS:
                while self.usage()["bytes"] > budget:
                    with self.write() as c:
                        n = self._delete_old(c, kind, 1 << 62, keep_pending, limit=CHUNK)
                    if not n:
                        break
                    done["deleted"][kind] += n
                    if not keep_pending:
                        done["dropped_unsent"] += n
                        done["store_full"] = True
        self.vacuum_free()
        done["bytes"] = self.usage()["bytes"]
        done["budget"] = budget
        return done

    def vacuum_free(self, max_pages=4096):
        """Give freed pages back to the file system, at most ``max_pages``."""
        c = self.connect()
        c.execute("PRAGMA incremental_vacuum(%d)" % int(max_pages)).fetchall()

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
        return done
