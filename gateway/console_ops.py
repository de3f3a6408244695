"""The console's ops: the command handlers plus ``status``, ``data`` and
``meters.import``/``meters.export`` (the archive as CSV).

The control socket (agent running) and the offline console (agent stopped,
working on the store and archive directly) both dispatch through
``ConsoleOps``, so every operation is written once: the MQTT ops are
``gateway.commands.Handlers``'; those the master station does not have
(it gets data pushed and status by heartbeat; it sends meter records, not
spreadsheets) are here.

``OFFLINE_OPS`` are those that are safe without the agent: they touch the
files only, never a bus or the agent's clock.
"""

import io

from gateway.commands_args import check_args, choice, flag, iso_time, parse_time, text
from gateway.status import summary
from store import archive_csv
from store import KINDS
from store import StoreError
from upstream.errors import CommandError

CONSOLE_OPS = ("status", "data", "meters.import", "meters.export")
OFFLINE_OPS = frozenset(("status", "data", "ping", "time.get", "meters.list", "meters.add",
                         "meters.update", "meters.remove", "meters.import", "meters.export",
                         "params.get", "params.set", "events.query", "logs.query", "recall",
                         "diag"))
DATA_MAX_ROWS = 100000


class ConsoleOps:
    """``handlers``: gateway.commands.Handlers; ``info()``: a dict merged into
    ``status`` (cid, uplink state, whether the agent is running)."""

    def __init__(self, handlers, info=lambda: {}):
        self.handlers = handlers
        self.info = info

    def ops(self):
        return set(self.handlers.ops()) | set(CONSOLE_OPS)

    def call(self, op, args, meta=None):
        if op == "status":
            return self.status(args)
        if op == "data":
            return self.data(args)
        if op == "meters.import":
            return self._logged(op, meta, self.meters_import, args, meta)
        if op == "meters.export":
            return self._logged(op, meta, self.meters_export, args)
        return self.handlers.call(op, args, meta)

    def _logged(self, op, meta, fn, *args):
        """Run a console op that changes or copies the archive, written to the
        operation log as the handlers' ops are."""
        try:
            result = fn(*args)
        except CommandError as err:
            self.handlers._log_call(op, meta, err.code)
            raise
        self.handlers._log_call(op, meta, None)
        return result

    def _iso(self, ts):
        return iso_time(ts, self.handlers.params.get("time.tz_offset_min"))

    def status(self, args):
        check_args("status", args or {}, ())
        h = self.handlers
        out = summary(h.engine, h.store, h.params)
        clock = out["clock"]
        clock["time"] = self._iso(clock.get("time"))
        last = clock.get("last_correction")
        if last:
            clock["last_correction"] = {"ts": self._iso(last[0]), "correction_s": last[1]}
        for port in out["ports"].values():
            if port.get("success_rate") is not None:
                port["success_rate"] = round(port["success_rate"], 4)
        waiting, unacked, oldest = h.store.batch_backlog()
        out["backlog"] = {"waiting_records": waiting, "unacked_batches": unacked,
                          "oldest": self._iso(oldest)}
        out.update({"fw": h.version, "ts": self._iso(h.clock.time())})
        out.update(self.info())
        return out

    def data(self, args):
        """Stored values of one kind, oldest first: ``meter``, ``from``/``to``
        (ISO 8601), ``q`` (quantity names), ``limit``; ``newest``: the last
        ``limit`` values of the range instead of the first."""
        args = check_args("data", args or {},
                          ("meter", "kind", "from", "to", "q", "limit", "newest"))
        h = self.handlers
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
        if meter is not None and meter not in h.archive.ids() and \
                not h._stored_meters([meter]):
            raise CommandError("unknown_meter", "no meter %s in the archive or the store "
                               "(concentrator meters list shows them)" % meter)
        rows = h.store.readings(kind, meter, start, end, qs, limit + 1, newest=newest)
        truncated = len(rows) > limit
        rows = rows[1:] if truncated and newest else rows[:limit]
        values = []
        for r in rows:
            r["ts"] = self._iso(r["ts"])
            if r.get("read_ts") is not None:
                r["read_ts"] = self._iso(r["read_ts"])
            values.append(r)
        return {"kind": kind, "values": values, "truncated": truncated}

    def meters_import(self, args, meta):
        """``csv``: the text of an archive CSV file (store.archive_csv), imported
        all or nothing inside this process, so that the running agent's archive
        changes in one step; ``replace``: remove the meters not in it."""
        args = check_args("meters.import", args or {}, ("csv", "replace"))
        data = args.get("csv")
        if not isinstance(data, str):
            raise CommandError("bad_request", "csv must be the text of a CSV file",
                               detail={"field": "csv"})
        replace = flag(args, "replace")
        h = self.handlers
        try:
            result = archive_csv.import_(h.archive, io.StringIO(data), replace=replace,
                                         now=h.clock.time())
        except StoreError as err:
            raise CommandError("bad_request", str(err), detail={"field": "csv"}) from err
        for q in h.engine.queues.values():
            for mid in result.removed:
                q.drop(mid)              # queued work of a meter that is gone
        h._meters_changed(meta, added=result.added, updated=result.updated,
                          removed=result.removed)
        return {"added": result.added, "updated": result.updated, "removed": result.removed}

    def meters_export(self, args):
        """The archive as CSV text (store.archive_csv): ``{"csv": ..., "meters": n}``."""
        check_args("meters.export", args or {}, ())
        buf = io.StringIO()
        n = archive_csv.export(self.handlers.archive, buf)
        return {"csv": buf.getvalue(), "meters": n}
