"""The command handlers: every op of mqtt.md (Commands), written once.

``Handlers`` implements the interface of ``upstream/handlers.py`` for the
uplink, the console (through the control socket) and the LCD.  ``call``
checks the arguments of an op, runs it and returns a JSON-able result
(meter values stay ``Decimal``: the uplink writes exact JSON; timestamps are
ISO 8601 with the concentrator's UTC offset), or raises ``CommandError``
with a code of mqtt.md and a message naming the field, what was given and
what is allowed.  Every call is written to the ``operation`` log (op, who,
ok or the error code).

The ops are methods ``op_<name>`` here and in the mixins:
``gateway.commands_bus`` (read, control, freeze, time.sync_meters: jobs on the
buses) and ``gateway.commands_config`` (meters.*, params.*).
"""

import logging

from gateway.commands_args import (bad, check_args, choice, flag, id_list, iso_time, parse_time,
                                   text, time_range, unknown_meters)
from gateway.commands_bus import BusCommands
from gateway.commands_config import ConfigCommands
from store import codec
from store import KINDS
from store import LOG_CATEGORIES
from upstream.errors import CommandError
from upstream.handlers import CONTROL_OPS

log = logging.getLogger(__name__)

OPS = {"ping": "op_ping", "read": "op_read", "recall": "op_recall", "time.get": "op_time_get",
       "time.set": "op_time_set", "time.sync_meters": "op_time_sync_meters",
       "freeze": "op_freeze", "meters.list": "op_meters_list", "meters.add": "op_meters_add",
       "meters.update": "op_meters_update", "meters.remove": "op_meters_remove",
       "params.get": "op_params_get", "params.set": "op_params_set", "control": "op_control",
       "events.query": "op_events_query", "logs.query": "op_logs_query", "diag": "op_diag",
       "reset": "op_reset"}
SLOW = ("read", "control", "time.sync_meters", "freeze")
RECALL_MAX_DAYS = 400
RECALL_FAST_DAYS = 7            # a recall of a longer range may take more than 2 s
QUERY_MAX_ROWS = 1000           # events.query / logs.query: more -> "truncated": true
DEFAULT_TIMEOUT = 120           # seconds a bus job may take (engine clock)


class Handlers(BusCommands, ConfigCommands):
    """``started``: the agent's start time (epoch seconds of ``clock``);
    ``uplink_status()``: the uplink's state for ``diag``; ``on_restart()``:
    schedules a restart of the agent (it must return at once: the reply goes
    out first)."""

    def __init__(self, engine, store, archive, params, clock, version, started,
                 uplink_status=None, on_restart=None, timeout=DEFAULT_TIMEOUT):
        self.engine = engine
        self.store = store
        self.archive = archive
        self.params = params
        self.clock = clock
        self.version = version
        self.uplink_status = uplink_status
        self.on_restart = on_restart
        self.timeout = timeout
        # uptime from monotonic time: a clock set must not move it
        self._uptime0 = clock.time() - started
        self._mono0 = clock.monotonic()

    # ---------------------------------------------------------- interface
    def ops(self):
        return set(OPS)

    def needs_signature(self, op):
        return op in CONTROL_OPS

    def slow(self, op, args=None):
        """May take longer than 2 s: bus work, a recall of more than
        RECALL_FAST_DAYS (or of a range not given), a data reset."""
        if op in SLOW:
            return True
        if op == "recall":
            try:
                start, end = time_range(args if isinstance(args, dict) else {})
            except CommandError:
                return True
            return end - start > RECALL_FAST_DAYS * 86400
        if op == "reset":
            return isinstance(args, dict) and args.get("what") == "data"
        return False

    def call(self, op, args, meta=None):
        meta = meta or {}
        name = OPS.get(op)
        try:
            if name is None:
                raise CommandError("unknown_op", "op %s is not known; use one of %s"
                                   % (_shown_op(op), ", ".join(sorted(OPS))))
            result = getattr(self, name)(args, meta)
        except CommandError as err:
            self._log_call(op, meta, err.code)
            raise
        except Exception as err:       # a bug: answer "internal", keep the agent going
            log.exception("command %s failed", op)
            self._log_call(op, meta, "internal")
            raise CommandError("internal", "%s failed: %s" % (op, err)) from err
        self._log_call(op, meta, None)
        return result

    # ------------------------------------------------------------ helpers
    def iso(self, ts):
        """``ts`` as ISO 8601 with the concentrator's offset (time.tz_offset_min)."""
        return iso_time(ts, self.params.get("time.tz_offset_min"))

    @staticmethod
    def who(meta):
        meta = meta or {}
        source = str(meta.get("source") or "unknown")
        return "%s:%s" % (source, meta["user"]) if meta.get("user") else source

    def _log_call(self, op, meta, code):
        detail = {"op": op, "source": (meta or {}).get("source"), "ok": code is None}
        for k in ("id", "user"):
            if (meta or {}).get(k) is not None:
                detail[k] = meta[k]
        if code is not None:
            detail["code"] = code
        try:
            self.store.log("operation", self.clock.time(), "command %s from %s: %s" % (
                _shown_op(op), self.who(meta), "ok" if code is None else code), detail)
        except Exception:              # the store failing must not turn a reply into another
            log.exception("cannot log command %s", op)

    # --------------------------------------------------------- small ops
    def op_ping(self, args, meta):
        check_args("ping", args, ())
        uptime = self._uptime0 + self.clock.monotonic() - self._mono0
        return {"ts": self.iso(self.clock.time()), "fw": self.version, "uptime_s": int(uptime)}

    def op_time_get(self, args, meta):
        check_args("time.get", args, ())
        now = self.clock.time()
        st = self.engine.timekeeping.status()
        last = st.get("last_correction")
        return {"ts": self.iso(now), "epoch": int(now),
                "tz_offset_min": int(self.params.get("time.tz_offset_min")),
                "drift_ppm": st.get("drift_ppm"), "rtc_offset_s": st.get("rtc_offset_s"),
                "last_correction": None if not last else
                {"ts": self.iso(last[0]), "correction_s": last[1]}}

    def op_time_set(self, args, meta):
        args = check_args("time.set", args, ("ts",))
        ts = parse_time(args, "ts")
        # the store keeps minutes from 2020 on (store.codec): a time outside is a typo
        if not codec.EPOCH <= ts < codec.EPOCH + (1 << 25) * 60:
            raise bad("ts", args["ts"], "a time from 2020 on", "is out of range")
        source = (meta or {}).get("source")
        source = "master" if source in (None, "mqtt") else self.who(meta)
        delta = self.engine.timekeeping.set_time(ts, source=source)
        return {"correction_s": round(delta, 3)}

    def op_recall(self, args, meta):
        """Queue stored values of ``kind`` in [from, to) upstream again (补召)."""
        args = check_args("recall", args, ("kind", "from", "to", "meters"))
        kind = choice(args, "kind", KINDS)
        start, end = time_range(args, RECALL_MAX_DAYS)
        ids = id_list(args, "meters", required=False, allow_all=True)
        if ids is not None:
            # a removed meter's history is kept, and can be recalled
            known = set(m["id"] for m in self.engine.archive_meters()) | self._stored_meters(ids)
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise unknown_meters(unknown)
        n = self.store.outbox_requeue(kind, start, end, ids)
        return {"records": n}

    def _stored_meters(self, ids):
        sql = "SELECT mid FROM meters WHERE mid IN (%s)" % ",".join("?" * len(ids))
        return set(r[0] for r in self.store.connect().execute(sql, ids))

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
        args = check_args("logs.query", args, ("category", "from", "to"))
        category = choice(args, "category", LOG_CATEGORIES)
        start, end = time_range(args)
        rows = self.store.logs(category, start, end, limit=QUERY_MAX_ROWS + 1)
        return {"logs": [dict(r, ts=self.iso(r["ts"])) for r in rows[:QUERY_MAX_ROWS]],
                "truncated": len(rows) > QUERY_MAX_ROWS}

    # --------------------------------------------------------------- diag
    def op_diag(self, args, meta):
        check_args("diag", args, ())
        e = self.engine
        st = e.status()
        meters = e.archive_meters()
        ports = {}
        for name, snap in st["buses"].items():
            p = dict(snap)
            p["last_ok"] = self.iso(p.get("last_ok"))
            p["meters"] = sum(1 for m in meters if e.bus_of(m) == name)
            p["queue"] = st["queues"].get(name, 0)
            ports[name] = p
        store = dict(st["store"])
        store["integrity"] = self.store.connect().execute("PRAGMA quick_check").fetchone()[0]
        store["readings"] = dict((k, self.store.count(k)) for k in KINDS)
        clock = st["clock"]
        last = clock.get("last_correction")
        conditions = {}
        health = e.health
        for mid in list(health.state):
            for cond in health.active(mid):
                conditions[cond] = conditions.get(cond, 0) + 1
        out = {"ts": self.iso(self.clock.time()), "fw": self.version, "meters": len(meters),
               "ports": ports, "queues": st["queues"], "store": store,
               "clock": {"ts": self.iso(clock["time"]), "drift_ppm": clock.get("drift_ppm"),
                         "rtc_offset_s": clock.get("rtc_offset_s"),
                         "last_correction": None if not last else
                         {"ts": self.iso(last[0]), "correction_s": last[1]}},
               "outbox": st["outbox"],
               "health": {"active": sum(conditions.values()), "by_condition": conditions}}
        if self.uplink_status is not None:
            try:
                out["uplink"] = self.uplink_status()
            except Exception as err:      # diagnosis must not fail on the thing it diagnoses
                out["uplink"] = {"error": str(err)}
        return out

    # -------------------------------------------------------------- reset
    def op_reset(self, args, meta):
        """``what``: restart (on_restart), data (the store's readings, events,
        logs, outbox) or params (all to defaults); data and params need
        ``confirm: true``."""
        args = check_args("reset", args, ("what", "confirm"))
        what = choice(args, "what", ("restart", "data", "params"))
        confirm = flag(args, "confirm")
        now = self.clock.time()
        if what == "restart":
            if self.on_restart is None:
                raise CommandError("not_supported", "reset restart: this process cannot restart "
                                   "the agent (no agent lifecycle attached)")
            self.store.log("operation", now, "restart requested by %s" % self.who(meta))
            self.on_restart()
            return {"what": "restart", "restarting": True}
        if confirm is not True:
            lost = {"data": "deletes every stored reading, event, log and unsent batch",
                    "params": "sets every parameter back to its default"}[what]
            raise CommandError("bad_request", "confirm: reset %s %s; send confirm: true to do it"
                               % (what, lost), detail={"field": "confirm"})
        if what == "data":
            deleted = self.store.wipe()
            self.store.log("modification", self.clock.time(), "stored data reset by %s"
                           % self.who(meta), deleted)
            return {"what": "data", "deleted": deleted}
        changes = self.params.reset()
        self._params_changed(meta, changes)
        return {"what": "params", "reset": sorted(changes)}


def _shown_op(op):
    return repr(op)[:40] if not isinstance(op, str) else op[:40]
