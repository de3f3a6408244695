"""The outbox: what has been committed but not yet acknowledged upstream.

Each new reading or event gets a row ``(id, stream, ref)`` in the same
transaction that stores it; ``id`` grows with every commit, so the outbox
lists committed records in commit order whatever their timestamps (a value
caught up for last week comes after today's).  The uplink (upstream/) builds
batches from the oldest ids and removes them when the broker or the master
station acknowledges; what is still in the outbox is what pruning must not
drop unless the byte budget forces it.

The records behind outbox rows are fetched in chunked ``IN`` queries
(``_records``), not one SELECT per row.  A commit that adds outbox rows
notifies the store's ``on_commit`` listeners (store.sqlite.db).
"""

from store.sqlite import codec
from store.sqlite.db import KINDS

STREAM_NAMES = KINDS + ("event",)
CHUNK = 500              # ids per IN (...): below SQLite's oldest variable limit (999)


class Outbox:
    """Mixin of store.Store."""

    def outbox_pending(self, after_id=0, limit=200, streams=None):
        """[(id, stream name, record)] oldest first, ids > ``after_id``."""
        sql = "SELECT id, stream, ref FROM outbox WHERE id > ?"
        args = [after_id]
        if streams:
            sql += " AND stream IN (%s)" % ",".join(str(STREAM_NAMES.index(s)) for s in streams)
        sql += " ORDER BY id LIMIT ?"
        args.append(int(limit))
        c = self.connect()
        rows = c.execute(sql, args).fetchall()
        found = {}
        for stream in set(s for _, s, _ in rows):
            found[stream] = self._records(c, STREAM_NAMES[stream],
                                          [ref for _, s, ref in rows if s == stream])
        return [(oid, STREAM_NAMES[stream], found[stream][ref]) for oid, stream, ref in rows
                if ref in found[stream]]           # else pruned under budget pressure meanwhile

    def _records(self, c, name, refs):
        """{ref: record} of stream ``name`` (a kind, or "event"): the stored
        ones among ``refs``, in one query per ``CHUNK`` refs."""
        refs = list(dict.fromkeys(refs))
        out = {}
        for k in range(0, len(refs), CHUNK):
            chunk = refs[k:k + CHUNK]
            marks = ",".join("?" * len(chunk))
            if name == "event":
                sql = "SELECT id, ts, type, severity, meter, detail FROM events WHERE id IN (%s)"
                for row in c.execute(sql % marks, chunk):
                    out[row[0]] = self._event(row)
            else:
                sql = "SELECT key, value, flags, dt FROM r_%s WHERE key IN (%s)" % (name, marks)
                for row in c.execute(sql, chunk):
                    out[row[0]] = self._decode(name, *row)
        return out

    def outbox_remove(self, ids):
        ids = list(ids)
        with self.write() as c:
            for k in range(0, len(ids), CHUNK):
                chunk = ids[k:k + CHUNK]
                c.execute("DELETE FROM outbox WHERE id IN (%s)" % ",".join("?" * len(chunk)), chunk)

    def outbox_remove_upto(self, last_id):
        with self.write() as c:
            c.execute("DELETE FROM outbox WHERE id <= ?", (last_id,))

    def outbox_depth(self):
        """(number of entries, oldest id or None)."""
        n, oldest = self.connect().execute("SELECT count(*), min(id) FROM outbox").fetchone()
        return n, oldest

    def outbox_requeue(self, kind, start=None, end=None, meters=None):
        """Queue stored readings of ``kind`` in [start, end) upstream again (the
        master station's ``recall``); returns how many.  They go out as new
        batches with new sequence numbers."""
        lo, hi = codec.covering_range(start, end)
        sql = "SELECT key, dt FROM r_%s WHERE key >= ? AND key < ?" % kind
        args = [lo, hi]
        if meters is not None:
            ids = [self._meter_ids.get(m) for m in meters]
            ids = [i for i in ids if i is not None]
            if not ids:
                return 0
            sql += " AND ((key >> %d) & %d) IN (%s)" % (codec.QUANTITY_BITS, codec.MAX_METERS,
                                                       ",".join("?" * len(ids)))
            args += ids
        sql += " ORDER BY key"
        stream = STREAM_NAMES.index(kind)
        with self.write() as c:
            keys = [k for k, dt in c.execute(sql, args).fetchall()
                    if codec.in_range(codec.ts_of(kind, k, dt), start, end)]
            c.executemany("INSERT INTO outbox (stream, ref) VALUES (?, ?)", [(stream, k) for k in keys])
            if keys:
                self._queued()
        return len(keys)
