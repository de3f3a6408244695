"""What the store kept: events.query, logs.query, and recall (补召: stored
values queued upstream again)."""

from gateway.ops.args import bad, check_args, choice, id_list, text, time_range, unknown_meters
from store import KINDS, LOG_CATEGORIES

RECALL_MAX_DAYS = 400
QUERY_MAX_ROWS = 1000           # events.query / logs.query: more -> "truncated": true


class JournalOps:
    """Mixin of gateway.ops.dispatch.Operations."""

    def op_recall(self, args, meta):
        """Queue stored values of ``kind`` in [from, to) upstream again (补召)."""
        args = check_args("recall", args, ("kind", "from", "to", "meters"))
        kind = choice(args, "kind", KINDS)
        start, end = time_range(args, RECALL_MAX_DAYS)
        ids = id_list(args, "meters", required=False, allow_all=True)
        if ids is not None:
            # a removed meter's history is kept, and can be recalled
            known = set(m["id"] for m in self.engine.archive_meters()) | \
                self.store.stored_meter_ids(ids)
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise unknown_meters(unknown)
        n = self.store.outbox_requeue(kind, start, end, ids)
        return {"records": n}

    def op_events_query(self, args, meta):
        """Stored events in [from, to), oldest first; at most QUERY_MAX_ROWS
        (``truncated``: ask again from the last one's ts)."""
        args = check_args("events.query", args, ("from", "to", "type", "meter"))
        start, end = time_range(args)
        etype = text(args, "type", "an event type such as \"meter_offline\"")
        meter = text(args, "meter", "a meter id such as \"m-0001\"")
        rows = self.store.events(start, end, type=etype, meter=meter, limit=QUERY_MAX_ROWS + 1)
        return {"events": [dict(e, ts=self.iso(e["ts"])) for e in rows[:QUERY_MAX_ROWS]],
                "truncated": len(rows) > QUERY_MAX_ROWS}

    def op_logs_query(self, args, meta):
        """One log's rows in [from, to), oldest first: ``operator`` only theirs;
        pages of at most ``limit`` (QUERY_MAX_ROWS) rows, ``after``: the last
        id of the page before (``truncated``: there is another page)."""
        args = check_args("logs.query", args, ("category", "from", "to", "operator", "after",
                                               "limit"))
        category = choice(args, "category", LOG_CATEGORIES)
        start, end = time_range(args)
        operator = text(args, "operator", "an operator name such as \"alice\"")
        after = args.get("after")
        if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
            raise bad("after", after, "the id of the last row of the page before")
        limit = args.get("limit", QUERY_MAX_ROWS)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= \
                QUERY_MAX_ROWS:
            raise bad("limit", limit, "a whole number 1..%d" % QUERY_MAX_ROWS)
        rows = self.store.logs(category, start, end, limit=limit + 1, operator=operator,
                               after=after)
        return {"logs": [dict(r, ts=self.iso(r["ts"])) for r in rows[:limit]],
                "truncated": len(rows) > limit}
