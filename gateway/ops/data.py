"""The console's ``data``: stored values of one kind, oldest first.

Console-only (gateway.ops.table): the master station gets the values pushed
as batches instead.
"""

from gateway.ops.args import check_args, choice, flag, parse_time, text
from store import KINDS
from upstream.errors import CommandError

DATA_MAX_ROWS = 100000


class DataOps:
    """Mixin of gateway.ops.dispatch.Operations."""

    def op_data(self, args, meta):
        """Stored values of one kind, oldest first: ``meter``, ``from``/``to``
        (ISO 8601), ``q`` (quantity names), ``limit``; ``newest``: the last
        ``limit`` values of the range instead of the first."""
        args = check_args("data", args or {},
                          ("meter", "kind", "from", "to", "q", "limit", "newest"))
        kind = choice(args, "kind", KINDS, default="daily", required=False)
        start = parse_time(args, "from", required=False)
        end = parse_time(args, "to", required=False)
        meter = text(args, "meter", "a meter id such as \"m-0001\"")
        qs = args.get("q")
        if qs is not None and not (isinstance(qs, list) and all(isinstance(q, str) for q in qs)):
            raise CommandError("bad_request", "q must be a list of quantity names",
                               detail={"field": "q"})
        newest = flag(args, "newest")
        limit = args.get("limit", DATA_MAX_ROWS)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= DATA_MAX_ROWS:
            raise CommandError("bad_request", "limit must be 1..%d" % DATA_MAX_ROWS,
                               detail={"field": "limit"})
        if meter is not None and meter not in self.archive.ids() and \
                not self.store.stored_meter_ids([meter]):
            raise CommandError("unknown_meter", "no meter %s in the archive or the store "
                               "(concentrator meters list shows them)" % meter)
        rows = self.store.readings(kind, meter, start, end, qs, limit + 1, newest=newest)
        truncated = len(rows) > limit
        rows = rows[1:] if truncated and newest else rows[:limit]
        values = []
        for r in rows:
            r["ts"] = self.iso(r["ts"])
            if r.get("read_ts") is not None:
                r["read_ts"] = self.iso(r["read_ts"])
            values.append(r)
        return {"kind": kind, "values": values, "truncated": truncated}
