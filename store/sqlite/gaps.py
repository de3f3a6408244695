"""Catch-up gaps that were given up: boundaries no meter read will fill.

The scheduler's catch-up (scheduler/catchup.py) keeps the holes it still
tries in memory; a boundary it gives up -- older than the meter's frozen
history, no history at all, refused too often -- is persisted here, so a
restart does not try it again.  One row per meter, kind and boundary in the
``gaps`` table (``kind`` is the index of the kind in ``KINDS``).
"""

from store.sqlite.db import KINDS


def _kind_no(kind):
    if kind not in KINDS[1:]:
        raise ValueError("a gap is of a frozen kind (%s), not %r" % (", ".join(KINDS[1:]), kind))
    return KINDS.index(kind)


class Gaps:
    """Mixin of store.Store (needs Readings for the meter ids)."""

    def gap_give_up(self, meter, kind, ts):
        """Record that boundary ``ts`` of ``kind`` for ``meter`` will not be caught up."""
        with self.write() as c:
            c.execute("INSERT OR REPLACE INTO gaps (meter_id, kind, ts, attempts, failed) "
                      "VALUES (?, ?, ?, 0, 1)", (self._meter_id(c, meter), _kind_no(kind), int(ts)))

    def gaps_given_up(self, kind):
        """{(meter, boundary ts)} of ``kind`` that were given up."""
        rows = self.connect().execute("SELECT meter_id, ts FROM gaps WHERE kind = ? AND failed = 1",
                                      (_kind_no(kind),)).fetchall()
        return set((self._meter_name(m), ts) for m, ts in rows)
