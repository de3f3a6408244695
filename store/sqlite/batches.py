"""Uplink batches: outbox rows grouped, numbered and kept until acknowledged.

A batch is formed in one transaction: the next ``seq`` (one counter for the
concentrator, persisted in ``state``), its outbox rows marked with it, and
its payload stored as it will be sent, so a batch that goes again after a
reconnect or a restart is byte for byte the same, with the same ``seq``.
Acknowledging a batch deletes it and its outbox rows.  Until then its rows
stay in the outbox, where pruning does not touch them (principle 6).

``batch_next`` first looks, with a plain read, whether anything waits: a
forwarder pass with nothing to send makes no write transaction.  The
records of a batch are fetched in chunked queries (``Outbox._records``) and
handed to ``build`` as the store decodes them (values are Decimal).
"""

from store.sqlite.outbox import CHUNK, STREAM_NAMES

SEQ_KEY = "uplink.seq"
_HEAD = "SELECT stream FROM outbox WHERE seq IS NULL ORDER BY id LIMIT 1"


class Batches:
    """Mixin of store.Store."""

    def batch_next(self, batch_max, build, now):
        """Form the next batch from the oldest unbatched outbox rows of one
        stream; ``build(stream, seq, records) -> (topic, payload bytes)``.
        Returns (seq, topic, payload, count) or None when nothing waits."""
        if self.connect().execute(_HEAD).fetchone() is None:
            return None                        # nothing waits: no write transaction
        with self.write() as c:
            head = c.execute(_HEAD).fetchone()
            if head is None:
                return None
            stream = head[0]
            rows = c.execute("SELECT id, ref FROM outbox WHERE seq IS NULL AND stream = ? "
                             "ORDER BY id LIMIT ?", (stream, int(batch_max))).fetchall()
            name = STREAM_NAMES[stream]
            found = self._records(c, name, [ref for _, ref in rows])
            records = [found[ref] for _, ref in rows if ref in found]   # else pruned meanwhile
            seq = int(self.get_state(SEQ_KEY, 0)) + 1
            topic, payload = build(name, seq, records)
            ids = [i for i, _ in rows]
            for k in range(0, len(ids), CHUNK):
                chunk = ids[k:k + CHUNK]
                c.execute("UPDATE outbox SET seq = ? WHERE id IN (%s)" % ",".join("?" * len(chunk)),
                          [seq] + chunk)
            c.execute("INSERT INTO batches (seq, topic, payload, records, created) VALUES (?, ?, ?, ?, ?)",
                      (seq, topic, payload, len(records), int(now)))
            self.set_state(SEQ_KEY, seq, c)
        return seq, topic, payload, len(records)

    def batches_unacked(self, after_seq=0, limit=None):
        """[(seq, topic, payload, records)] formed and not yet acknowledged."""
        sql = "SELECT seq, topic, payload, records FROM batches WHERE seq > ? ORDER BY seq"
        if limit:
            sql += " LIMIT %d" % int(limit)
        return [(s, t, bytes(p), n) for s, t, p, n in self.connect().execute(sql, (after_seq,))]

    def batch_ack(self, seq):
        with self.write() as c:
            c.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            return c.execute("DELETE FROM batches WHERE seq = ?", (seq,)).rowcount

    def batch_ack_upto(self, seq):
        with self.write() as c:
            c.execute("DELETE FROM outbox WHERE seq <= ?", (seq,))
            return c.execute("DELETE FROM batches WHERE seq <= ?", (seq,)).rowcount

    def batch_backlog(self):
        """(unbatched outbox rows, unacknowledged batches, oldest created ts or None)."""
        c = self.connect()
        waiting = c.execute("SELECT count(*) FROM outbox WHERE seq IS NULL").fetchone()[0]
        n, oldest = c.execute("SELECT count(*), min(created) FROM batches").fetchone()
        return waiting, n, oldest

    # ------------------------------------------------- command replies
    def command_get(self, cid):
        row = self.connect().execute("SELECT digest, reply FROM commands WHERE id = ?",
                                     (cid,)).fetchone()
        return row

    def command_put(self, cid, ts, digest, reply):
        with self.write() as c:
            c.execute("INSERT OR REPLACE INTO commands (id, ts, digest, reply) VALUES (?, ?, ?, ?)",
                      (cid, int(ts), digest, reply))

    def command_prune(self, before):
        with self.write() as c:
            return c.execute("DELETE FROM commands WHERE ts < ?", (int(before),)).rowcount
